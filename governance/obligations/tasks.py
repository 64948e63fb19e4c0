"""Beat jobs of the obligations room: thin, idempotent, each calling one service."""

from __future__ import annotations

from celery import shared_task

from governance.obligations.services import (
    obligations_expire_assertions,
    obligations_gap_sweep,
    obligations_refresh_all,
)


@shared_task(
    name="obligations.refresh_all",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=3000,
    time_limit=3300,
)
def refresh_all_task() -> int:
    """Daily (and after portfolio-wide changes): recompute every deployment's statuses.

    Idempotent: it writes only rows whose computed value differs from the kept one.
    """
    return obligations_refresh_all()


@shared_task(
    name="obligations.expire_assertions",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=300,
    time_limit=360,
)
def expire_assertions_task() -> int:
    """Hourly: statuses resting on an assertion that has expired fall back to the evidence."""
    return obligations_expire_assertions()


@shared_task(
    name="obligations.gap_sweep",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=600,
    time_limit=660,
)
def gap_sweep_task() -> int:
    """Daily: raise a finding for each missing, in-force requirement of deployments in the
    tiers `OBLIGATIONS_GAP_SWEEP_TIERS` names. One finding per gap, however often it runs."""
    return obligations_gap_sweep()
