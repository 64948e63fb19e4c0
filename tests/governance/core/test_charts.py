"""The chart helpers' text: wrapped, never cut; and the trend chart's geometry."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from PIL import ImageFont

from audits.bias.charts import impact_ratio_chart_svg
from audits.reports.charts import horizontal_bar_chart
from governance.core.charts import text_width, trend_chart_svg, wrap_text

SVG = "{http://www.w3.org/2000/svg}"
FONT = ImageFont.truetype("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", size=120)


def test_the_width_estimate_is_never_narrower_than_the_font() -> None:
    for text in (
        "Native Hawaiian or Other Pacific Islander",
        "excluded (under 2 %)",
        "WWW mmm iii ... ×→",
        "Female × Two or More Races (one of them Hispanic or Latino)",
    ):
        assert text_width(text, 12) >= FONT.getlength(text) / 10


def test_wrapping_keeps_every_character_and_each_line_fits() -> None:
    text = "Female × Native Hawaiian or Other Pacific Islander Supercalifragilisticexpialidocious"
    lines = wrap_text(text, size=12, width=120)
    assert len(lines) > 1
    assert "".join(lines).replace(" ", "") == text.replace(" ", "")
    assert all(text_width(line, 12) <= 120 for line in lines)
    assert wrap_text("", size=12, width=50) == [""]


def _texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)  # noqa: S314 (our own output)
    return [
        " ".join(span.text or "" for span in text.iter(f"{SVG}tspan"))
        for text in root.iter(f"{SVG}text")
    ]


def test_long_labels_wrap_in_every_chart_and_nothing_is_truncated() -> None:
    long = "American Indian or Alaska Native (enrolled tribal members)"
    impact = impact_ratio_chart_svg(
        [
            {"category": long, "impact_ratio": 0.9, "flagged": False},
            {"category": "Tiny", "impact_ratio": None, "excluded": True},
        ]
    )
    bars = horizontal_bar_chart([(long, 3)], title="Deployments by a very long grouping name")
    for svg in (impact, bars):
        assert "…" not in svg and "<tspan" in svg and "<title>" in svg and 'role="img"' in svg
        assert any(" ".join(text.split()) == long for text in _texts(svg))
    # The value column is wide enough for its longest entry.
    width = float(ET.fromstring(impact).get("width") or 0)  # noqa: S314
    assert width >= 260 + 360 + FONT.getlength("excluded (under 2 %)") / 10


def test_a_trend_chart_draws_bars_lines_gaps_and_its_threshold() -> None:
    bars = trend_chart_svg(
        title="Approvals per week",
        x_labels=["02 Mar", "09 Mar"],
        series=[("Requested", [2, 0]), ("Completed", [1, 3])],
    )
    assert bars.count("<rect") == 3 + 2  # three non-zero bars and two legend keys
    assert 'viewBox="0 0 480 ' in bars and "<title>Approvals per week</title>" in bars
    lines = trend_chart_svg(
        title="Lowest impact ratio",
        x_labels=["Audit 1", "Audit 2", "Audit 3"],
        series=[("A → prod", [0.7, None, 0.9]), ("B → prod", [0.85, 0.9, None])],
        kind="lines",
        threshold=(0.8, "0.80 four-fifths"),
    )
    # A missing value breaks A's line: only B's first two audits are joined.
    assert lines.count("<polyline") == 1 and lines.count("<circle") == 4
    assert "0.80 four-fifths" in lines and 'stroke-dasharray="5 3"' in lines
