"""Monitoring plans: versioned, started from the tier's template, every change ledgered."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction

from governance.core.errors import InvalidInput
from governance.inventory.models import Deployment
from governance.ledger.services import ledger_append, ledger_write_lock
from governance.monitoring.choices import Direction, MetricKind, Severity
from governance.monitoring.models import MonitoringPlan, PlanMetric
from governance.monitoring.rules import PLAN_TEMPLATES

METRIC_FIELDS = (
    "key",
    "name",
    "kind",
    "direction",
    "warning_threshold",
    "breach_threshold",
    "cadence_hours",
    "severity",
    "feature",
)


def plan_template(tier: str | None) -> list[dict[str, Any]]:
    """The metrics a new plan starts with for a tier (tier II's when the tier is unknown)."""
    rows = PLAN_TEMPLATES.get(tier or "II", PLAN_TEMPLATES["II"])
    return [dict(zip(METRIC_FIELDS[:8], row, strict=True)) | {"feature": ""} for row in rows]


def _decimal(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal | None:
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        errors.setdefault(field, []).append("must be a number")
        return None
    if not number.is_finite() or abs(number) >= Decimal("1e8"):
        errors.setdefault(field, []).append("must be a finite number below 100,000,000")
        return None
    return number


def _clean_metric(raw: Mapping[str, Any], index: int, errors: dict[str, list[str]]) -> dict:
    where = f"metrics[{index}]"
    out: dict[str, Any] = {}
    key = str(raw.get("key", "")).strip()
    if not key or len(key) > 80 or not all(c.isalnum() or c in "_-" for c in key):
        errors.setdefault(f"{where}.key", []).append(
            "letters, digits, '_' or '-' (at most 80 characters)"
        )
    out["key"] = key
    out["name"] = str(raw.get("name") or key)[:200]
    for field, choices in (
        ("kind", MetricKind),
        ("direction", Direction),
        ("severity", Severity),
    ):
        value = raw.get(field)
        if value not in choices.values:
            errors.setdefault(f"{where}.{field}", []).append(f"one of {', '.join(choices.values)}")
        out[field] = value
    warning = _decimal(raw.get("warning_threshold"), f"{where}.warning_threshold", errors)
    breach = _decimal(raw.get("breach_threshold"), f"{where}.breach_threshold", errors)
    if warning is not None and breach is not None and out["direction"] in Direction.values:
        # The breach threshold is the worse of the two in the metric's direction.
        ordered = (
            breach <= warning
            if out["direction"] == Direction.HIGHER_IS_BETTER
            else (breach >= warning)
        )
        if not ordered:
            errors.setdefault(f"{where}.breach_threshold", []).append(
                "must be at least as bad as the warning threshold in the metric's direction"
            )
    out["warning_threshold"], out["breach_threshold"] = warning, breach
    cadence = raw.get("cadence_hours")
    if not isinstance(cadence, int) or isinstance(cadence, bool) or not 1 <= cadence <= 24 * 366:
        errors.setdefault(f"{where}.cadence_hours", []).append(
            "a whole number of hours from 1 to 8784"
        )
    out["cadence_hours"] = cadence
    out["feature"] = str(raw.get("feature") or "")[:200]
    if out["kind"] == MetricKind.DRIFT and not out["feature"]:
        errors.setdefault(f"{where}.feature", []).append("a drift metric names its feature")
    return out


def clean_metrics(metrics: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    errors: dict[str, list[str]] = {}
    if not isinstance(metrics, Sequence) or isinstance(metrics, str | bytes) or not metrics:
        raise InvalidInput("A plan watches at least one metric.", fields={"metrics": "required"})
    if len(metrics) > 200:
        raise InvalidInput("A plan watches at most 200 metrics.", fields={"metrics": "too many"})
    cleaned = []
    for index, raw in enumerate(metrics):
        if not isinstance(raw, Mapping):
            errors.setdefault(f"metrics[{index}]", []).append("must be an object")
            continue
        cleaned.append(_clean_metric(raw, index, errors))
    keys = [m["key"] for m in cleaned]
    for key in {k for k in keys if keys.count(k) > 1}:
        errors.setdefault("metrics", []).append(f"the key {key!r} is used twice")
    if errors:
        raise InvalidInput("The monitoring plan has errors.", fields=errors)
    return cleaned


def monitoring_plan_save(
    *,
    deployment: Deployment,
    owner: Any,
    metrics: Sequence[Mapping[str, Any]],
    actor: Any,
    notes: str = "",
) -> MonitoringPlan:
    """Save a new version of the deployment's plan; the previous version stays as evidence."""
    from governance.accounts.permissions import Perm, can

    cleaned = clean_metrics(metrics)
    if owner is None or not owner.is_active or not can(owner, Perm.VIEW):
        raise InvalidInput(
            "The plan's owner must be an active person with access to the product.",
            fields={"owner": "not an active user"},
        )
    with transaction.atomic():
        ledger_write_lock()
        Deployment.objects.select_for_update().get(pk=deployment.pk)
        previous = (
            MonitoringPlan.objects.select_for_update()
            .filter(deployment=deployment, is_current=True)
            .first()
        )
        version = 1
        if previous is not None:
            version = previous.version + 1
            previous.is_current = False
            previous.save(update_fields=["is_current", "updated_at"])
        plan = MonitoringPlan.objects.create(
            deployment=deployment,
            version=version,
            owner=owner,
            notes=notes,
            created_by=actor,
        )
        PlanMetric.objects.bulk_create([PlanMetric(plan=plan, **m) for m in cleaned])
        ledger_append(
            actor=actor,
            action="monitoring_plan.saved",
            subject=plan,
            deployment_id=deployment.pk,
            data={
                "version": version,
                "owner": str(owner.pk),
                "metrics": [
                    {k: str(v) for k, v in m.items() if k != "name"} | {"name": m["name"]}
                    for m in cleaned
                ],
            },
        )
    return plan
