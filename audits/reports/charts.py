"""Server-side SVG charts, one helper per chart kind, shared by the pages and the PDFs.

Output depends only on the input rows, so a chart in a re-rendered PDF is byte-identical.
Labels are escaped here: the result is safe to place in a page unescaped.
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape

PALETTE = ("#0b4f8a", "#116329", "#7d4e00", "#a40e26", "#57606a", "#6639ba", "#1b7c83")


def _attr(value: str) -> str:
    return escape(value, {'"': "&quot;"})


def horizontal_bar_chart(
    rows: Sequence[tuple[str, int]], *, title: str, width: int = 560, bar_height: int = 22
) -> str:
    """Counts per label as horizontal bars, with the number at the end of each bar."""
    label_width, gap, top = 170, 8, 34
    plot_width = width - label_width - 60
    largest = max((value for _, value in rows), default=0) or 1
    height = top + len(rows) * (bar_height + gap) + 10
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
        f'aria-label="{_attr(title)}">',
        f'<text x="0" y="18" font-size="14" font-weight="bold" fill="#1b1f24">'
        f"{escape(title)}</text>",
    ]
    for index, (label, value) in enumerate(rows):
        y = top + index * (bar_height + gap)
        length = round(plot_width * value / largest) if value else 0
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar_height - 6}" font-size="12" '
            f'text-anchor="end" fill="#1b1f24">{escape(label)}</text>'
        )
        parts.append(
            f'<rect x="{label_width}" y="{y}" width="{length}" height="{bar_height}" '
            f'fill="{colour}"/>'
        )
        parts.append(
            f'<text x="{label_width + length + 6}" y="{y + bar_height - 6}" font-size="12" '
            f'fill="#1b1f24">{value}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)
