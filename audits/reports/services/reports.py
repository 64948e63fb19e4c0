"""Every write to reports: request, claim, progress, completion, failure and the two sweeps."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from audits.reports.models import Export, JobStatus, Report, ReportKind
from audits.reports.sections import SUBJECT_RESOLVERS, missing_requirements
from audits.reports.services import jobs
from governance.accounts.permissions import Perm, require
from governance.core.errors import Conflict, InvalidInput
from governance.inventory.models import Deployment
from governance.ledger.services import ledger_append


@dataclass(frozen=True)
class ReportOutcome:
    """What a finished render hands to `report_complete`."""

    evidence_json: bytes
    evidence_sha256: str
    head_seq: int
    head_hash: str
    snapshot_at: dt.datetime
    file_name: str
    file_sha256: str
    file_size: int
    page_count: int
    signing_certificate_sha256: str


def dispatch_on_commit(report_id: Any) -> None:
    from audits.reports.tasks import generate_report_task

    generate_report_task.delay_on_commit(str(report_id))


@dataclass(frozen=True)
class KindSubject:
    """The record a kind of report is about: the request's field naming it (also the prefix of
    the report's subject key) and the refusal when it is not named."""

    field: str
    missing: str


# The portfolio report covers every deployment and names no subject. The request form shows
# only the chosen kind's field.
KIND_SUBJECTS: dict[str, KindSubject] = {
    ReportKind.DEPLOYMENT_DOSSIER: KindSubject("deployment", "Choose the deployment to document."),
    ReportKind.CONFORMITY_SELF_ASSESSMENT: KindSubject(
        "deployment", "Choose the deployment to assess."
    ),
    ReportKind.BIAS_AUDIT: KindSubject("bias_audit", "Choose the bias audit to summarise."),
    # The incident names its deployment; the report takes the deployment from it.
    ReportKind.SERIOUS_INCIDENT: KindSubject("incident", "Choose the serious incident to report."),
}


# Kinds about one deployment share its subject key; each keeps its own supersession chain.
DEPLOYMENT_TITLES: dict[str, str] = {
    ReportKind.DEPLOYMENT_DOSSIER: "Deployment dossier",
    ReportKind.CONFORMITY_SELF_ASSESSMENT: "Conformity self-assessment",
}


def _subject(kind: str, named: dict[str, Any]) -> tuple[Deployment | None, str, str]:
    """(deployment, subject key, title) for a request, or a refusal naming the field."""
    wanted = KIND_SUBJECTS.get(kind)
    if wanted is None:
        return None, "portfolio", "Portfolio report: every deployment by state and risk tier"
    value = named[wanted.field]
    if not value:
        raise InvalidInput(wanted.missing, fields={wanted.field: "required"})
    if wanted.field == "deployment":
        version = value.model_version
        title = (
            f"{DEPLOYMENT_TITLES[kind]}: {version.system.name} {version.version_label} "
            f"→ {value.environment}"
        )
        return value, f"deployment:{value.pk}", title
    resolved_deployment, title = SUBJECT_RESOLVERS[kind](str(value))
    return resolved_deployment, f"{wanted.field}:{value}", title


def report_request(
    *,
    actor: Any,
    kind: str,
    deployment: Deployment | None = None,
    bias_audit: str | None = None,
    incident: str | None = None,
    export: Export | None = None,
    dispatch: bool = True,
) -> Report:
    """Record a request for a report and queue it for a worker once the transaction commits.

    The row is the outbox: if the broker is down the request still succeeds and the report
    waits, queued, until `report_sweep_queued` dispatches it.
    """
    # The dossiers inside an export bundle are asked for by the export's requester.
    require(actor, Perm.EXPORT_CREATE if export is not None else Perm.REPORT_REQUEST)
    if kind not in ReportKind.values:
        raise InvalidInput(
            f"Unknown report kind {kind!r}. Known: {', '.join(ReportKind.values)}.",
            fields={"kind": f"unknown kind {kind!r}"},
        )
    missing = missing_requirements(kind)
    if missing:
        rooms = ", ".join(sorted({m.room for m in missing}))
        raise InvalidInput(
            f"{ReportKind(kind).label} reports need records this installation does not keep "
            f"yet ({rooms}); they become available when that part of the product is in use.",
            fields={"kind": "not available yet"},
        )
    named = {"deployment": deployment, "bias_audit": bias_audit, "incident": incident}
    subject_deployment, subject_key, title = _subject(kind, named)
    now = timezone.now()
    report = Report(
        kind=kind,
        title=title[:300],
        subject_key=subject_key,
        deployment=subject_deployment,
        # Resolved above: the id names an existing serious incident.
        incident_id=incident if kind == ReportKind.SERIOUS_INCIDENT else None,
        export=export,
        requested_by=actor,
        dispatched_at=now if dispatch else None,
    )
    with transaction.atomic():
        report.save()
        ledger_append(
            actor=actor,
            action="report.requested",
            subject=report,
            deployment_id=report.deployment_id,
            data={
                "kind": kind,
                "title": report.title,
                "subject": subject_key,
                "export": str(export.pk) if export else None,
            },
        )
        if dispatch:
            dispatch_on_commit(report.pk)
    return report


