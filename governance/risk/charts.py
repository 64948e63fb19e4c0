"""Server-side SVG for risk charts, shared by the pages and the PDF reports.

Plain SVG with presentation attributes only (no inline styles, no scripts), every text and
attribute escaped, so it passes the Content-Security-Policy and renders the same in WeasyPrint.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from html import escape

from django.utils.safestring import mark_safe

from governance.core.charts import text_width

CELL = 56
LEFT, TOP, RIGHT, BOTTOM = 76, 40, 12, 96
SCALE = range(1, 6)

# (lowest score, band name, fill, text colour): the bands of a 5 × 5 matrix. Scores from 15
# need executive acceptance, so the top band starts there.
BANDS = (
    (15, "very high (15–25)", "#f4b7b2", "#5c0a12"),
    (10, "high (10–14)", "#ffd2a8", "#5a2e00"),
    (5, "medium (5–9)", "#fff1a8", "#4a3b00"),
    (1, "low (1–4)", "#cdeccf", "#0f3d1a"),
)


def band_for(score: int) -> tuple[int, str, str, str]:
    for band in BANDS:
        if score >= band[0]:
            return band
    return BANDS[-1]


def _id(value: str) -> str:
    return re.sub(r"[^a-z0-9-]", "-", value.lower()) or "chart"


def heat_map_svg(
    counts: Mapping[tuple[int, int], int],
    *,
    title: str = "Risk heat map",
    chart_id: str = "heat-map",
    link: Callable[[int, int], str] | None = None,
    likelihood_label: str = "Likelihood",
    impact_label: str = "Impact",
) -> str:
    """A 5 × 5 likelihood × impact grid with the number of risks in each cell.

    `counts` maps (likelihood, impact), each 1-5, to a number of risks; `link(likelihood,
    impact)` may give each non-empty cell a URL (for example the register filtered to it).
    """
    cid = _id(chart_id)
    width = LEFT + 5 * CELL + RIGHT
    height = TOP + 5 * CELL + BOTTOM
    total = sum(counts.get((lk, im), 0) for lk in SCALE for im in SCALE)
    # A map whose cells are links is a group of links, not one image: an image's parts are
    # hidden from assistive technology, which would hide the links.
    role = "img" if link is None else "group"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart heat-map" role="{role}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{cid}-title {cid}-desc">',
        f'<title id="{cid}-title">{escape(title)}</title>',
        f'<desc id="{cid}-desc">{total} risk{"s" if total != 1 else ""} by '
        f"{escape(likelihood_label.lower())} (rows, 5 at the top) and "
        f"{escape(impact_label.lower())} (columns, 5 at the right).</desc>",
        f'<text x="4" y="22" font-size="13" font-weight="600" fill="#1b1f24">'
        f"{escape(title)}</text>",
    ]
    for likelihood in SCALE:
        y = TOP + (5 - likelihood) * CELL
        parts.append(
            f'<text x="{LEFT - 10}" y="{y + CELL / 2 + 5:.0f}" font-size="13" '
            f'text-anchor="end" fill="#57606a">{likelihood}</text>'
        )
        for impact in SCALE:
            parts.append(_cell(counts, likelihood, impact, y, link))
    for impact in SCALE:
        x = LEFT + (impact - 1) * CELL
        parts.append(
            f'<text x="{x + CELL / 2:.0f}" y="{TOP + 5 * CELL + 18}" font-size="13" '
            f'text-anchor="middle" fill="#57606a">{impact}</text>'
        )
    parts.append(
        f'<text x="{LEFT + 5 * CELL / 2:.0f}" y="{TOP + 5 * CELL + 38}" font-size="13" '
        f'text-anchor="middle" fill="#1b1f24">{escape(impact_label)} →</text>'
    )
    middle = TOP + 5 * CELL / 2
    parts.append(
        f'<text x="18" y="{middle:.0f}" font-size="13" text-anchor="middle" fill="#1b1f24" '
        f'transform="rotate(-90 18 {middle:.0f})">{escape(likelihood_label)} →</text>'
    )
    parts.extend(_legend(TOP + 5 * CELL + 56))
    parts.append("</svg>")
    # Safe to mark: every value interpolated above is a number or passed through escape().
    return mark_safe("".join(parts))  # noqa: S308


def _cell(
    counts: Mapping[tuple[int, int], int],
    likelihood: int,
    impact: int,
    y: int,
    link: Callable[[int, int], str] | None,
) -> str:
    x = LEFT + (impact - 1) * CELL
    score = likelihood * impact
    _, band, fill, ink = band_for(score)
    count = counts.get((likelihood, impact), 0)
    label = (
        f"Likelihood {likelihood} × impact {impact} = score {score} ({band}): "
        f"{count} risk{'s' if count != 1 else ''}"
    )
    body = (
        f'<rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{fill}" '
        f'stroke="#ffffff" stroke-width="2"/>'
        f'<text x="{x + 5}" y="{y + 13}" font-size="9" fill="{ink}">{score}</text>'
    )
    if count:
        body += (
            f'<text x="{x + CELL / 2:.0f}" y="{y + CELL / 2 + 7:.0f}" font-size="20" '
            f'font-weight="700" text-anchor="middle" fill="{ink}">{count}</text>'
        )
    cell = f"<g><title>{escape(label)}</title>{body}</g>"
    if count and link is not None:
        return (
            f'<a href="{escape(link(likelihood, impact), quote=True)}" '
            f'aria-label="{escape(label, quote=True)}">{cell}</a>'
        )
    return cell


def _legend(y: int) -> list[str]:
    parts = []
    x = LEFT
    for _, name, fill, _ink in reversed(BANDS):
        parts.append(
            f'<rect x="{x}" y="{y}" width="12" height="12" fill="{fill}" stroke="#8c959f" '
            f'stroke-width="0.5"/><text x="{x + 16}" y="{y + 10}" font-size="10" '
            f'fill="#1b1f24">{escape(name)}</text>'
        )
        x += 16 + round(text_width(name, 10)) + 12
        if x > LEFT + 3 * CELL:  # the next entry might not fit before the right edge
            x, y = LEFT, y + 18
    return parts
