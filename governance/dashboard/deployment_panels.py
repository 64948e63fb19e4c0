"""Panels of the deployment page's overview tab: the gate's verdict and the checklist."""

from __future__ import annotations

from typing import Any

from governance.approvals.selectors import page_gate
from governance.dashboard.standing import standing_of
from governance.inventory.tabs import register_overview_panel


@register_overview_panel("gate", order=10)
def gate_panel(request: Any, deployment: Any) -> tuple[str, dict[str, Any]]:
    """The gate's own verdict, with every reason it stays closed (not recorded: nobody asked)."""
    return "dashboard/_gate_panel.html", {"gate": page_gate(request, deployment)}


@register_overview_panel("checklist", order=20)
def checklist_panel(request: Any, deployment: Any) -> tuple[str, dict[str, Any]]:
    return "dashboard/_checklist_panel.html", {"standing": standing_of(deployment)}
