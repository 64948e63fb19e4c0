"""The overview's trend charts (the executive's and the compliance officer's home), each with
the table of its values. Charts come from `core.charts.trend_chart_svg`, the helper the PDF
reports draw with, so a page and a report show the same picture."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from governance.core.charts import trend_chart_svg
from governance.dashboard import trends
from governance.dashboard.panels import DataTable, OverviewPanel, register_overview_panel


def _value(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:g}" if value == int(value) else f"{value:.2f}"


def series_panel(
    *,
    title: str,
    help: str,
    x_title: str,
    x_labels: Sequence[str],
    series: dict[str, list[float | None]],
    chart_series: Sequence[str] | None = None,
    kind: str = "bars",
    threshold: tuple[float, str] | None = None,
) -> OverviewPanel:
    """A panel with a chart of `chart_series` (all by default) and a table of every series."""
    drawn = [(name, series[name]) for name in (chart_series or list(series))]
    chart = trend_chart_svg(
        title=title, x_labels=list(x_labels), series=drawn, kind=kind, threshold=threshold
    )
    rows = [
        [label, *(_value(values[i]) for values in series.values())]
        for i, label in enumerate(x_labels)
    ]
    table = DataTable(caption=title, columns=[x_title, *series], rows=rows)
    return OverviewPanel(title=title, numbers=[], help=help, chart=chart, table=table)


def _weekly(
    trend: trends.Trend | None, *, title: str, help: str, **chart: Any
) -> OverviewPanel | None:
    if trend is None:
        return None
    labels = [f"{week:%d %b}" for week in trend.weeks]
    return series_panel(
        title=title, help=help, x_title="Week of", x_labels=labels, series=trend.series, **chart
    )


def _register(name: str, order: int, build: Callable[[Any], OverviewPanel | None]) -> None:
    register_overview_panel(name, order=order)(build)


def approvals_panel(user: Any, now: dt.datetime | None = None) -> OverviewPanel | None:
    return _weekly(
        trends.approvals_trend(user, now),
        title="Approvals per week",
        help=f"Requested and completed in each of the last {trends.WEEKS} weeks (Monday to "
        "Sunday, UTC); the table adds the median days from request to approval.",
        chart_series=["Requested", "Completed"],
    )


def late_signoffs_panel(user: Any, now: dt.datetime | None = None) -> OverviewPanel | None:
    return _weekly(
        trends.late_signoffs_trend(user, now),
        title="Sign-offs past their SLA per week",
        help="Sign-offs given after their stage's service level had run out.",
    )


def gate_denials_panel(user: Any, now: dt.datetime | None = None) -> OverviewPanel | None:
    return _weekly(
        trends.gate_denials_trend(user, now),
        title="Gate denials per week",
        help="Deployments the gate refused to let through.",
    )


def findings_panel(user: Any, now: dt.datetime | None = None) -> OverviewPanel | None:
    return _weekly(
        trends.findings_trend(user, now),
        title="Findings opened and closed per week",
        help="Findings raised, and findings closed after verification.",
    )


_register("trend_approvals", 80, approvals_panel)
_register("trend_late_signoffs", 81, late_signoffs_panel)
_register("trend_gate_denials", 82, gate_denials_panel)
_register("trend_findings", 83, findings_panel)
