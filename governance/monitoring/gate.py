"""The monitoring room's gate check: an open serious incident closes the gate."""

from __future__ import annotations

from typing import Any

from governance.approvals.gate_checks import GateFacts, register_gate_check


@register_gate_check("serious_incident")
def serious_incident_check(deployment: Any, facts: GateFacts | None = None) -> list[str]:
    """One query: the open serious incidents of this deployment, named in the answer."""
    from governance.monitoring.choices import IncidentStatus
    from governance.monitoring.models import Incident

    titles = (
        Incident.objects.filter(deployment_id=deployment.pk, serious=True)
        .exclude(status=IncidentStatus.CLOSED)
        .order_by("aware_at")
        .values_list("title", flat=True)[:5]
    )
    return [f"an open serious incident: {title}" for title in titles]
