"""Reads of the monitoring room, each a fixed number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.db.models import F, Prefetch, QuerySet, Window
from django.db.models.functions import RowNumber

from governance.monitoring.choices import IncidentStatus
from governance.monitoring.models import (
    Alert,
    DeploymentAction,
    DriftResult,
    Incident,
    MonitoringPlan,
    Observation,
)


def current_plan_of(deployment: Any) -> MonitoringPlan | None:
    return (
        MonitoringPlan.objects.filter(deployment_id=deployment.pk, is_current=True)
        .select_related("owner")
        .prefetch_related("metrics")
        .first()
    )


def incidents_for(user: Any) -> QuerySet[Incident]:
    # Every role with VIEW reads every incident (checked by the caller's permission class).
    return Incident.objects.select_related("deployment__model_version__system", "created_by")


def incident_pages_for(user: Any) -> QuerySet[Incident]:
    """Incidents with their actions on the deployment, as the incident page lists them."""
    actions = DeploymentAction.objects.select_related("actor", "rollback_to__model_version__system")
    return incidents_for(user).prefetch_related(Prefetch("actions", queryset=actions))


def alerts_for(user: Any) -> QuerySet[Alert]:
    return Alert.objects.select_related("deployment__model_version__system")


def drift_for(deployment: Any) -> QuerySet[DriftResult]:
    return DriftResult.objects.filter(deployment_id=deployment.pk)


def latest_drift_by_feature(deployment: Any) -> list[DriftResult]:
    """The newest result per feature, by feature name: one query, however long the history."""
    newest_first = Window(
        RowNumber(), partition_by=[F("feature")], order_by=[F("created_at").desc(), F("id")]
    )
    return list(
        drift_for(deployment).annotate(rank=newest_first).filter(rank=1).order_by("feature")
    )


def points_by_metric(
    deployment: Any, keys: Iterable[str], *, since: dt.datetime
) -> dict[str, list[tuple[dt.datetime, float]]]:
    """Each metric's values whose window ends since `since`, oldest first: one query."""
    by_metric: dict[str, list[tuple[dt.datetime, float]]] = {key: [] for key in keys}
    if not by_metric:
        return by_metric
    rows = (
        Observation.objects.filter(
            deployment_id=deployment.pk, metric__in=list(by_metric), window_end__gte=since
        )
        .order_by("window_end", "id")
        .values_list("metric", "window_end", "value")
    )
    for metric, moment, value in rows.iterator(chunk_size=5000):
        by_metric[metric].append((moment, value))
    return by_metric


def open_incident_clocks() -> QuerySet[Incident]:
    """Serious incidents not yet reported to the authority, nearest deadline first."""
    return (
        Incident.objects.filter(
            serious=True,
            report_kind="",
            status__in=[IncidentStatus.OPEN, IncidentStatus.INVESTIGATING],
        )
        .select_related("deployment__model_version__system")
        .order_by("report_due_at")
    )


def monitoring_tab(deployment: Any, *, days: int = 365) -> dict[str, Any]:
    """Everything the Monitoring tab shows, in six queries whatever the data size."""
    from django.utils import timezone

    from governance.monitoring.charts import metric_chart_svg
    from governance.monitoring.choices import Direction

    plan = current_plan_of(deployment)
    metrics = list(plan.metrics.all()) if plan else []
    since = timezone.now() - dt.timedelta(days=days)
    by_metric = points_by_metric(deployment, [m.key for m in metrics], since=since)
    charts = []
    for metric in metrics:
        points = by_metric[metric.key]
        charts.append(
            {
                "metric": metric,
                "latest": points[-1] if points else None,
                "count": len(points),
                "svg": metric_chart_svg(
                    title=f"{metric.name} over the last {days} days",
                    points=points,
                    warning=float(metric.warning_threshold),
                    breach=float(metric.breach_threshold),
                    higher_is_better=metric.direction == Direction.HIGHER_IS_BETTER,
                ),
            }
        )
    return {
        "plan": plan,
        "charts": charts,
        "drift": latest_drift_by_feature(deployment),
        "alerts": list(
            Alert.objects.filter(deployment_id=deployment.pk).order_by("-created_at")[:20]
        ),
        "incidents": list(
            Incident.objects.filter(deployment_id=deployment.pk)
            .select_related("created_by")
            .order_by("-aware_at")[:20]
        ),
    }
