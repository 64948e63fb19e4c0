"""The job lifecycle that reports and exports share: claim, progress, fail, re-queue.

A worker owns a job from the moment its conditional UPDATE moves the row from queued to
running with its identity (host:pid) in `claimed_by`; a duplicated or redelivered message
finds the row no longer queued and does nothing. A claim held by a process that no longer
exists on this host may be taken over at once; elsewhere the stuck sweep decides once the
hard time limit has passed, since no live task outlives it.

Progress and dispatch times are display and bookkeeping fields, not evidence: they are
written with conditional UPDATEs and not ledgered (a progress bar would otherwise write a
dozen events per report). Every status change is ledgered.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from audits.reports.models import ALLOWED_TRANSITIONS, EvidenceJob, JobStatus, Report
from governance.core.errors import TransitionNotAllowed
from governance.ledger.services import ledger_append

Job = TypeVar("Job", bound=EvidenceJob)

logger = logging.getLogger(__name__)

WORKER_ACTOR = "report worker"
MAX_ERROR_LENGTH = 2000


def worker_identity() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def claimant_is_gone(token: str) -> bool:
    """True only when the claiming process provably no longer exists (same host, no such pid)."""
    host, _, raw_pid = token.rpartition(":")
    if host != socket.gethostname() or not (raw_pid.isascii() and raw_pid.isdigit()):
        return False
    pid = int(raw_pid)
    if pid == os.getpid():
        return False
    stat = Path(f"/proc/{pid}/stat")
    try:
        # A killed child that nobody has reaped yet is a zombie: it still has a pid entry.
        state = stat.read_text().rsplit(")", 1)[1].split()[0]
        return state in ("Z", "X")
    except FileNotFoundError:
        return True
    except (OSError, IndexError):
        pass
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


def check_transition(job: EvidenceJob, target: str) -> None:
    if target not in ALLOWED_TRANSITIONS[job.status]:
        raise TransitionNotAllowed(
            f"A {type(job).__name__.lower()} cannot go from {job.status} to {target}.",
            fields={"status": f"not allowed from {job.status}"},
        )


def _label(model: type[EvidenceJob]) -> str:
    return model.__name__.lower()


def _deployment_id(job: EvidenceJob) -> Any:
    return job.deployment_id if isinstance(job, Report) else None


def claim(model: type[Job], *, pk: Any, worker: str) -> Job | None:
    """Take the job for this worker, or return None when it is not ours to run."""
    now = timezone.now()
    fields = {
        "status": JobStatus.RUNNING,
        "claimed_at": now,
        "claimed_by": worker,
        "attempts": F("attempts") + 1,
        "progress": 0,
        "stage": "starting",
        "updated_at": now,
    }
    with transaction.atomic():
        # The conditional UPDATE is the claim: of two deliveries, only one matches a queued row.
        taken = model.objects.filter(pk=pk, status=JobStatus.QUEUED).update(**fields)
        previous = ""
        if not taken:
            current = model.objects.filter(pk=pk, status=JobStatus.RUNNING).first()
            if current is None or not claimant_is_gone(current.claimed_by):
                return None
            previous = current.claimed_by
            taken = model.objects.filter(
                pk=pk, status=JobStatus.RUNNING, claimed_by=previous
            ).update(**fields)
            if not taken:
                return None
        job = cast(Job, model.objects.get(pk=pk))
        data: dict[str, Any] = {"worker": worker, "attempt": job.attempts}
        if previous:
            data["took_over_from"] = previous
        ledger_append(
            actor=None,
            actor_name=WORKER_ACTOR,
            action=f"{_label(model)}.started",
            subject=job,
            deployment_id=_deployment_id(job),
            data=data,
        )
    return job


def progress(model: type[EvidenceJob], *, pk: Any, worker: str, percent: int, stage: str) -> bool:
    """Record progress; False when the job is no longer this worker's (it must stop)."""
    updated = model.objects.filter(pk=pk, status=JobStatus.RUNNING, claimed_by=worker).update(
        progress=max(0, min(100, percent)), stage=stage[:60], updated_at=timezone.now()
    )
    return bool(updated)


