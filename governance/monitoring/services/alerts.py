"""Alerts: a metric crossed a threshold, or went silent. Each is ledgered; a breach or a
silence opens a finding (or joins the one already open for that metric)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from governance.inventory.models import Deployment
from governance.ledger.services import ledger_append
from governance.monitoring.choices import AlertLevel
from governance.monitoring.models import Alert, MonitoringPlan, Observation, PlanMetric
from governance.monitoring.rules import SILENCE_CADENCES


def alert_raise(
    *,
    deployment: Deployment,
    metric: PlanMetric,
    level: str,
    value: float | None = None,
    threshold: Decimal | None = None,
    window_end: dt.datetime | None = None,
    batch: Any = None,
) -> Alert:
    """Record an alert inside the caller's transaction; breaches and silences need action."""
    with transaction.atomic():
        alert = Alert.objects.create(
            deployment=deployment,
            metric=metric.key,
            level=level,
            value=value,
            threshold=threshold,
            window_end=window_end,
            batch=batch,
        )
        ledger_append(
            actor=None,
            action="monitoring_alert.raised",
            subject=alert,
            deployment_id=deployment.pk,
            data={
                "metric": metric.key,
                "level": level,
                "value": None if value is None else repr(value),
                "threshold": None if threshold is None else str(threshold),
            },
        )
    return alert


def silent_metrics(now: dt.datetime) -> list[tuple[PlanMetric, dt.datetime | None]]:
    """Metrics of current plans with no value for longer than SILENCE_CADENCES cadences.

    Two queries whatever the number of plans: the current plans' metrics, and the latest
    window end per (deployment, metric).
    """
    metrics = list(
        PlanMetric.objects.filter(plan__is_current=True).select_related("plan__deployment")
    )
    latest = {
        (row["deployment_id"], row["metric"]): row["last"]
        for row in Observation.objects.values("deployment_id", "metric").annotate(
            last=Max("window_end")
        )
    }
    silent = []
    for metric in metrics:
        deployment = metric.plan.deployment
        if deployment.status not in {"active", "approved"}:
            continue  # nothing is expected from a deployment that does not run
        last = latest.get((deployment.pk, metric.key))
        since = last or metric.plan.created_at
        if now - since > dt.timedelta(hours=metric.cadence_hours * SILENCE_CADENCES):
            silent.append((metric, last))
    return silent


def silence_sweep(*, now: dt.datetime | None = None) -> list[Alert]:
    """Raise one "monitoring silent" alert per silent metric and silence (safe to run twice)."""
    now = now or timezone.now()
    raised: list[Alert] = []
    for metric, last in silent_metrics(now):
        with transaction.atomic():
            # Lock the plan so two sweeps running at once raise the alert once.
            MonitoringPlan.objects.select_for_update().get(pk=metric.plan_id)
            # One alert per silence: a silent alert records the last value heard before it,
            # so the same silence is recognised however often the sweep runs.
            already = Alert.objects.filter(
                deployment_id=metric.plan.deployment_id,
                metric=metric.key,
                level=AlertLevel.SILENT,
            )
            already = (
                already.filter(window_end=last)
                if last is not None
                else already.filter(window_end__isnull=True)
            )
            if already.exists():
                continue
            raised.append(
                alert_raise(
                    deployment=metric.plan.deployment,
                    metric=metric,
                    level=AlertLevel.SILENT,
                    window_end=last,
                )
            )
    return raised
