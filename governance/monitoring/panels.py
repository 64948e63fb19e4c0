"""What the monitoring room shows on the compliance overview (imported from `ready()`):
breaches of the last week, silent monitors, and the Art 73 reporting clocks nearest first."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone

from governance.accounts.permissions import Perm, can
from governance.dashboard.panels import (
    OverviewPanel,
    PanelNumber,
    register_gate_facts,
    register_overview_panel,
)
from governance.monitoring.choices import AlertLevel
from governance.monitoring.gate import OPEN_SERIOUS_INCIDENTS, open_serious_incidents
from governance.monitoring.models import Alert
from governance.monitoring.selectors import open_incident_clocks

ROWS = 5


@register_overview_panel("monitoring", order=35)
def monitoring_overview(user: Any) -> OverviewPanel | None:
    """Three queries: alert counts of the last week, open clocks, and their first rows."""
    if not can(user, Perm.VIEW):
        return None
    now = timezone.now()
    week = Alert.objects.filter(created_at__gte=now - dt.timedelta(days=7)).aggregate(
        breaches=Count("pk", filter=Q(level=AlertLevel.BREACH)),
        silent=Count("pk", filter=Q(level=AlertLevel.SILENT)),
    )
    clocks = open_incident_clocks()
    incidents = reverse("monitoring:incident_list")
    rows = []
    for incident in clocks[:ROWS]:
        due = incident.report_due_at
        late = due is not None and due < now
        rows.append(
            (
                incident.title,
                reverse("monitoring:incident_detail", kwargs={"pk": incident.pk}),
                f"{incident.deployment} · report "
                + ("overdue since " if late else "due ")
                + (f"{due:%Y-%m-%d %H:%M} UTC" if due else "—"),
            )
        )
    return OverviewPanel(
        title="Monitoring and incidents",
        help="Breaches and silences of the last seven days open findings; serious incidents "
        "must reach the authority within 2, 10 or 15 days of awareness (EU AI Act Art 73).",
        numbers=[
            PanelNumber("breaches this week", week["breaches"], incidents, "warn"),
            PanelNumber("silent monitors this week", week["silent"], incidents, "warn"),
            PanelNumber("reporting clocks running", clocks.count(), incidents, "bad"),
        ],
        rows=rows,
        empty="No serious incident waits to be reported.",
        empty_action=("Every incident", incidents),
    )


@register_gate_facts(OPEN_SERIOUS_INCIDENTS)
def open_serious_incident_facts(deployments: Sequence[Any]) -> dict[Any, Any]:
    return open_serious_incidents([d.pk for d in deployments])
