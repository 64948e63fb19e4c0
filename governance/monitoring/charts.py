"""Server-side SVG of a metric over time, shared by the Monitoring tab and the PDF dossier.

Threshold lines (warning dashed, breach solid) and the points beyond them are drawn with SVG
presentation attributes, so the chart looks the same under the strict CSP and in WeasyPrint.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT = 640, 200
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 30
COLOURS = {
    "line": "#0b4f8a",
    "warning": "#7d4e00",
    "breach": "#a40e26",
    "axis": "#57606a",
}


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def metric_chart_svg(
    *,
    title: str,
    points: Sequence[tuple[dt.datetime, float]],
    warning: float | None = None,
    breach: float | None = None,
    higher_is_better: bool = True,
) -> str:
    """A line of (time, value) points with the thresholds; breaching points are marked."""
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart metric-chart" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" height="{HEIGHT}" '
        f'font-family="DejaVu Sans, sans-serif" font-size="11">',
        f"<title>{escape(title)}</title>",
    ]
    if not points:
        parts.append(
            f'<text x="{LEFT}" y="{HEIGHT / 2}" fill="{COLOURS["axis"]}">No values yet.</text>'
        )
        parts.append("</svg>")
        return "".join(parts)
    values = [v for _, v in points]
    marks = [t for t in (warning, breach) if t is not None]
    low, high = min([*values, *marks]), max([*values, *marks])
    if high == low:
        low, high = low - 1, high + 1
    pad = (high - low) * 0.08
    low, high = low - pad, high + pad
    start, end = points[0][0], points[-1][0]
    span = max((end - start).total_seconds(), 1.0)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(moment: dt.datetime) -> float:
        return LEFT + plot_w * (moment - start).total_seconds() / span

    def y(value: float) -> float:
        return TOP + plot_h * (high - value) / (high - low)

    parts.append(
        f"<desc>{escape(title)}: {len(points)} values from {start:%Y-%m-%d} to {end:%Y-%m-%d}, "
        f"lowest {_fmt(min(values))}, highest {_fmt(max(values))}.</desc>"
    )
    parts.append(
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" '
        f'stroke="{COLOURS["axis"]}"/>'
    )
    for label, value in (("high", high - pad), ("low", low + pad)):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end" '
            f'fill="{COLOURS["axis"]}" aria-label="{label}">{_fmt(value)}</text>'
        )
    for name, line, dash in (
        ("warning", warning, ' stroke-dasharray="6 4"'),
        ("breach", breach, ""),
    ):
        if line is None:
            continue
        parts.append(
            f'<line x1="{LEFT}" y1="{y(line):.1f}" x2="{WIDTH - RIGHT}" y2="{y(line):.1f}" '
            f'stroke="{COLOURS[name]}"{dash}/>'
            f'<text x="{WIDTH - RIGHT}" y="{y(line) - 4:.1f}" text-anchor="end" '
            f'fill="{COLOURS[name]}">{name} {_fmt(line)}</text>'
        )
    path = " ".join(f"{x(t):.1f},{y(v):.1f}" for t, v in points)
    parts.append(
        f'<polyline fill="none" stroke="{COLOURS["line"]}" stroke-width="1.5" points="{path}"/>'
    )
    if breach is not None:
        for moment, value in points:
            beyond = value < breach if higher_is_better else value > breach
            if beyond:
                parts.append(
                    f'<circle cx="{x(moment):.1f}" cy="{y(value):.1f}" r="3.5" '
                    f'fill="{COLOURS["breach"]}"><title>breach: {_fmt(value)} on '
                    f"{moment:%Y-%m-%d}</title></circle>"
                )
    parts.append(
        f'<text x="{LEFT}" y="{HEIGHT - 8}" fill="{COLOURS["axis"]}">{start:%Y-%m-%d}</text>'
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end" '
        f'fill="{COLOURS["axis"]}">{end:%Y-%m-%d}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)
