"""The daily "due soon / overdue" sweep: rooms with deadlines register a function, one beat
job runs them all.

A sweep finds what is due or overdue in its room and calls `notification_create` with a dedup
key naming the item and the stage of lateness (`finding:<id>:due_soon`), so running it twice,
or a redelivered task, notifies nobody twice. Approvals keep their own hourly job, because a
stage's SLA is counted in hours.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable

from django.utils import timezone

logger = logging.getLogger(__name__)

DueSweep = Callable[[dt.datetime], int]
DUE_SWEEPS: dict[str, DueSweep] = {}


def register_due_sweep(name: str) -> Callable[[DueSweep], DueSweep]:
    """Add a room's sweep (called with the current time, returns how many it notified)."""

    def register(sweep: DueSweep) -> DueSweep:
        DUE_SWEEPS[name] = sweep
        return sweep

    return register


def notifications_sweep_due(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Run every registered sweep; one that fails does not stop the others, and the run then
    fails naming it, so the beat job's failure is seen."""
    now = now or timezone.now()
    notified: dict[str, int] = {}
    failed = []
    for name, sweep in sorted(DUE_SWEEPS.items()):
        try:
            notified[name] = sweep(now)
        except Exception:
            logger.exception("due sweep %s failed", name)
            failed.append(name)
    if failed:
        raise RuntimeError(f"due sweeps failed: {', '.join(failed)}")
    return notified
