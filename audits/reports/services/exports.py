"""Every write to export bundles: request, claim, progress, completion, failure, sweeps."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from audits.reports.models import Export, JobStatus
from audits.reports.services import jobs
from governance.accounts.permissions import Perm, require
from governance.core.errors import Conflict, InvalidInput
from governance.inventory.models import Deployment
from governance.ledger.services import ledger_append


@dataclass(frozen=True)
class ExportOutcome:
    file_name: str
    file_sha256: str
    file_size: int
    manifest_sha256: str
    head_seq: int
    head_hash: str
    dossiers: dict[str, str]  # deployment id → dossier report id
    # deployment id → the bias-audit summaries (report ids) of the audits covering it
    bias_summaries: dict[str, list[str]] = field(default_factory=dict)


def dispatch_on_commit(export_id: Any) -> None:
    from audits.reports.tasks import build_export_task

    build_export_task.delay_on_commit(str(export_id))


def export_request(
    *, actor: Any, recipient: str, deployments: Iterable[Deployment], note: str = ""
) -> Export:
    """Record an export bundle for a named recipient and queue it once the transaction commits."""
    require(actor, Perm.EXPORT_CREATE)
    recipient = (recipient or "").strip()
    if not recipient:
        raise InvalidInput(
            "Name the recipient, e.g. the supervisory authority.", fields={"recipient": "required"}
        )
    chosen = list({d.pk: d for d in deployments}.values())
    if not chosen:
        raise InvalidInput("Choose at least one deployment.", fields={"deployments": "required"})
    limit = settings.EXPORT_MAX_DEPLOYMENTS
    if len(chosen) > limit:
        raise InvalidInput(
            f"One export holds at most {limit} deployments; split the request.",
            fields={"deployments": f"at most {limit}"},
        )
    export = Export(
        recipient=recipient[:200], note=note, requested_by=actor, dispatched_at=timezone.now()
    )
    with transaction.atomic():
        export.save()
        export.deployments.set(chosen)
        ledger_append(
            actor=actor,
            action="export.requested",
            subject=export,
            data={
                "recipient": export.recipient,
                "deployments": sorted(str(d.pk) for d in chosen),
                "note": note,
            },
        )
        dispatch_on_commit(export.pk)
    return export


def export_claim(*, export_id: Any, worker: str) -> Export | None:
    """Move a queued export to running for this worker; None when it is not ours to build."""
    return jobs.claim(Export, pk=export_id, worker=worker)


def export_progress(*, export_id: Any, worker: str, percent: int, stage: str) -> bool:
    """Show progress; False when the export is no longer this worker's to finish."""
    return jobs.progress(Export, pk=export_id, worker=worker, percent=percent, stage=stage)


def export_fail(*, export_id: Any, error: str, worker: str | None = None) -> Export | None:
    """End an export as failed with the error shown on its page."""
    return jobs.fail(Export, pk=export_id, error=error, worker=worker)


def export_complete(*, export_id: Any, worker: str, outcome: ExportOutcome) -> Export:
    """Record the stored bundle and ledger that it was sent to its recipient, per deployment."""
    with transaction.atomic():
        export = Export.objects.select_for_update().get(pk=export_id)
        if export.status != JobStatus.RUNNING or export.claimed_by != worker:
            raise Conflict("This export is no longer being built by this worker.")
        jobs.check_transition(export, JobStatus.DONE)
        export.status = JobStatus.DONE
        export.progress = 100
        export.stage = "done"
        export.completed_at = timezone.now()
        export.file.name = outcome.file_name
        export.file_sha256 = outcome.file_sha256
        export.file_size = outcome.file_size
        export.manifest_sha256 = outcome.manifest_sha256
        export.ledger_head_seq = outcome.head_seq
        export.ledger_head_hash = outcome.head_hash
        export.save()
        for deployment_id, report_id in sorted(outcome.dossiers.items()):
            ledger_append(
                actor=export.requested_by,
                action="export.sent",
                subject=export,
                deployment_id=deployment_id,
                data={
                    "recipient": export.recipient,
                    "summary": f"sent to {export.recipient}",
                    "dossier": report_id,
                    "bias_summaries": outcome.bias_summaries.get(deployment_id, []),
                    "zip_sha256": export.file_sha256,
                    "manifest_sha256": export.manifest_sha256,
                },
            )
    return export


def export_sweep_queued(*, older_than: dt.timedelta | None = None, limit: int = 100) -> list[str]:
    """Dispatch again every queued export whose message has not been picked up in time."""
    return jobs.sweep_queued(
        Export, dispatch=dispatch_on_commit, older_than=older_than, limit=limit
    )


def export_sweep_stuck(
    *, older_than: dt.timedelta | None = None, limit: int = 100
) -> dict[str, list[str]]:
    """Give exports whose worker died a fresh attempt, or fail them after the last attempt."""
    return jobs.sweep_stuck(Export, dispatch=dispatch_on_commit, older_than=older_than, limit=limit)
