"""Findings: what is wrong with a deployment, who must act, by when, and how it ended.

The severity policy (days to remediate, who signs a risk acceptance) is versioned data: a
finding keeps the version that set its due date. Evidence files and risk-acceptance
signatures are immutable records.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from governance.core.models import BaseModel, ImmutableQuerySet, ImmutableRecordError
from governance.findings.choices import ACTIVE_STATES, FindingState, Severity, SourceKind


class FindingPolicy(BaseModel):
    """One version of the severity policy. Never edited: a change is a new version."""

    version = models.PositiveIntegerField(unique=True)
    is_current = models.BooleanField(default=True)
    due_days = models.JSONField(help_text="Severity → days from raising to the due date")
    acceptance_roles = models.JSONField(
        help_text="Severity → roles that must each sign to accept the risk"
    )
    max_acceptance_days = models.PositiveIntegerField(
        default=365, help_text="Longest a risk acceptance may run before the finding reopens"
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ("-version",)
        verbose_name_plural = "finding policies"
        constraints = [
            models.UniqueConstraint(
                fields=("is_current",),
                condition=Q(is_current=True),
                name="findingpolicy_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"Finding severity policy v{self.version}"


class Finding(BaseModel):
    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="findings"
    )
    source_kind = models.CharField(max_length=20, choices=SourceKind.choices)
    source_ref = models.CharField(
        max_length=200, blank=True, help_text="The raising room's id of what caused the finding"
    )
    automatic = models.BooleanField(default=False, help_text="Raised by a room, not a person")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    title = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField()
    policy = models.ForeignKey(FindingPolicy, on_delete=models.PROTECT, related_name="findings")
    state = models.CharField(max_length=20, choices=FindingState.choices, default=FindingState.OPEN)
    state_changed_at = models.DateTimeField()
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolution_note = models.TextField(blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verified_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    # Signatures count only for the round they were given in; reopening starts a new round.
    acceptance_round = models.PositiveIntegerField(default=1)
    risk_accepted_until = models.DateField(null=True, blank=True)
    reopen_reason = models.TextField(blank=True)

    class Meta(BaseModel.Meta):
        constraints = [
            # Re-running the same trigger never makes a second finding.
            models.UniqueConstraint(
                fields=("source_kind", "source_ref"),
                condition=Q(automatic=True),
                name="finding_automatic_source_unique",
            ),
            models.CheckConstraint(
                condition=Q(automatic=False) | ~Q(source_ref=""),
                name="finding_automatic_has_source_ref",
            ),
            models.CheckConstraint(
                condition=Q(state__in=FindingState.values), name="finding_state_known"
            ),
            models.CheckConstraint(
                condition=Q(severity__in=Severity.values), name="finding_severity_known"
            ),
            models.CheckConstraint(
                condition=~Q(state=FindingState.RISK_ACCEPTED)
                | Q(risk_accepted_until__isnull=False),
                name="finding_acceptance_has_expiry",
            ),
            # Segregation of duties, also as a database invariant.
            models.CheckConstraint(
                condition=Q(verified_by__isnull=True)
                | Q(resolved_by__isnull=True)
                | ~Q(verified_by=models.F("resolved_by")),
                name="finding_verifier_not_resolver",
            ),
        ]
        indexes = [
            models.Index(fields=("deployment", "state"), name="finding_deployment_state_idx"),
            models.Index(fields=("state", "due_date"), name="finding_state_due_idx"),
            models.Index(fields=("owner", "state"), name="finding_owner_state_idx"),
            # The findings list's default order (due date, then id): its first page is read
            # from the index instead of sorting every finding.
            models.Index(fields=("due_date", "id"), name="finding_due_id_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_overdue(self, today: dt.date | None = None) -> bool:
        """Past its due date while somebody still has to act on it (pages, API and reports)."""
        return self.state in ACTIVE_STATES and self.due_date < (today or timezone.localdate())


def evidence_path(instance: FindingEvidence, filename: str) -> str:
    return f"findings/{instance.finding_id}/{instance.sha256}"


class FindingEvidence(BaseModel):
    """A file backing a resolution. Immutable: a correction is another file."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="evidence")
    file = models.FileField(upload_to=evidence_path, max_length=255)
    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.BigIntegerField()
    media_type = models.CharField(max_length=100)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(sha256__regex=r"^[0-9a-f]{64}$"), name="findingevidence_sha256_hex64"
            ),
            models.CheckConstraint(condition=Q(size__gte=0), name="findingevidence_size_positive"),
        ]
        verbose_name_plural = "finding evidence"

    def __str__(self) -> str:
        return f"{self.file_name} ({self.sha256[:12]})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("finding evidence is immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("finding evidence is immutable")


class FindingRiskSignoff(BaseModel):
    """One re-authenticated signature accepting a finding's risk, as one of the required roles."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="risk_signoffs")
    acceptance_round = models.PositiveIntegerField()
    signed_as = models.CharField(max_length=32)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=300)
    meaning = models.TextField()
    rationale = models.TextField()
    expires_on = models.DateField()
    signed_at = models.DateTimeField()
    signature_hash = models.CharField(max_length=64)
    authenticated_by = models.CharField(
        max_length=300,
        blank=True,
        help_text=(
            'How the signer re-authenticated: "password", or "oidc:<issuer> auth_time=<time>" '
            "for a fresh login at the organisation's provider"
        ),
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta(BaseModel.Meta):
        ordering = ("signed_at",)
        constraints = [
            models.UniqueConstraint(
                fields=("finding", "acceptance_round", "signed_as"),
                name="findingsignoff_one_per_role",
            ),
            models.UniqueConstraint(
                fields=("finding", "acceptance_round", "signer"),
                name="findingsignoff_one_per_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.printed_name} as {self.signed_as}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("risk-acceptance signatures are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("risk-acceptance signatures are immutable")
