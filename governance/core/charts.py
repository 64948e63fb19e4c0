"""What every server-side SVG chart shares: measuring, wrapping and writing its text.

Charts are drawn without a browser, so a label's width is estimated from DejaVu Sans's advance
widths (the font the pages and the PDFs use), rounded up so an estimate is never narrower
than the text drawn. A label that does not fit its column is wrapped onto more lines, never
cut short, and the chart grows to hold it: a regulator reads every category name whole.
Every chart also has a `<title>` (its accessible name in browsers and the alternative text
of its figure in a tagged PDF).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

FONT_FAMILY = "DejaVu Sans, sans-serif"
LINE_HEIGHT = 1.25  # lines of a wrapped label, in font sizes

# Advance widths of DejaVu Sans in ems, by character; other characters count as WIDE.
_NARROW = dict.fromkeys("il.,:;'|", 0.36)
_SPACE = {" ": 0.34}
_SLIM = dict.fromkeys("fjrtI()[]-/", 0.44)
_HALF = dict.fromkeys("!`", 0.5)
_WIDE = dict.fromkeys("mwMW@%&#+<=>^~×", 1.0)
_CAPS = dict.fromkeys("ABCDEFGHJKLNOPQRSTUVXYZ", 0.80)
DEFAULT_WIDTH = 0.66  # lower-case letters and digits are 0.52-0.64 em


def char_width(char: str) -> float:
    for table in (_NARROW, _SPACE, _SLIM, _HALF, _WIDE, _CAPS):
        if char in table:
            return table[char]
    if ord(char) > 0x2000:  # symbols (⚑, →, ×, …): wide in every font
        return 1.0
    return DEFAULT_WIDTH


BOLD = 1.15  # DejaVu Sans Bold is about a tenth wider


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """The estimated width of `text` at `size` (user units), never less than drawn."""
    return sum(char_width(c) for c in text) * size * (BOLD if bold else 1.0)


def wrap_text(text: str, *, size: float, width: float) -> list[str]:
    """`text` as lines no wider than `width`: broken between words, and a word wider than a
    line broken between characters. Every character is kept; the lines joined with spaces
    give the text back (whitespace runs become one space)."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if text_width(candidate, size) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
            current = ""
        while text_width(word, size) > width and len(word) > 1:
            cut = _fitting_prefix(word, size, width)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    return lines


def _fitting_prefix(word: str, size: float, width: float) -> int:
    used = 0.0
    for index, char in enumerate(word):
        used += char_width(char) * size
        if used > width:
            return max(index, 1)
    return len(word)


def text_lines_height(count: int, size: float) -> float:
    return max(count, 1) * size * LINE_HEIGHT


def svg_text(
    lines: Sequence[str],
    *,
    x: float,
    y: float,
    size: float,
    anchor: str = "start",
    fill: str = "#1b1f24",
    weight: str = "",
    title: str = "",
) -> str:
    """A `<text>` of one or more lines (`<tspan>`s), the first line's baseline at `y`."""
    bold = f' font-weight="{weight}"' if weight else ""
    head = f"<title>{escape(title)}</title>" if title else ""
    spans = "".join(
        f'<tspan x="{x:g}" dy="{0 if i == 0 else round(size * LINE_HEIGHT, 2):g}">'
        f"{escape(line)}</tspan>"
        for i, line in enumerate(lines)
    )
    return (
        f'<text x="{x:g}" y="{y:g}" font-size="{size:g}" text-anchor="{anchor}" '
        f'fill="{fill}"{bold}>{head}{spans}</text>'
    )


def svg_open(*, width: float, height: float, css_class: str, title: str, desc: str = "") -> str:
    """The opening of a chart: sized by its viewBox (pages scale it to their width), with
    its title and description for screen readers and the PDF's alternative text."""
    w, h = math.ceil(width), math.ceil(height)
    description = f"<desc>{escape(desc)}</desc>" if desc else ""
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css_class}" role="img" '
        f'viewBox="0 0 {w} {h}" width="{w}" height="{h}" font-family="{FONT_FAMILY}" '
        f'aria-label="{escape(title, quote=True)}"><title>{escape(title)}</title>{description}'
    )


SERIES_COLOURS = ("#0b4f8a", "#7d4e00", "#116329", "#a40e26", "#6639ba", "#1b7c83", "#57606a")
AXIS = "#57606a"


