"""Server-side SVG charts, one helper per chart kind, shared by the pages and the PDFs.

Output depends only on the input rows, so a chart in a re-rendered PDF is byte-identical.
Labels are escaped here: the result is safe to place in a page unescaped. Long labels wrap
onto more lines (`governance.core.charts`); none is cut short.
"""

from __future__ import annotations

from collections.abc import Sequence

from governance.core.charts import (
    svg_open,
    svg_text,
    text_lines_height,
    text_width,
    wrap_text,
)

PALETTE = ("#0b4f8a", "#116329", "#7d4e00", "#a40e26", "#57606a", "#6639ba", "#1b7c83")
FONT, TITLE_FONT = 12, 14


def horizontal_bar_chart(
    rows: Sequence[tuple[str, int]], *, title: str, width: int = 560, bar_height: int = 22
) -> str:
    """Counts per label as horizontal bars, with the number at the end of each bar."""
    label_width, gap = 170, 8
    value_width = max([text_width(str(v), FONT) for _, v in rows] or [0]) + 12
    plot_width = width - label_width - value_width
    largest = max((value for _, value in rows), default=0) or 1
    title_lines = wrap_text(title, size=TITLE_FONT, width=width)
    top = 8 + text_lines_height(len(title_lines), TITLE_FONT)
    body: list[str] = []
    y = top
    for index, (label, value) in enumerate(rows):
        lines = wrap_text(label, size=FONT, width=label_width - 10)
        row_height = max(bar_height, text_lines_height(len(lines), FONT) + 6)
        length = round(plot_width * value / largest) if value else 0
        colour = PALETTE[index % len(PALETTE)]
        body.append(svg_text(lines, x=label_width - 8, y=y + FONT + 3, size=FONT, anchor="end"))
        body.append(
            f'<rect x="{label_width}" y="{y:g}" width="{length}" height="{bar_height}" '
            f'fill="{colour}"/>'
        )
        body.append(
            svg_text([str(value)], x=label_width + length + 6, y=y + bar_height - 6, size=FONT)
        )
        y += row_height + gap
    height = y + 2
    return "".join(
        [
            svg_open(width=width, height=height, css_class="bar-chart", title=title),
            svg_text(title_lines, x=0, y=18, size=TITLE_FONT, weight="bold"),
            *body,
            "</svg>",
        ]
    )
