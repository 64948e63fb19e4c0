"""Demo monitoring: a plan, three months of daily values and drift for the live credit model.

Everything goes through the services (values as a pipeline would send them), so alerts and the
ledger are what the product would have recorded. Idempotent: a deployment that already has a
plan is left alone.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.utils import timezone

from governance.inventory.models import Deployment
from governance.monitoring.models import MonitoringPlan
from governance.monitoring.services.incidents import incident_report, incident_transition
from governance.monitoring.services.ingestion import drift_record, observations_ingest
from governance.monitoring.services.plans import monitoring_plan_save, plan_template

DAYS = 90


def _daily(metric: str, start: float, wobble: float, end: dt.datetime) -> list[dict[str, Any]]:
    points = []
    for day in range(DAYS, 0, -1):
        window_end = end - dt.timedelta(days=day - 1)
        value = start + wobble * math.sin(day / 6.0)
        points.append(
            {
                "metric": metric,
                "value": round(value, 4),
                "window_start": (window_end - dt.timedelta(days=1)).isoformat(),
                "window_end": window_end.isoformat(),
            }
        )
    return points


def seed(users: dict[str, Any]) -> None:
    deployment = (
        Deployment.objects.filter(environment="prod-eu", status="active")
        .select_related("model_version__system")
        .first()
    )
    if deployment is None or MonitoringPlan.objects.filter(deployment=deployment).exists():
        return
    engineer, officer = users["requester"], users["compliance"]
    monitoring_plan_save(
        deployment=deployment,
        owner=engineer,
        metrics=plan_template("III"),
        actor=engineer,
        notes="Daily batch scoring report from the credit pipeline; fairness weekly.",
    )
    end = timezone.now().replace(minute=0, second=0, microsecond=0) - dt.timedelta(hours=1)
    points = (
        _daily("accuracy", 0.885, 0.012, end)
        + _daily("missing_rate", 0.02, 0.008, end)
        + [p for i, p in enumerate(_daily("selection_rate_ratio", 0.9, 0.03, end)) if i % 7 == 0]
    )
    observations_ingest(deployment=deployment, points=points, actor=engineer)
    drift_record(
        deployment=deployment,
        actor=engineer,
        features=[
            {
                "feature": "income",
                "bins": ["< 20k", "20–40k", "40–80k", "≥ 80k"],
                "reference": [250, 250, 250, 250],
                "current": [100, 200, 300, 400],
            },
            {
                "feature": "age",
                "bins": ["18–30", "31–50", "51+"],
                "reference": [300, 450, 250],
                "current": [310, 440, 250],
            },
        ],
    )
    incident = incident_report(
        deployment=deployment,
        actor=officer,
        title="Scoring service answered with stale features for two hours",
        description="A feature-store job stalled; scores used the previous day's features. "
        "No decision was taken on them without review.",
        occurred_at=end - dt.timedelta(days=12, hours=3),
        aware_at=end - dt.timedelta(days=12, hours=1),
        severity="medium",
    )
    incident_transition(incident=incident, to_status="investigating", actor=officer)
