"""Observation batches and drift: validated whole, stored whole, ledgered once per batch.

A pipeline sends up to MAX_BATCH_POINTS points in one call. Either every point is stored or
none is; the ledger gets one event naming the batch's SHA-256 and count (never one per point,
so ingestion does not queue on the ledger head). Breaches are evaluated on the batch as a
whole: at most one alert per metric per batch, at the worst level reached.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone

from governance.core.canonical import canonical_sha256, format_timestamp
from governance.core.errors import Conflict, InvalidInput
from governance.inventory.models import Deployment
from governance.ledger.services import ledger_append
from governance.monitoring import drift
from governance.monitoring.choices import AlertLevel, MetricKind
from governance.monitoring.models import (
    Alert,
    DriftResult,
    MonitoringPlan,
    Observation,
    ObservationBatch,
    PlanMetric,
)
from governance.monitoring.rules import MAX_BATCH_POINTS, MAX_BINS, PSI_EPSILON
from governance.monitoring.selectors import current_plan_of

MAX_REPORTED_ERRORS = 50  # enough to fix a batch; not a 10,000-line answer
_LEVEL_RANK: dict[str, int] = {AlertLevel.WARNING: 1, AlertLevel.BREACH: 2}


@dataclass
class IngestResult:
    batch: ObservationBatch
    alerts: list[Alert] = field(default_factory=list)


def _parse_time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo is not None else None


def _finite(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, list[str]] = {}
        self.count = 0

    def add(self, index: int, name: str, message: str) -> None:
        self.count += 1
        if len(self.fields) < MAX_REPORTED_ERRORS:
            self.fields.setdefault(f"points[{index}].{name}", []).append(message)

    def raise_if_any(self) -> None:
        if self.count:
            more = self.count - sum(len(v) for v in self.fields.values())
            suffix = f" (and {more} more)" if more > 0 else ""
            raise InvalidInput(
                f"{self.count} point(s) were refused{suffix}; nothing was stored.",
                fields=self.fields,
            )


def clean_points(points: Any, metric_keys: set[str], *, now: dt.datetime) -> list[dict[str, Any]]:
    """Validate a batch; raise InvalidInput naming each bad point by index and field."""
    if not isinstance(points, list) or not points:
        raise InvalidInput("Send a non-empty list of points.", fields={"points": "required"})
    if len(points) > MAX_BATCH_POINTS:
        raise InvalidInput(
            f"A batch holds at most {MAX_BATCH_POINTS:,} points; this one has {len(points):,}.",
            fields={"points": f"at most {MAX_BATCH_POINTS} points"},
        )
    errors = _Errors()
    cleaned: list[dict[str, Any]] = []
    allowed = {"metric", "value", "window_start", "window_end", "segment"}
    for index, raw in enumerate(points):
        if not isinstance(raw, dict):
            errors.add(index, "point", "must be an object")
            continue
        for extra in sorted(set(raw) - allowed)[:3]:
            errors.add(index, str(extra)[:40], "unknown field")
        metric = raw.get("metric")
        if not isinstance(metric, str) or metric not in metric_keys:
            errors.add(index, "metric", "not a metric of the deployment's monitoring plan")
        value = _finite(raw.get("value"))
        if value is None:
            errors.add(index, "value", "must be a finite number (not NaN or infinite)")
        start, end = _parse_time(raw.get("window_start")), _parse_time(raw.get("window_end"))
        if start is None:
            errors.add(index, "window_start", "an ISO 8601 time with a zone")
        if end is None:
            errors.add(index, "window_end", "an ISO 8601 time with a zone")
        elif start is not None and end < start:
            errors.add(index, "window_end", "must not be before window_start")
        elif end > now + dt.timedelta(minutes=5):
            errors.add(index, "window_end", "is in the future")
        segment = raw.get("segment", "")
        if not isinstance(segment, str) or len(segment) > 200:
            errors.add(index, "segment", "text of at most 200 characters")
        if not errors.count:
            cleaned.append(
                {
                    "metric": metric,
                    "value": value,
                    "window_start": start,
                    "window_end": end,
                    "segment": segment,
                }
            )
    errors.raise_if_any()
    return cleaned


def current_plan(deployment: Deployment) -> MonitoringPlan:
    plan = current_plan_of(deployment)
    if plan is None:
        raise Conflict(
            "This deployment has no monitoring plan yet; save one before sending observations.",
            fields={"deployment": "no monitoring plan"},
        )
    return plan


def _batch_digest(points: Sequence[Mapping[str, Any]]) -> str:
    return canonical_sha256(
        [
            {
                "metric": p["metric"],
                "segment": p["segment"],
                "value": repr(p["value"]),
                "window_start": format_timestamp(p["window_start"]),
                "window_end": format_timestamp(p["window_end"]),
            }
            for p in points
        ]
    )


def _worst_by_metric(
    points: Sequence[Mapping[str, Any]], metrics: Mapping[str, PlanMetric]
) -> dict[str, tuple[str, Mapping[str, Any]]]:
    worst: dict[str, tuple[str, Mapping[str, Any]]] = {}
    for point in points:
        level = metrics[point["metric"]].level_of(point["value"])
        if level is None:
            continue
        seen = worst.get(point["metric"])
        if (
            seen is None
            or _LEVEL_RANK[level] > _LEVEL_RANK[seen[0]]
            or (level == seen[0] and point["window_end"] > seen[1]["window_end"])
        ):
            worst[point["metric"]] = (level, point)
    return worst


_COPIED_COLUMNS = (
    "batch_id",
    "deployment_id",
    "metric",
    "segment",
    "value",
    "window_start",
    "window_end",
)


def _store_points(
    batch: ObservationBatch, deployment_id: Any, cleaned: list[dict[str, Any]]
) -> None:
    """Insert the batch's points inside the caller's transaction.

    On PostgreSQL they are streamed with COPY: building a 10,000-row INSERT through the ORM
    took about two thirds of a batch request's time. Any error still undoes the whole batch.
    """
    if connection.vendor != "postgresql":
        Observation.objects.bulk_create(
            [Observation(batch=batch, deployment_id=deployment_id, **p) for p in cleaned],
            batch_size=2000,
        )
        return
    columns = ", ".join(_COPIED_COLUMNS)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        with raw.copy(f"COPY {Observation._meta.db_table} ({columns}) FROM STDIN") as copy:
            for p in cleaned:
                copy.write_row(
                    (
                        batch.pk,
                        deployment_id,
                        p["metric"],
                        p["segment"],
                        p["value"],
                        p["window_start"],
                        p["window_end"],
                    )
                )


def observations_ingest(*, deployment: Deployment, points: Any, actor: Any) -> IngestResult:
    """Store a batch of observations, ledger it once, raise an alert per metric that crossed."""
    from governance.monitoring.services.alerts import alert_raise

    plan = current_plan(deployment)
    metrics = {m.key: m for m in plan.metrics.all()}
    cleaned = clean_points(points, set(metrics), now=timezone.now())
    digest = _batch_digest(cleaned)
    with transaction.atomic():
        batch = ObservationBatch.objects.create(
            deployment=deployment, sha256=digest, count=len(cleaned), received_by=actor
        )
        _store_points(batch, deployment.pk, cleaned)
        ledger_append(
            actor=actor,
            action="observation_batch.received",
            subject=batch,
            deployment_id=deployment.pk,
            data={"sha256": digest, "count": len(cleaned), "plan_version": plan.version},
        )
        result = IngestResult(batch=batch)
        for key, (level, point) in sorted(_worst_by_metric(cleaned, metrics).items()):
            metric = metrics[key]
            threshold = (
                metric.breach_threshold if level == AlertLevel.BREACH else metric.warning_threshold
            )
            result.alerts.append(
                alert_raise(
                    deployment=deployment,
                    metric=metric,
                    level=level,
                    value=point["value"],
                    threshold=threshold,
                    window_end=point["window_end"],
                    batch=batch,
                )
            )
    return result


def _counts(raw: Any, where: str, errors: dict[str, list[str]]) -> list[float] | None:
    if not isinstance(raw, list) or not 2 <= len(raw) <= MAX_BINS:
        errors.setdefault(where, []).append(f"a list of 2 to {MAX_BINS} bin counts")
        return None
    values = [_finite(c) for c in raw]
    if any(v is None or v < 0 for v in values):
        errors.setdefault(where, []).append("every count must be a finite number ≥ 0")
        return None
    if sum(values) <= 0:  # type: ignore[arg-type]
        errors.setdefault(where, []).append("at least one bin must hold something")
        return None
    return values  # type: ignore[return-value]


def drift_record(*, deployment: Deployment, features: Any, actor: Any) -> list[DriftResult]:
    """Compute PSI and Jensen–Shannon distance per feature and store them with their inputs."""
    if not isinstance(features, list) or not features or len(features) > 500:
        raise InvalidInput(
            "Send a list of 1 to 500 features.", fields={"features": "1 to 500 features"}
        )
    errors: dict[str, list[str]] = {}
    rows: list[dict[str, Any]] = []
    for index, raw in enumerate(features):
        where = f"features[{index}]"
        if not isinstance(raw, dict):
            errors.setdefault(where, []).append("must be an object")
            continue
        name = raw.get("feature")
        if not isinstance(name, str) or not name.strip() or len(name) > 200:
            errors.setdefault(f"{where}.feature", []).append("a name of 1 to 200 characters")
        reference = _counts(raw.get("reference"), f"{where}.reference", errors)
        current = _counts(raw.get("current"), f"{where}.current", errors)
        if reference is not None and current is not None and len(reference) != len(current):
            errors.setdefault(f"{where}.current", []).append(
                f"has {len(current)} bins; the reference has {len(reference)}"
            )
        bins = raw.get("bins", [])
        if not isinstance(bins, list) or (
            bins
            and (len(bins) != len(reference or []) or not all(isinstance(b, str) for b in bins))
        ):
            errors.setdefault(f"{where}.bins", []).append("optional labels, one string per bin")
        rows.append({"feature": name, "reference": reference, "current": current, "bins": bins})
    if errors:
        raise InvalidInput("The drift request has errors; nothing was stored.", fields=errors)
    results: list[DriftResult] = []
    with transaction.atomic():
        for row in rows:
            figures = drift.drift_figures(row["reference"], row["current"])
            results.append(
                DriftResult.objects.create(
                    deployment=deployment,
                    feature=row["feature"].strip(),
                    bins=[b[:100] for b in row["bins"]],
                    reference_counts=row["reference"],
                    current_counts=row["current"],
                    epsilon=PSI_EPSILON,
                    psi=figures.psi,
                    js_distance=figures.js_distance,
                    band=figures.band,
                    received_by=actor,
                )
            )
        ledger_append(
            actor=actor,
            action="drift.computed",
            deployment_id=deployment.pk,
            data={
                "features": [
                    {"feature": r.feature, "psi": round(r.psi, 6), "band": r.band} for r in results
                ],
                "epsilon": PSI_EPSILON,
            },
        )
        _drift_alerts(deployment, results)
    return results


def _drift_alerts(deployment: Deployment, results: Sequence[DriftResult]) -> None:
    """A plan metric of kind drift watches one feature's PSI: compare it like any value."""
    from governance.monitoring.services.alerts import alert_raise

    plan = current_plan_of(deployment)
    if plan is None:
        return  # drift may be sent before a plan exists; nothing is watched yet
    watched = {m.feature: m for m in plan.metrics.all() if m.kind == MetricKind.DRIFT}
    for result in results:
        metric = watched.get(result.feature)
        level = metric.level_of(result.psi) if metric is not None else None
        if metric is None or level is None:
            continue
        threshold = (
            metric.breach_threshold if level == AlertLevel.BREACH else metric.warning_threshold
        )
        alert_raise(
            deployment=deployment,
            metric=metric,
            level=level,
            value=result.psi,
            threshold=threshold,
            window_end=result.window_end,
        )
