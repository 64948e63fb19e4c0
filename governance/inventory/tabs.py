"""The tabs of the deployment page. Each room owns the page behind its tab.

A tab appears once its room defines the URL name (taking the deployment's `pk`), so the
page grows as rooms land without this module importing them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.urls import NoReverseMatch, reverse

DEPLOYMENT_TABS: list[tuple[str, str, str]] = [
    ("overview", "Overview", "inventory:deployment_detail"),
    ("risk", "Risk", "risk:deployment_risk"),
    ("approvals", "Approvals", "approvals:deployment_approvals"),
    ("bias", "Bias audits", "bias:deployment_audits"),
    ("findings", "Findings", "findings:deployment_findings"),
    ("obligations", "Obligations", "obligations:deployment_obligations"),
    ("accountability", "Accountability", "liability:deployment_accountability"),
    ("monitoring", "Monitoring", "monitoring:deployment_monitoring"),
    ("reports", "Reports", "reports:deployment_reports"),
    ("history", "History", "inventory:deployment_history"),
]


def deployment_tabs(deployment: Any, current: str) -> list[dict[str, Any]]:
    tabs = []
    for key, label, name in DEPLOYMENT_TABS:
        try:
            url = reverse(name, kwargs={"pk": deployment.pk})
        except NoReverseMatch:
            continue
        tabs.append({"key": key, "label": label, "url": url, "active": key == current})
    return tabs


# --- Panels of the overview tab -------------------------------------------------------------
#
# Rooms built on the inventory add panels to the deployment's overview (the gate's verdict,
# the requester's checklist, …) without the inventory importing them. A panel source takes the
# request and the deployment and returns (template, context) or None to show nothing; its
# template reads its context as `panel`. Sources run a constant number of queries.

OverviewPanelSource = Callable[[Any, Any], "tuple[str, dict[str, Any]] | None"]

_overview_panels: dict[str, tuple[int, OverviewPanelSource]] = {}


def register_overview_panel(
    name: str, *, order: int = 50
) -> Callable[[OverviewPanelSource], OverviewPanelSource]:
    def decorator(source: OverviewPanelSource) -> OverviewPanelSource:
        _overview_panels[name] = (order, source)
        return source

    return decorator


def overview_panels(request: Any, deployment: Any) -> list[dict[str, Any]]:
    panels = []
    for name, (_, source) in sorted(_overview_panels.items(), key=lambda item: item[1][0]):
        found = source(request, deployment)
        if found is not None:
            template, context = found
            panels.append({"name": name, "template": template, "context": context})
    return panels


# --- Notes beside the status badge ------------------------------------------------------------
#
# A room can say something about the deployment's status that the status alone does not tell
# (an approved deployment whose approval no longer holds). A note source takes the request and
# the deployment, like a panel source, and returns a StatusNote or None, in a constant number
# of queries.


@dataclass(frozen=True)
class StatusNote:
    label: str
    detail: str
    url: str = ""
    replaces_status: bool = False  # the status's own label would mislead (e.g. "Approved")


StatusNoteSource = Callable[[Any, Any], "StatusNote | None"]

_status_notes: dict[str, StatusNoteSource] = {}


def register_status_note(name: str) -> Callable[[StatusNoteSource], StatusNoteSource]:
    def decorator(source: StatusNoteSource) -> StatusNoteSource:
        _status_notes[name] = source
        return source

    return decorator


def status_notes(request: Any, deployment: Any) -> list[StatusNote]:
    return [note for source in _status_notes.values() if (note := source(request, deployment))]