def _nice_max(value: float) -> float:
    """The top of the scale: 1, 2 or 5 times a power of ten, at least `value`."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def _fmt(value: float) -> str:
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def _legend(series: Sequence[str], *, y: float, width: float, size: float) -> tuple[str, float]:
    """Coloured keys for the series, wrapping onto more rows; the markup and its height."""
    parts, x, row = [], 0.0, 0
    for index, name in enumerate(series):
        entry = 16 + text_width(name, size) + 14
        if x and x + entry > width:
            x, row = 0.0, row + 1
        top = y + row * (size * 1.6)
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        parts.append(
            f'<rect x="{x:g}" y="{top - size + 2:g}" width="11" height="11" fill="{colour}"/>'
            + svg_text([name], x=x + 16, y=top, size=size)
        )
        x += entry
    return "".join(parts), (row + 1) * size * 1.6


def trend_chart_svg(
    *,
    title: str,
    x_labels: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    kind: str = "bars",
    threshold: tuple[float, str] | None = None,
    width: int = 480,  # narrow enough to stay legible on a phone
    size: float = 12,
) -> str:
    """Values over periods (weeks, or audits in order): grouped bars for counts, or lines for
    measures (a missing value breaks the line). `threshold` draws a dashed reference line with
    its label. Labels under the axis wrap; the legend wraps; nothing is cut."""
    left, right, plot_h = 44.0, 12.0, 160.0
    names = [name for name, _ in series]
    legend, legend_h = _legend(names, y=size + 4, width=width, size=size)
    top = legend_h + 12
    values = [v for _, vs in series for v in vs if v is not None]
    high = _nice_max(max([*values, threshold[0] if threshold else 0.0, 0.0]))
    slots = max(len(x_labels), 1)
    slot_w = (width - left - right) / slots
    label_lines = [wrap_text(label, size=size - 2, width=slot_w - 2) for label in x_labels]
    label_h = max((text_lines_height(len(lines), size - 2) for lines in label_lines), default=0)
    height = top + plot_h + 8 + label_h + 4

    def y(value: float) -> float:
        return top + plot_h * (1 - value / high)

    parts = [
        svg_open(
            width=width,
            height=height,
            css_class=f"trend-chart trend-{kind}",
            title=title,
            desc=f"{', '.join(names)} for {len(x_labels)} periods; the table beside it has "
            "every value.",
        ),
        legend,
    ]
    for tick in (0.0, high / 2, high):
        parts.append(
            f'<line x1="{left:g}" y1="{y(tick):.1f}" x2="{width - right:g}" y2="{y(tick):.1f}" '
            f'stroke="#d0d7de" stroke-width="0.6"/>'
            + svg_text(
                [_fmt(tick)],
                x=left - 4,
                y=round(y(tick) + 4, 1),
                size=size - 2,
                anchor="end",
                fill=AXIS,
            )
        )
    for index, (_name, vs) in enumerate(series):
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        if kind == "bars":
            bar_w = max((slot_w - 6) / max(len(series), 1), 1.0)
            for slot, value in enumerate(vs):
                if not value:
                    continue
                x = left + slot * slot_w + 3 + index * bar_w
                parts.append(
                    f'<rect x="{x:.1f}" y="{y(value):.1f}" width="{bar_w:.1f}" '
                    f'height="{top + plot_h - y(value):.1f}" fill="{colour}"/>'
                )
        else:
            segment: list[str] = []
            for slot, value in enumerate([*vs, None]):
                if value is not None:
                    cx = left + slot * slot_w + slot_w / 2
                    segment.append(f"{cx:.1f},{y(value):.1f}")
                    parts.append(
                        f'<circle cx="{cx:.1f}" cy="{y(value):.1f}" r="3" fill="{colour}"/>'
                    )
                    continue
                if len(segment) > 1:
                    parts.append(
                        f'<polyline fill="none" stroke="{colour}" stroke-width="1.8" '
                        f'points="{" ".join(segment)}"/>'
                    )
                segment = []
    if threshold is not None:
        level, label = threshold
        parts.append(
            f'<line x1="{left:g}" y1="{y(level):.1f}" x2="{width - right:g}" '
            f'y2="{y(level):.1f}" stroke="#a40e26" stroke-dasharray="5 3"/>'
            + svg_text(
                [label],
                x=width - right,
                y=round(y(level) - 4, 1),
                size=size - 2,
                anchor="end",
                fill="#a40e26",
            )
        )
    parts.append(
        f'<line x1="{left:g}" y1="{top + plot_h:g}" x2="{width - right:g}" '
        f'y2="{top + plot_h:g}" stroke="{AXIS}"/>'
    )
    for slot, lines in enumerate(label_lines):
        cx = left + slot * slot_w + slot_w / 2
        parts.append(
            svg_text(
                lines,
                x=round(cx, 1),
                y=top + plot_h + 6 + size - 2,
                size=size - 2,
                anchor="middle",
                fill=AXIS,
            )
        )
    parts.append("</svg>")
    return "".join(parts)
