"""The monitoring room's gate check: an open serious incident closes the gate.

One query for one deployment; the dashboard's bulk standing reads every deployment's open
serious incidents in one query through the registered gate facts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from governance.approvals.gate_checks import GateFacts, facts_for, register_gate_check

OPEN_SERIOUS_INCIDENTS = "monitoring.open_serious_incidents"


def open_serious_incidents(deployment_ids: Sequence[Any]) -> dict[Any, list[str]]:
    """The titles of each deployment's open serious incidents, oldest awareness first."""
    from governance.monitoring.choices import IncidentStatus
    from governance.monitoring.models import Incident

    found: dict[Any, list[str]] = {pk: [] for pk in deployment_ids}
    rows = (
        Incident.objects.filter(deployment_id__in=list(deployment_ids), serious=True)
        .exclude(status=IncidentStatus.CLOSED)
        .order_by("aware_at")
        .values_list("deployment_id", "title")
    )
    for deployment_id, title in rows:
        found.setdefault(deployment_id, []).append(title)
    return found


@register_gate_check("serious_incident")
def serious_incident_check(deployment: Any, facts: GateFacts | None = None) -> list[str]:
    titles = facts_for(deployment, facts).memo(
        OPEN_SERIOUS_INCIDENTS, lambda: open_serious_incidents([deployment.pk])[deployment.pk]
    )
    return [f"an open serious incident: {title}" for title in titles or []]
