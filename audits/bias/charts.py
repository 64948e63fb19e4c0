"""Server-side SVG of impact ratios, shared by the pages and the PDF reports.

Colours are SVG presentation attributes rather than CSS classes, so the chart looks the same
in a browser (under the strict CSP, which forbids inline styles) and in WeasyPrint.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from html import escape
from typing import Any

THRESHOLD = 0.8
ROW_HEIGHT = 26
LABEL_WIDTH = 260
BAR_WIDTH = 360
VALUE_WIDTH = 90
TOP = 34
BOTTOM = 30

COLOURS = {"ok": "#0b4f8a", "flagged": "#a40e26", "muted": "#57606a", "line": "#7d4e00"}


def _get(row: Any, name: str) -> Any:
    if isinstance(row, Mapping):
        return row.get(name)
    return getattr(row, name, None)


def _label(text: str, limit: int = 38) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def impact_ratio_chart_svg(rows: Iterable[Any], *, title: str = "Impact ratios") -> str:
    """Horizontal bars, one per category, on a 0–1 scale with the four-fifths line at 0.8.

    `rows` are result rows or dicts with `category`, `impact_ratio`, `flagged`, `excluded`.
    Excluded categories and undefined ratios are listed without a bar, with the reason.
    """
    items = list(rows)
    scale_max = max([1.0, *[float(_get(r, "impact_ratio") or 0) for r in items]])
    width = LABEL_WIDTH + BAR_WIDTH + VALUE_WIDTH
    height = TOP + ROW_HEIGHT * max(len(items), 1) + BOTTOM

    def x(value: float) -> float:
        return LABEL_WIDTH + BAR_WIDTH * value / scale_max

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart impact-chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="12">',
        f"<title>{escape(title)}</title>",
        "<desc>Impact ratio per category; a bar left of the 0.80 line is below four-fifths "
        "of the reference category's rate.</desc>",
    ]
    for index, row in enumerate(items):
        y = TOP + index * ROW_HEIGHT
        category = str(_get(row, "category") or "")
        ratio = _get(row, "impact_ratio")
        flagged = bool(_get(row, "flagged"))
        parts.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 17}" text-anchor="end" fill="#1b1f24">'
            f"<title>{escape(category)}</title>{escape(_label(category))}</text>"
        )
        if _get(row, "excluded"):
            value_text, colour = "excluded (under 2 %)", COLOURS["muted"]
        elif ratio is None:
            value_text, colour = "n/a", COLOURS["muted"]
        else:
            colour = COLOURS["flagged"] if flagged else COLOURS["ok"]
            bar = max(x(float(ratio)) - LABEL_WIDTH, 1.0)
            parts.append(
                f'<rect x="{LABEL_WIDTH}" y="{y + 5}" width="{bar:.1f}" height="{ROW_HEIGHT - 10}" '
                f'fill="{colour}"><title>{escape(category)}: {float(ratio):.3f}'
                f"{' (below 0.80)' if flagged else ''}</title></rect>"
            )
            value_text = f"{float(ratio):.2f}{' ⚑' if flagged else ''}"
        parts.append(
            f'<text x="{LABEL_WIDTH + BAR_WIDTH + 8}" y="{y + 17}" fill="{colour}">'
            f"{escape(value_text)}</text>"
        )
    bottom = TOP + ROW_HEIGHT * max(len(items), 1)
    line_x = x(THRESHOLD)
    parts.append(
        f'<line x1="{line_x:.1f}" y1="{TOP - 6}" x2="{line_x:.1f}" y2="{bottom + 4}" '
        f'stroke="{COLOURS["line"]}" stroke-width="2" stroke-dasharray="5 3"/>'
    )
    parts.append(
        f'<text x="{line_x:.1f}" y="{TOP - 12}" text-anchor="middle" fill="{COLOURS["line"]}">'
        "0.80 four-fifths</text>"
    )
    parts.append(
        f'<line x1="{LABEL_WIDTH}" y1="{bottom + 4}" x2="{LABEL_WIDTH + BAR_WIDTH}" '
        f'y2="{bottom + 4}" stroke="#8c959f"/>'
    )
    for tick in (0.0, 0.5, 1.0):
        parts.append(
            f'<text x="{x(tick):.1f}" y="{bottom + 20}" text-anchor="middle" fill="#57606a">'
            f"{tick:.1f}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
