"""The monitoring room's part of a dossier (Annex IV §9, the post-market monitoring of Art 72).

What the document states: the current monitoring plan (each metric with its thresholds and
cadence, the owner, the version), the values received over the period (the last 12 months up
to the snapshot) summarised per metric with one chart each, the latest drift per feature, the
alerts of the period, every incident with its Art 73 clock, what was reported to the
authority and the corrective action, and the suspensions and rollbacks taken.

Reading costs the same whatever the number of values: the per-metric figures are aggregated
by the database, and the charts' points are read in one query. The points go into the
evidence, so the charts are drawn from the frozen data alone, with the monitoring room's own
`metric_chart_svg`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from django.db.models import Avg, Case, Count, IntegerField, Max, Min, Q, Sum, Value, When

from audits.reports.sections import Section, SnapshotContext
from governance.core.canonical import format_timestamp
from governance.monitoring.charts import metric_chart_svg
from governance.monitoring.choices import (
    AlertLevel,
    AuthorityReportKind,
    DeploymentActionKind,
    Direction,
    DriftBand,
    IncidentStatus,
    MetricKind,
    SeriousCategory,
    Severity,
)
from governance.monitoring.models import (
    Alert,
    DeploymentAction,
    Incident,
    Observation,
    PlanMetric,
)
from governance.monitoring.rules import ART73_REPORT_DEADLINES
from governance.monitoring.selectors import (
    current_plan_of,
    latest_drift_by_feature,
    points_by_metric,
)

PERIOD_DAYS = 365
ALERTS_LISTED = 100  # the most recent alerts of the period printed; all are counted
NO_PLAN = "No post-market monitoring plan is recorded; Art 72 requires one for high-risk systems."


def _time(value: dt.datetime | None) -> str | None:
    return format_timestamp(value) if value else None


def _person(user: Any) -> dict[str, str] | None:
    if user is None:
        return None
    return {"username": user.get_username(), "name": user.display_name}


def chart_name(key: str) -> str:
    return f"monitoring-{key}.svg"


def _label(choices: Any, value: str) -> str:
    return dict(choices.choices).get(value, value) if value else ""


def _metric(metric: PlanMetric) -> dict[str, Any]:
    return {
        "key": metric.key,
        "name": metric.name,
        "kind": metric.kind,
        "kind_label": _label(MetricKind, metric.kind),
        "direction": metric.direction,
        "direction_label": _label(Direction, metric.direction),
        "warning_threshold": str(metric.warning_threshold),
        "breach_threshold": str(metric.breach_threshold),
        "cadence_hours": metric.cadence_hours,
        "severity": metric.severity,
        "severity_label": _label(Severity, metric.severity),
        "feature": metric.feature,
    }


def _breaching(metric: PlanMetric) -> Q:
    limit = metric.breach_threshold
    if metric.direction == Direction.HIGHER_IS_BETTER:
        return Q(metric=metric.key, value__lt=limit)
    return Q(metric=metric.key, value__gt=limit)


def _figures(deployment_id: Any, metrics: list[PlanMetric], since: dt.datetime) -> dict[str, Any]:
    """Count, lowest, mean, highest and breaches per metric: one aggregate query."""
    if not metrics:
        return {}
    breaches = Sum(
        Case(
            *(When(_breaching(m), then=Value(1)) for m in metrics),
            default=Value(0),
            output_field=IntegerField(),
        )
    )
    rows = (
        Observation.objects.filter(
            deployment_id=deployment_id,
            metric__in=[m.key for m in metrics],
            window_end__gte=since,
        )
        .order_by()
        .values("metric")
        .annotate(
            count=Count("id"),
            low=Min("value"),
            mean=Avg("value"),
            high=Max("value"),
            breaches=breaches,
        )
    )
    return {row["metric"]: row for row in rows}


def _observed(plan: Any, deployment: Any, since: dt.datetime) -> list[dict[str, Any]]:
    metrics = list(plan.metrics.all()) if plan is not None else []
    figures = _figures(deployment.pk, metrics, since)
    points = points_by_metric(deployment, [m.key for m in metrics], since=since)
    rows = []
    for metric in metrics:
        found = figures.get(metric.key, {})
        series = [[format_timestamp(moment), value] for moment, value in points[metric.key]]
        rows.append(
            {
                **_metric(metric),
                "count": found.get("count", 0),
                "low": found.get("low"),
                "mean": found.get("mean"),
                "high": found.get("high"),
                "breaches": found.get("breaches") or 0,
                "latest": {"at": series[-1][0], "value": series[-1][1]} if series else None,
                "chart": chart_name(metric.key),
                "points": series,
            }
        )
    return rows


def alert_row(alert: Alert) -> dict[str, Any]:
    return {
        "id": str(alert.pk),
        "raised_at": _time(alert.created_at),
        "metric": alert.metric,
        "level": alert.level,
        "level_label": _label(AlertLevel, alert.level),
        "value": alert.value,
        "threshold": str(alert.threshold) if alert.threshold is not None else None,
        "window_end": _time(alert.window_end),
        "finding": str(alert.finding_id) if alert.finding_id else None,
    }


def _drift(deployment: Any) -> list[dict[str, Any]]:
    return [
        {
            "feature": result.feature,
            "psi": result.psi,
            "js_distance": result.js_distance,
            "band": result.band,
            "band_label": _label(DriftBand, result.band),
            "computed_at": _time(result.created_at),
            "window_start": _time(result.window_start),
            "window_end": _time(result.window_end),
        }
        for result in latest_drift_by_feature(deployment)
    ]


def clock(incident: Incident, now: dt.datetime) -> dict[str, Any]:
    """The Art 73 clock of an incident as it stood at `now`: due, reported, met or missed."""
    if not incident.serious or incident.report_due_at is None:
        return {"applies": False}
    due = incident.report_due_at
    reported = incident.reported_at
    deadline = ART73_REPORT_DEADLINES.get(incident.serious_category)
    if reported is not None:
        state = "met" if reported <= due else "missed"
    else:
        state = "overdue" if now > due else "running"
    return {
        "applies": True,
        "deadline_days": deadline.days if deadline is not None else None,
        "due_at": _time(due),
        "state": state,
        "met": state == "met" if reported is not None else None,
        "reported_at": _time(reported),
    }


def incident_row(incident: Incident, now: dt.datetime) -> dict[str, Any]:
    return {
        "id": str(incident.pk),
        "title": incident.title,
        "description": incident.description,
        "occurred_at": _time(incident.occurred_at),
        "aware_at": _time(incident.aware_at),
        "severity": incident.severity,
        "severity_label": _label(Severity, incident.severity),
        "serious": incident.serious,
        "serious_category": incident.serious_category,
        "serious_category_label": _label(SeriousCategory, incident.serious_category),
        "status": incident.status,
        "status_label": _label(IncidentStatus, incident.status),
        "clock": clock(incident, now),
        "authority_report": (
            {
                "kind": incident.report_kind,
                "kind_label": _label(AuthorityReportKind, incident.report_kind),
                "authority": incident.authority,
                "reference": incident.authority_reference,
                "reported_at": _time(incident.reported_at),
            }
            if incident.report_kind
            else None
        ),
        "corrective_action": incident.corrective_action,
        "closed_at": _time(incident.closed_at),
        "reported_by": _person(incident.created_by),
        "recorded_at": _time(incident.created_at),
    }


def action_row(action: DeploymentAction) -> dict[str, Any]:
    target = action.rollback_to
    return {
        "id": str(action.pk),
        "kind": action.kind,
        "kind_label": _label(DeploymentActionKind, action.kind),
        "taken_at": _time(action.created_at),
        "by": _person(action.actor),
        "reason": action.reason,
        "incident": str(action.incident_id) if action.incident_id else None,
        "incident_title": action.incident.title if action.incident is not None else None,
        "rollback_to": (
            {
                "id": str(target.pk),
                "label": f"{target.model_version.system.name} "
                f"{target.model_version.version_label} → {target.environment}",
            }
            if target is not None
            else None
        ),
    }


def actions_query() -> Any:
    return DeploymentAction.objects.select_related(
        "actor", "incident", "rollback_to__model_version__system"
    ).order_by("created_at")


def build_dossier(ctx: SnapshotContext) -> dict[str, Any]:
    if ctx.deployment is None:
        raise ValueError("a dossier needs a deployment")
    deployment = ctx.deployment
    since = ctx.taken_at - dt.timedelta(days=PERIOD_DAYS)
    plan = current_plan_of(deployment)
    period_alerts = Alert.objects.filter(deployment_id=deployment.pk, created_at__gte=since)
    by_level = dict(
        period_alerts.order_by()
        .values_list("level")
        .annotate(n=Count("id"))
        .values_list("level", "n")
    )
    alerts = list(period_alerts.order_by("-created_at", "-id")[:ALERTS_LISTED])
    incidents = Incident.objects.filter(deployment_id=deployment.pk).select_related("created_by")
    actions = actions_query().filter(deployment_id=deployment.pk)
    return {
        "period": {"days": PERIOD_DAYS, "start": _time(since), "end": _time(ctx.taken_at)},
        "plan": (
            {
                "id": str(plan.pk),
                "version": plan.version,
                "owner": _person(plan.owner),
                "notes": plan.notes,
                "saved_at": _time(plan.created_at),
            }
            if plan is not None
            else None
        ),
        "no_plan": NO_PLAN if plan is None else "",
        "metrics": _observed(plan, deployment, since),
        "drift": _drift(deployment),
        "alerts": {
            "total": sum(by_level.values()),
            "by_level": [
                [level, label, by_level.get(level, 0)] for level, label in AlertLevel.choices
            ],
            "listed": [alert_row(a) for a in alerts],
        },
        "incidents": [
            incident_row(i, ctx.taken_at) for i in incidents.order_by("-aware_at", "-id")
        ],
        "actions": [action_row(a) for a in actions],
    }


def metric_charts(metrics: list[Mapping[str, Any]], days: int) -> dict[str, bytes]:
    images = {}
    for metric in metrics:
        points = [(dt.datetime.fromisoformat(at), value) for at, value in metric["points"]]
        images[metric["chart"]] = metric_chart_svg(
            title=f"{metric['name']} over the last {days} days",
            points=points,
            warning=float(metric["warning_threshold"]),
            breach=float(metric["breach_threshold"]),
            higher_is_better=metric["direction"] == Direction.HIGHER_IS_BETTER,
        ).encode()
    return images


def dossier_images(data: Mapping[str, Any]) -> dict[str, bytes]:
    return metric_charts(data["metrics"], data["period"]["days"])


SECTION = Section(
    key="monitoring",
    title="Post-market monitoring (Annex IV §9, Art 72)",
    annex_iv=(9,),
    template="reports/sections/monitoring.html",
    build=build_dossier,
    images=dossier_images,
)
