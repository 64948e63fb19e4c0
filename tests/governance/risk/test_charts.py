"""The heat-map SVG: escaped, no inline styles, one cell per likelihood × impact."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from governance.risk.charts import band_for, heat_map_svg

NS = "{http://www.w3.org/2000/svg}"


def test_heat_map_draws_25_cells_with_counts_and_links_only_where_there_are_risks() -> None:
    svg = heat_map_svg(
        {(4, 5): 2, (1, 1): 1},
        title="Residual",
        chart_id="t",
        link=lambda lk, im: f"/risk/?likelihood={lk}&impact={im}",
    )
    root = ET.fromstring(svg)  # noqa: S314 - our own output
    cells = [r for r in root.iter(f"{NS}rect") if r.get("width") == "56"]
    assert len(cells) == 25
    links = [a.get("href") for a in root.iter(f"{NS}a")]
    assert sorted(links) == ["/risk/?likelihood=1&impact=1", "/risk/?likelihood=4&impact=5"]
    titles = [t.text or "" for t in root.iter(f"{NS}title")]
    assert "Likelihood 4 × impact 5 = score 20 (very high (15–25)): 2 risks" in titles
    assert root.find(f"{NS}desc") is not None and "3 risks" in (root.find(f"{NS}desc").text or "")


def test_heat_map_escapes_text_and_uses_no_inline_styles() -> None:
    svg = heat_map_svg(
        {(2, 2): 1},
        title='<script>alert("x")</script>',
        chart_id='bad" onload="x',
        link=lambda lk, im: '"><script>',
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'onload="' not in svg
    assert not re.search(r"\sstyle=", svg)
    ET.fromstring(svg)  # noqa: S314 - our own output, still well-formed XML


def test_bands_follow_the_acceptance_threshold() -> None:
    assert band_for(15)[1].startswith("very high") and band_for(14)[1].startswith("high")
    assert band_for(5)[1].startswith("medium") and band_for(4)[1].startswith("low")
