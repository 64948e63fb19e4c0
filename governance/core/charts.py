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
