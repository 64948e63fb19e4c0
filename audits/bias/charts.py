"""Server-side SVG of impact ratios, shared by the pages and the PDF reports.

Colours are SVG presentation attributes rather than CSS classes, so the chart looks the same
in a browser (under the strict CSP, which forbids inline styles) and in WeasyPrint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

from governance.core.charts import svg_open, svg_text, text_lines_height, text_width, wrap_text

THRESHOLD = 0.8
ROW_HEIGHT = 26
LABEL_WIDTH = 260
BAR_WIDTH = 360
FONT = 12
TOP = 34
BOTTOM = 30

COLOURS = {"ok": "#0b4f8a", "flagged": "#a40e26", "muted": "#57606a", "line": "#7d4e00"}


def _get(row: Any, name: str) -> Any:
    if isinstance(row, Mapping):
        return row.get(name)
    return getattr(row, name, None)


def impact_ratio_chart_svg(rows: Iterable[Any], *, title: str = "Impact ratios") -> str:
    """Horizontal bars, one per category, on a 0–1 scale with the four-fifths line at 0.8.

    `rows` are result rows or dicts with `category`, `impact_ratio`, `flagged`, `excluded`.
    Excluded categories and undefined ratios are listed without a bar, with the reason.
    A category name longer than its column wraps onto more lines; the value column is as
    wide as its longest entry, so nothing is cut at the edge.
    """
    items = list(rows)
    scale_max = max([1.0, *[float(_get(r, "impact_ratio") or 0) for r in items]])
    values = [_value(row) for row in items]
    value_width = max([text_width(text, FONT) for text, _ in values] or [0]) + 16
    width = LABEL_WIDTH + BAR_WIDTH + value_width

    def x(value: float) -> float:
        return LABEL_WIDTH + BAR_WIDTH * value / scale_max

    body: list[str] = []
    y = float(TOP)
    for row, (value_text, colour) in zip(items, values, strict=True):
        category = str(_get(row, "category") or "")
        lines = wrap_text(category, size=FONT, width=LABEL_WIDTH - 14)
        height = max(ROW_HEIGHT, text_lines_height(len(lines), FONT) + 10)
        ratio = _get(row, "impact_ratio")
        body.append(
            svg_text(lines, x=LABEL_WIDTH - 8, y=y + 17, size=FONT, anchor="end", title=category)
        )
        if ratio is not None and not _get(row, "excluded"):
            flagged = bool(_get(row, "flagged"))
            bar = max(x(float(ratio)) - LABEL_WIDTH, 1.0)
            body.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + 5:g}" width="{bar:.1f}" '
                f'height="{ROW_HEIGHT - 10}" fill="{colour}"><title>{escape(category)}: '
                f"{float(ratio):.3f}{' (below 0.80)' if flagged else ''}</title></rect>"
            )
        body.append(
            svg_text([value_text], x=LABEL_WIDTH + BAR_WIDTH + 8, y=y + 17, size=FONT, fill=colour)
        )
        y += height
    bottom = max(y, TOP + ROW_HEIGHT)
    line_x = x(THRESHOLD)
    parts = [
        svg_open(
            width=width,
            height=bottom + BOTTOM,
            css_class="impact-chart",
            title=title,
            desc="Impact ratio per category; a bar left of the 0.80 line is below four-fifths "
            "of the reference category's rate.",
        ),
        *body,
        f'<line x1="{line_x:.1f}" y1="{TOP - 6}" x2="{line_x:.1f}" y2="{bottom + 4:g}" '
        f'stroke="{COLOURS["line"]}" stroke-width="2" stroke-dasharray="5 3"/>',
        svg_text(
            ["0.80 four-fifths"],
            x=round(line_x, 1),
            y=TOP - 12,
            size=FONT,
            anchor="middle",
            fill=COLOURS["line"],
        ),
        f'<line x1="{LABEL_WIDTH}" y1="{bottom + 4:g}" x2="{LABEL_WIDTH + BAR_WIDTH}" '
        f'y2="{bottom + 4:g}" stroke="#8c959f"/>',
    ]
    for tick in (0.0, 0.5, 1.0):
        parts.append(
            svg_text(
                [f"{tick:.1f}"],
                x=round(x(tick), 1),
                y=bottom + 20,
                size=FONT,
                anchor="middle",
                fill="#57606a",
            )
        )
    parts.append("</svg>")
    return "".join(parts)


def _value(row: Any) -> tuple[str, str]:
    """The text after a category's bar and its colour."""
    ratio = _get(row, "impact_ratio")
    if _get(row, "excluded"):
        return "excluded (under 2 %)", COLOURS["muted"]
    if ratio is None:
        return "n/a", COLOURS["muted"]
    flagged = bool(_get(row, "flagged"))
    colour = COLOURS["flagged"] if flagged else COLOURS["ok"]
    return f"{float(ratio):.2f}{' ⚑' if flagged else ''}", colour
