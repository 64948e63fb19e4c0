"""Registries the rooms built on the governance core plug into the dashboard with.

`governance` never imports `audits`, yet the dashboard shows what the audit rooms know (bias
audits stale or due, reports). Those rooms register here from their AppConfig.ready():

    @register_overview_panel("bias_audits", order=40)
    def bias_panel(user) -> OverviewPanel | None: ...

    @register_gate_facts("bias.latest_final_independent_audit")
    def latest_audits(deployments) -> dict[deployment_id, audit | None]: ...

    @register_checklist("bias_audit")
    def bias_items(deployments, facts) -> dict[deployment_id, list[ChecklistItem]]: ...

    register_portfolio_filter(PortfolioFilter("bias", "Bias audit", choices, apply))

Every registered function must run a constant number of queries, whatever the number of
deployments it is given: the pages that call them assert their query counts.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# --- Overview panels ---------------------------------------------------------------------


@dataclass(frozen=True)
class PanelNumber:
    """One figure of an overview panel, and the filtered list that lists what it counts."""

    label: str
    count: int
    url: str
    tone: str = ""  # "bad", "warn" or "" (neutral); the page colours the figure by it


@dataclass(frozen=True)
class DataTable:
    """The numbers behind a chart, as a table for screen readers and copying."""

    caption: str
    columns: list[str]
    rows: list[list[str]]


@dataclass(frozen=True)
class OverviewPanel:
    title: str
    numbers: list[PanelNumber]
    help: str = ""
    # Up to a handful of rows shown under the numbers: (text, url, note).
    rows: list[tuple[str, str, str]] = field(default_factory=list)
    empty: str = "Nothing to show."
    # Where to go on from the empty state: (label, url); without one, the first figure's list.
    empty_action: tuple[str, str] | None = None
    # Server-side SVG (escaped by the chart helper) and the table of its values.
    chart: str = ""
    table: DataTable | None = None


PanelSource = Callable[[Any], "OverviewPanel | None"]

_overview_panels: dict[str, tuple[int, PanelSource]] = {}
# What a person must act on, shown on the reviewer's and the requester's homes (the overview
# shows the overview panels). `source(user)` returns the panel, or None when there is nothing
# for that person to do.
_home_panels: dict[str, tuple[int, PanelSource]] = {}


def _registrar(
    registry: dict[str, tuple[int, PanelSource]], name: str, order: int
) -> Callable[[PanelSource], PanelSource]:
    def decorator(source: PanelSource) -> PanelSource:
        registry[name] = (order, source)
        return source

    return decorator


def _shown(registry: dict[str, tuple[int, PanelSource]], user: Any) -> list[OverviewPanel]:
    ordered = sorted(registry.values(), key=lambda entry: entry[0])
    return [panel for _, source in ordered if (panel := source(user)) is not None]


def register_overview_panel(name: str, *, order: int = 50) -> Callable[[PanelSource], PanelSource]:
    """Add a panel to the compliance overview; `source(user)` returns it, or None to hide it."""
    return _registrar(_overview_panels, name, order)


def overview_panels(user: Any) -> list[OverviewPanel]:
    return _shown(_overview_panels, user)


def register_home_panel(name: str, *, order: int = 50) -> Callable[[PanelSource], PanelSource]:
    """Add a panel to the role homes other than the overview."""
    return _registrar(_home_panels, name, order)


def home_panels(user: Any) -> list[OverviewPanel]:
    return _shown(_home_panels, user)


# --- Bulk facts for the gate, and checklist items ----------------------------------------

FactsSource = Callable[[Sequence[Any]], Mapping[Any, Any]]

_gate_facts: dict[str, FactsSource] = {}


def register_gate_facts(key: str) -> Callable[[FactsSource], FactsSource]:
    """Provide, for many deployments at once, the fact a gate check memoises under `key`.

    The dashboard evaluates the gate for a whole page of deployments by filling each
    evaluation's `GateFacts` from these, so the checks run without a query per row.
    """

    def decorator(source: FactsSource) -> FactsSource:
        _gate_facts[key] = source
        return source

    return decorator


def gate_fact_sources() -> dict[str, FactsSource]:
    return dict(_gate_facts)


@dataclass(frozen=True)
class ChecklistItem:
    """One thing that stands (or stood) between a deployment and an open gate."""

    key: str
    label: str
    done: bool
    detail: str = ""
    url: str = ""


# (deployments, {deployment id: GateFacts}) -> {deployment id: items}
ChecklistSource = Callable[[Sequence[Any], Mapping[Any, Any]], Mapping[Any, list[ChecklistItem]]]

_checklists: dict[str, tuple[int, ChecklistSource]] = {}


def register_checklist(
    name: str, *, order: int = 50
) -> Callable[[ChecklistSource], ChecklistSource]:
    """Add items to the requester's checklist (the assessment is 10, the owner 20, approval 90)."""

    def decorator(source: ChecklistSource) -> ChecklistSource:
        _checklists[name] = (order, source)
        return source

    return decorator


def checklist_sources() -> list[tuple[int, ChecklistSource]]:
    return sorted(_checklists.values(), key=lambda entry: entry[0])


# --- Filters of the portfolio list --------------------------------------------------------


@dataclass(frozen=True)
class PortfolioFilter:
    """An extra filter of the portfolio list: `apply(queryset, value)` narrows deployments."""

    name: str
    label: str
    choices: list[tuple[str, str]]
    apply: Callable[[Any, str], Any]


_portfolio_filters: dict[str, PortfolioFilter] = {}


def register_portfolio_filter(spec: PortfolioFilter) -> PortfolioFilter:
    _portfolio_filters[spec.name] = spec
    return spec


def portfolio_filters() -> list[PortfolioFilter]:
    return list(_portfolio_filters.values())