def report_regenerate(*, actor: Any, report: Report) -> Report:
    """Ask for a new report on the same subject; when done it supersedes the latest one."""
    bias_audit = (
        report.subject_key.partition(":")[2] if report.kind == ReportKind.BIAS_AUDIT else None
    )
    return report_request(
        actor=actor,
        kind=report.kind,
        deployment=report.deployment,
        bias_audit=bias_audit,
        incident=str(report.incident_id) if report.incident_id else None,
    )


def report_claim(*, report_id: Any, worker: str) -> Report | None:
    """Move a queued report to running for this worker; None when another has it or it is over."""
    return jobs.claim(Report, pk=report_id, worker=worker)


def report_progress(*, report_id: Any, worker: str, percent: int, stage: str) -> bool:
    """Show progress; False when the report is no longer this worker's to finish."""
    return jobs.progress(Report, pk=report_id, worker=worker, percent=percent, stage=stage)


def report_fail(*, report_id: Any, error: str, worker: str | None = None) -> Report | None:
    """End a report as failed with the error shown on its page."""
    return jobs.fail(Report, pk=report_id, error=error, worker=worker)


def _complete_once(report_id: Any, worker: str, outcome: ReportOutcome) -> Report:
    with transaction.atomic():
        report = Report.objects.select_for_update().get(pk=report_id)
        if report.status != JobStatus.RUNNING or report.claimed_by != worker:
            raise Conflict("This report is no longer being generated by this worker.")
        jobs.check_transition(report, JobStatus.DONE)
        previous = (
            Report.objects.select_for_update(of=("self",))
            .filter(subject_key=report.subject_key, kind=report.kind, status=JobStatus.DONE)
            .filter(superseded_by__isnull=True)
            .exclude(pk=report.pk)
            .order_by("-completed_at")
            .first()
        )
        report.status = JobStatus.DONE
        report.progress = 100
        report.stage = "done"
        report.completed_at = timezone.now()
        report.evidence = outcome.evidence_json.decode("utf-8")
        report.evidence_sha256 = outcome.evidence_sha256
        report.ledger_head_seq = outcome.head_seq
        report.ledger_head_hash = outcome.head_hash
        report.snapshot_at = outcome.snapshot_at
        report.file.name = outcome.file_name
        report.file_sha256 = outcome.file_sha256
        report.file_size = outcome.file_size
        report.page_count = outcome.page_count
        report.signing_certificate_sha256 = outcome.signing_certificate_sha256
        report.supersedes = previous
        report.save()
        ledger_append(
            actor=None,
            actor_name=jobs.WORKER_ACTOR,
            action="report.generated",
            subject=report,
            deployment_id=report.deployment_id,
            data={
                "kind": report.kind,
                "file_sha256": report.file_sha256,
                "file_size": report.file_size,
                "page_count": report.page_count,
                "evidence_sha256": report.evidence_sha256,
                "ledger_head": {"seq": report.ledger_head_seq, "hash": report.ledger_head_hash},
                "supersedes": str(previous.pk) if previous else None,
                "signing_certificate_sha256": report.signing_certificate_sha256,
            },
        )
    return report


def report_complete(*, report_id: Any, worker: str, outcome: ReportOutcome) -> Report:
    """Record the stored, signed file and its hashes; the report is immutable from here on."""
    for attempt in range(3):
        try:
            return _complete_once(report_id, worker, outcome)
        except IntegrityError:
            # Another report on the same subject finished at the same instant and took the
            # supersession link; the next try supersedes that one instead.
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def report_sweep_queued(*, older_than: dt.timedelta | None = None, limit: int = 500) -> list[str]:
    """Dispatch again every queued report whose message has not been picked up in time."""
    return jobs.sweep_queued(
        Report, dispatch=dispatch_on_commit, older_than=older_than, limit=limit
    )


def report_sweep_stuck(
    *, older_than: dt.timedelta | None = None, limit: int = 500
) -> dict[str, list[str]]:
    """Recover reports whose worker died mid-render (see `jobs.sweep_stuck`)."""
    return jobs.sweep_stuck(Report, dispatch=dispatch_on_commit, older_than=older_than, limit=limit)