def fail(model: type[Job], *, pk: Any, error: str, worker: str | None = None) -> Job | None:
    """End the job as failed with the error shown to people; None when it is not ours."""
    with transaction.atomic():
        job: Job | None = model.objects.select_for_update().filter(pk=pk).first()
        if job is None or job.is_finished:
            return None
        if worker is not None and (job.status != JobStatus.RUNNING or job.claimed_by != worker):
            return None
        check_transition(job, JobStatus.FAILED)
        job.status = JobStatus.FAILED
        job.error = (error or "Unknown error.")[:MAX_ERROR_LENGTH]
        job.stage = "failed"
        job.completed_at = timezone.now()
        job.save(update_fields=["status", "error", "stage", "completed_at", "updated_at"])
        ledger_append(
            actor=None,
            actor_name=WORKER_ACTOR,
            action=f"{_label(model)}.failed",
            subject=job,
            deployment_id=_deployment_id(job),
            data={"error": job.error, "attempt": job.attempts},
        )
    return job


def requeue(model: type[Job], *, job: Job, reason: str) -> Job:
    """Give a job whose worker died a fresh attempt (running → queued), inside the caller's
    transaction; the caller dispatches it on commit."""
    check_transition(job, JobStatus.QUEUED)
    previous = job.claimed_by
    job.status = JobStatus.QUEUED
    job.claimed_by = ""
    job.claimed_at = None
    job.progress = 0
    job.stage = "queued"
    job.dispatched_at = timezone.now()
    job.save(
        update_fields=[
            "status", "claimed_by", "claimed_at", "progress", "stage", "dispatched_at",
            "updated_at",
        ]
    )  # fmt: skip
    ledger_append(
        actor=None,
        actor_name=WORKER_ACTOR,
        action=f"{_label(model)}.requeued",
        subject=job,
        deployment_id=_deployment_id(job),
        data={"reason": reason, "previous_worker": previous, "attempts_so_far": job.attempts},
    )
    return job


def sweep_queued(
    model: type[EvidenceJob],
    *,
    dispatch: Callable[[Any], None],
    older_than: dt.timedelta | None,
    limit: int,
) -> list[str]:
    """Dispatch again every queued job whose message has not been picked up in time.

    Runs from beat. A duplicate message is harmless: only one delivery can claim the row.
    """
    age = (
        dt.timedelta(seconds=settings.REPORT_REDISPATCH_AFTER_SECONDS)
        if older_than is None
        else older_than
    )
    cutoff = timezone.now() - age
    stale = Q(dispatched_at__lt=cutoff) | Q(dispatched_at__isnull=True, created_at__lt=cutoff)
    candidates = list(
        model.objects.filter(status=JobStatus.QUEUED)
        .filter(stale)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    sent: list[str] = []
    for pk in candidates:
        with transaction.atomic():
            taken = (
                model.objects.filter(pk=pk, status=JobStatus.QUEUED)
                .filter(stale)
                .update(dispatched_at=timezone.now())
            )
            if taken:
                dispatch(pk)
                sent.append(str(pk))
    if sent:
        logger.info("re-dispatched %d queued %s(s)", len(sent), _label(model))
    return sent


def sweep_stuck(
    model: type[EvidenceJob],
    *,
    dispatch: Callable[[Any], None],
    older_than: dt.timedelta | None,
    limit: int,
) -> dict[str, list[str]]:
    """Recover jobs whose worker died mid-run.

    A running job is abandoned when its claiming process is gone (same host) or when it has
    been running longer than the hard time limit, which no live task outlives (a run that
    merely takes long is stopped at the soft limit and failed by the task itself). An
    abandoned job gets a fresh attempt, up to REPORT_MAX_ATTEMPTS; then it fails.
    """
    age = (
        dt.timedelta(seconds=settings.REPORT_STUCK_AFTER_SECONDS)
        if older_than is None
        else older_than
    )
    cutoff = timezone.now() - age
    outcome: dict[str, list[str]] = {"requeued": [], "failed": []}
    for job in model.objects.filter(status=JobStatus.RUNNING).order_by("claimed_at")[:limit]:
        overdue = job.claimed_at is not None and job.claimed_at < cutoff
        if not (overdue or claimant_is_gone(job.claimed_by)):
            continue
        with transaction.atomic():
            locked = model.objects.select_for_update().get(pk=job.pk)
            if locked.status != JobStatus.RUNNING or locked.claimed_by != job.claimed_by:
                continue
            if locked.attempts >= settings.REPORT_MAX_ATTEMPTS:
                fail(
                    model,
                    pk=locked.pk,
                    error=(
                        f"The worker stopped before finishing on all {locked.attempts} attempts "
                        "(killed, out of memory or past the time limit)."
                    ),
                )
                outcome["failed"].append(str(locked.pk))
                continue
            reason = "worker gone" if not overdue else "running past the hard time limit"
            requeue(model, job=locked, reason=reason)
            dispatch(locked.pk)
            outcome["requeued"].append(str(locked.pk))
    return outcome
