"""Reports and export bundles: background jobs whose finished output is evidence.

Both are rows that a Celery worker claims, fills in and finishes. The table is the outbox (a
queued row is the request, whether or not the broker took the message), and a finished row is
immutable: regenerating makes a new report that supersedes the old one.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models.signals import m2m_changed
from django.dispatch import receiver

from governance.core.models import BaseModel, ImmutableRecordError
from governance.inventory.models import Deployment


class ReportKind(models.TextChoices):
    DEPLOYMENT_DOSSIER = "deployment_dossier", "Deployment dossier"
    BIAS_AUDIT = "bias_audit", "Bias audit summary"
    PORTFOLIO = "portfolio", "Portfolio report"
    SERIOUS_INCIDENT = "serious_incident", "Serious-incident report (EU AI Act Art 73)"
    CONFORMITY_SELF_ASSESSMENT = "conformity_self_assessment", "Conformity self-assessment"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


# running → queued is the sweep giving a killed job a fresh attempt; done and failed are final.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    JobStatus.QUEUED: frozenset({JobStatus.RUNNING, JobStatus.FAILED}),
    JobStatus.RUNNING: frozenset({JobStatus.DONE, JobStatus.FAILED, JobStatus.QUEUED}),
    JobStatus.DONE: frozenset(),
    JobStatus.FAILED: frozenset(),
}

SHA256_HEX = r"^[0-9a-f]{64}$"


class JobQuerySet(models.QuerySet):
    """Bulk UPDATE and DELETE may touch unfinished jobs only; a finished one is evidence."""

    def _refuse_if_done(self) -> None:
        if self.filter(status=JobStatus.DONE).exists():
            raise ImmutableRecordError(f"finished {self.model.__name__} records are immutable")

    def update(self, **kwargs: Any) -> int:
        self._refuse_if_done()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._refuse_if_done()
        return super().delete()


class EvidenceJob(BaseModel):
    """What reports and exports share: the job's progress, its claim, and the stored file."""

    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    stage = models.CharField(max_length=60, default="queued")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    dispatched_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=200, blank=True, help_text="host:pid of the worker")
    completed_at = models.DateTimeField(null=True, blank=True)
    ledger_head_seq = models.BigIntegerField(null=True, blank=True)
    ledger_head_hash = models.CharField(max_length=64, blank=True)
    file = models.FileField(max_length=300, blank=True)
    file_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    file_size = models.BigIntegerField(null=True, blank=True)

    objects = JobQuerySet.as_manager()

    class Meta(BaseModel.Meta):
        abstract = True

    def _finished_in_database(self) -> bool:
        # Asked of the database, not of this instance, so a stale copy cannot slip through.
        if self._state.adding or self.pk is None:
            return False
        return type(self)._default_manager.filter(pk=self.pk, status=JobStatus.DONE).exists()

    def save(self, *args: Any, **kwargs: Any) -> None:
        # Only the services change a job, and never once it is done.
        if self._finished_in_database():
            raise ImmutableRecordError(f"a finished {type(self).__name__} is never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self._finished_in_database():
            raise ImmutableRecordError(f"a finished {type(self).__name__} is never deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.DONE, JobStatus.FAILED)


def _job_constraints(prefix: str) -> list[models.BaseConstraint]:
    done = models.Q(status=JobStatus.DONE)
    return [
        models.CheckConstraint(
            condition=models.Q(status__in=JobStatus.values), name=f"{prefix}_status_known"
        ),
        models.CheckConstraint(
            condition=models.Q(progress__gte=0, progress__lte=100),
            name=f"{prefix}_progress_percent",
        ),
        models.CheckConstraint(
            condition=~done
            | (
                models.Q(file_sha256__regex=SHA256_HEX, completed_at__isnull=False)
                & ~models.Q(file="")
                & models.Q(ledger_head_seq__isnull=False, file_size__isnull=False)
            ),
            name=f"{prefix}_done_has_file",
        ),
        models.CheckConstraint(
            condition=~models.Q(status=JobStatus.FAILED) | ~models.Q(error=""),
            name=f"{prefix}_failed_has_error",
        ),
        models.UniqueConstraint(
            fields=("file_sha256",),
            condition=~models.Q(file_sha256=""),
            name=f"{prefix}_file_sha256_unique",
        ),
    ]


class Export(EvidenceJob):
    """A regulator bundle: dossiers, evidence and ledger slices with a signed manifest."""

    recipient = models.CharField(max_length=200, help_text="Who the bundle is sent to")
    note = models.TextField(blank=True)
    deployments = models.ManyToManyField(Deployment, related_name="exports")
    manifest_sha256 = models.CharField(max_length=64, blank=True)

    class Meta(EvidenceJob.Meta):
        constraints = [
            *_job_constraints("export"),
            models.CheckConstraint(
                condition=~models.Q(recipient=""), name="export_recipient_named"
            ),
            models.CheckConstraint(
                condition=~models.Q(status=JobStatus.DONE)
                | models.Q(manifest_sha256__regex=SHA256_HEX),
                name="export_done_has_manifest",
            ),
        ]
        indexes = [models.Index(fields=("status", "dispatched_at"), name="export_outbox_idx")]

    def __str__(self) -> str:
        return f"Export for {self.recipient}"


class Report(EvidenceJob):
    kind = models.CharField(max_length=30, choices=ReportKind.choices)
    title = models.CharField(max_length=300)
    # What the report is about: a deployment, a bias audit (by id, from its room), a serious
    # incident or the whole portfolio. Reports with the same key form one supersession chain.
    subject_key = models.CharField(max_length=100)
    deployment = models.ForeignKey(
        Deployment, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    # The serious incident an Art 73 report is about (the incident outlives its reports).
    incident = models.ForeignKey(
        "monitoring.Incident",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="reports",
    )
    export = models.ForeignKey(
        Export, null=True, blank=True, on_delete=models.PROTECT, related_name="reports"
    )
    snapshot_at = models.DateTimeField(null=True, blank=True)
    evidence = models.TextField(blank=True, help_text="Canonical JSON, the exact bytes hashed")
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    page_count = models.PositiveIntegerField(null=True, blank=True)
    signing_certificate_sha256 = models.CharField(max_length=64, blank=True)
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    class Meta(EvidenceJob.Meta):
        constraints = [
            *_job_constraints("report"),
            models.CheckConstraint(
                condition=models.Q(kind__in=ReportKind.values), name="report_kind_known"
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=ReportKind.DEPLOYMENT_DOSSIER)
                | models.Q(deployment__isnull=False),
                name="report_dossier_has_deployment",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=ReportKind.CONFORMITY_SELF_ASSESSMENT)
                | models.Q(deployment__isnull=False),
                name="report_self_assessment_has_deployment",
            ),
            models.CheckConstraint(
                condition=~models.Q(kind=ReportKind.SERIOUS_INCIDENT)
                | models.Q(incident__isnull=False, deployment__isnull=False),
                name="report_serious_incident_has_incident",
            ),
            models.CheckConstraint(
                condition=~models.Q(status=JobStatus.DONE)
                | models.Q(evidence_sha256__regex=SHA256_HEX, page_count__gte=1),
                name="report_done_has_evidence",
            ),
            models.CheckConstraint(
                condition=~models.Q(supersedes=models.F("id")), name="report_not_self_superseding"
            ),
        ]
        indexes = [
            models.Index(fields=("status", "dispatched_at"), name="report_outbox_idx"),
            models.Index(fields=("subject_key", "status", "completed_at"), name="report_chain_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def download_name(self) -> str:
        stamp = self.snapshot_at.strftime("%Y%m%d-%H%M%S") if self.snapshot_at else "pending"
        return f"{self.kind.replace('_', '-')}-{stamp}-{str(self.pk)[:8]}.pdf"


@receiver(m2m_changed, sender=Export.deployments.through)
def _export_deployments_frozen(sender: Any, instance: Any, action: str, **kwargs: Any) -> None:
    # A finished bundle lists exactly what it contained; its deployments never change.
    if action.startswith("pre_") and getattr(instance, "status", None) == JobStatus.DONE:
        raise ImmutableRecordError("a finished export's deployments are never changed")
