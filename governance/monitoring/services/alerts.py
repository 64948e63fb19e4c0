"""Alerts: a metric crossed a threshold, or went silent. Each is ledgered; a breach or a
silence opens a finding (or joins the one already open for that metric)."""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from governance.accounts.permissions import Perm, can
from governance.core.errors import Conflict
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment
from governance.ledger.services import ledger_append
from governance.monitoring.choices import AlertLevel
from governance.monitoring.models import Alert, MonitoringPlan, Observation, PlanMetric
from governance.monitoring.rules import SILENCE_CADENCES

logger = logging.getLogger(__name__)


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
    """Record an alert inside the caller's transaction; breaches and silences need action.

    The finding is settled first (opened, or the open one joined), so the alert row, which is
    never edited, is written once with its link, and its ledger event names the finding.
    """
    with transaction.atomic():
        alert = Alert(
            id=uuid.uuid4(),
            deployment=deployment,
            metric=metric.key,
            level=level,
            value=value,
            threshold=threshold,
            window_end=window_end,
            batch=batch,
        )
        if level in (AlertLevel.BREACH, AlertLevel.SILENT):
            alert.finding_id = _open_or_join_finding(alert, metric)
        alert.save(force_insert=True)
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
                "finding": None if alert.finding_id is None else str(alert.finding_id),
            },
        )
    return alert


def _open_or_join_finding(alert: Alert, metric: PlanMetric) -> Any:
    """A breach or a silence needs someone to act: open a finding, or join the one still open
    for the same metric and kind of alert, so repeated breaches never flood the list."""
    from governance.findings.models import Finding
    from governance.findings.selectors import open_q
    from governance.findings.services import default_owner, finding_raise_automatic

    stem = f"monitoring:{alert.deployment_id}:{metric.key}:{alert.level}:"
    joined = (
        Finding.objects.filter(
            open_q(), source_kind="monitoring_alert", source_ref__startswith=stem
        )
        .order_by("created_at")
        .values_list("pk", flat=True)
        .first()
    )
    if joined is None:
        owner = metric.plan.owner  # the plan names who watches this deployment
        if not (owner.is_active and can(owner, Perm.FINDING_WORK)):
            try:
                owner = default_owner(alert.deployment)
            except Conflict:
                logger.warning("monitoring alert %s has nobody to own its finding", alert.pk)
                return None
        what = (
            f"{metric.name} breached its threshold ({alert.value:.4g} against "
            f"{metric.breach_threshold.normalize()})"
            if alert.level == AlertLevel.BREACH
            else f"{metric.name} has reported nothing for more than "
            f"{SILENCE_CADENCES} × {metric.cadence_hours} hours"
        )
        finding = finding_raise_automatic(
            deployment=alert.deployment,
            source_kind="monitoring_alert",
            source_ref=f"{stem}{alert.pk}",
            severity=metric.severity,
            title=what if alert.level == AlertLevel.BREACH else f"Monitoring silent: {what}",
            description=(
                f"Raised by the post-market monitoring plan v{metric.plan.version}. "
                "Later alerts of the same kind on this metric join this finding while it is "
                "open."
            ),
            owner=owner,
        )
        joined = finding.pk if finding is not None else None
    return joined


# Only a deployment that runs is expected to report.
RUNNING = (DeploymentStatus.APPROVED, DeploymentStatus.ACTIVE)


def silent_metrics(now: dt.datetime) -> list[tuple[PlanMetric, dt.datetime | None]]:
    """Metrics of running deployments' current plans with no value for longer than
    SILENCE_CADENCES cadences.

    One query whatever the number of observations: each watched metric carries the latest
    window end of its own series, read newest first from the series index
    (deployment, metric, window_end), so the sweep never aggregates the whole table.
    """
    last_heard = (
        Observation.objects.filter(
            deployment_id=OuterRef("plan__deployment_id"), metric=OuterRef("key")
        )
        .order_by("-window_end")
        .values("window_end")[:1]
    )
    metrics = (
        PlanMetric.objects.filter(plan__is_current=True, plan__deployment__status__in=RUNNING)
        .select_related("plan__deployment")
        .annotate(last=Subquery(last_heard))
    )
    silent: list[tuple[PlanMetric, dt.datetime | None]] = []
    for metric in metrics:
        since = metric.last or metric.plan.created_at
        if now - since > dt.timedelta(hours=metric.cadence_hours * SILENCE_CADENCES):
            silent.append((metric, metric.last))
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
