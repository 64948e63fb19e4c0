"""Approval policies (versioned data), requests, sign-offs and gate decisions."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from governance.accounts.roles import Role
from governance.core.models import BaseModel, ImmutableQuerySet, ImmutableRecordError

POLICY_TIERS = [("I", "Tier I"), ("II", "Tier II"), ("III", "Tier III"), ("IV", "Tier IV")]


class ApprovalPolicy(BaseModel):
    """One version of a risk tier's approval rules. Never edited: a change is a new version."""

    tier = models.CharField(max_length=8, choices=POLICY_TIERS)
    version = models.PositiveIntegerField()
    is_current = models.BooleanField(default=True)
    recertification_months = models.PositiveSmallIntegerField()
    blocking_finding_severities = models.JSONField(
        default=list,
        blank=True,
        help_text="Severities of open findings that close the deployment gate in this tier",
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ("tier", "-version")  # type: ignore[assignment]
        verbose_name_plural = "approval policies"
        constraints = [
            models.UniqueConstraint(fields=("tier", "version"), name="policy_tier_version_unique"),
            models.UniqueConstraint(
                fields=("tier",),
                condition=models.Q(is_current=True),
                name="policy_one_current_per_tier",
            ),
            models.CheckConstraint(
                condition=models.Q(recertification_months__gte=1),
                name="policy_recertification_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"Tier {self.tier} policy v{self.version}"


class PolicyStage(BaseModel):
    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.PROTECT, related_name="stages")
    order = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    required_role = models.CharField(max_length=32, choices=Role.choices)
    quorum = models.PositiveSmallIntegerField(default=1)
    sla_hours = models.PositiveIntegerField(default=72)
    escalation_role = models.CharField(max_length=32, choices=Role.choices)

    class Meta(BaseModel.Meta):
        ordering = ("policy", "order")  # type: ignore[assignment]
        constraints = [
            models.UniqueConstraint(fields=("policy", "order"), name="stage_order_unique"),
            models.CheckConstraint(condition=models.Q(quorum__gte=1), name="stage_quorum_positive"),
            models.CheckConstraint(condition=models.Q(sla_hours__gte=1), name="stage_sla_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.order}. {self.name} ({self.required_role} ×{self.quorum})"


class RequestStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    CHANGES_REQUESTED = "changes_requested", "Changes requested"
    WITHDRAWN = "withdrawn", "Withdrawn"
    EXPIRED = "expired", "Expired"
    INVALIDATED = "invalidated", "Invalidated"


ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    RequestStatus.PENDING: frozenset(
        {
            RequestStatus.APPROVED,
            RequestStatus.REJECTED,
            RequestStatus.CHANGES_REQUESTED,
            RequestStatus.WITHDRAWN,
            RequestStatus.INVALIDATED,
        }
    ),
    RequestStatus.APPROVED: frozenset({RequestStatus.EXPIRED, RequestStatus.INVALIDATED}),
}
OPEN_STATUSES = (RequestStatus.PENDING, RequestStatus.APPROVED)


class ApprovalRequest(BaseModel):
    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="approval_requests"
    )
    policy = models.ForeignKey(ApprovalPolicy, on_delete=models.PROTECT, related_name="requests")
    assessment_id = models.UUIDField()
    tier = models.CharField(max_length=8, choices=POLICY_TIERS)
    dossier = models.JSONField(help_text="The canonical dossier the signers approve")
    dossier_hash = models.CharField(max_length=64)
    status = models.CharField(
        max_length=20, choices=RequestStatus.choices, default=RequestStatus.PENDING
    )
    current_stage = models.PositiveSmallIntegerField(
        default=1, help_text="Order of the stage awaiting signatures"
    )
    stage_started_at = models.DateTimeField()
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    reason = models.TextField(blank=True, help_text="What the requester tells the signers")
    decided_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    closed_reason = models.TextField(blank=True)

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=RequestStatus.values),
                name="request_status_known",
            ),
            # At most one open (pending or approved) request per deployment.
            models.UniqueConstraint(
                fields=("deployment",),
                condition=models.Q(status__in=["pending", "approved"]),
                name="request_one_open_per_deployment",
                violation_error_message="This deployment already has an open approval request.",
            ),
        ]
        indexes = [
            models.Index(fields=("status", "current_stage"), name="request_status_stage_idx"),
            models.Index(fields=("deployment", "status"), name="request_deployment_idx"),
        ]

    def __str__(self) -> str:
        return f"Approval of {self.deployment} ({self.get_status_display()})"


class StageCompletion(models.Model):
    """The moment a stage reached quorum. Unique per stage, so it can happen exactly once."""

    id = models.BigAutoField(primary_key=True)
    request = models.ForeignKey(
        ApprovalRequest, on_delete=models.PROTECT, related_name="completions"
    )
    stage_order = models.PositiveSmallIntegerField()
    completed_at = models.DateTimeField()

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ("stage_order",)
        constraints = [
            models.UniqueConstraint(
                fields=("request", "stage_order"), name="completion_once_per_stage"
            ),
        ]

    def __str__(self) -> str:
        return f"stage {self.stage_order} of {self.request_id} complete"


class Decision(models.TextChoices):
    APPROVE = "approve", "Approve"
    REJECT = "reject", "Reject"
    REQUEST_CHANGES = "request_changes", "Request changes"


class SignOff(BaseModel):
    """An electronic signature (21 CFR Part 11 style). Immutable once written."""

    request = models.ForeignKey(ApprovalRequest, on_delete=models.PROTECT, related_name="signoffs")
    stage_order = models.PositiveSmallIntegerField()
    stage_name = models.CharField(max_length=100)
    signed_as = models.CharField(max_length=32, choices=Role.choices)
    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    printed_name = models.CharField(max_length=300)
    decision = models.CharField(max_length=20, choices=Decision.choices)
    meaning = models.TextField()
    comment = models.TextField(blank=True)
    conditions = models.TextField(blank=True)
    signed_at = models.DateTimeField()
    dossier_hash = models.CharField(max_length=64)
    signature_hash = models.CharField(max_length=64, unique=True)
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
            # One person signs at most once per request, across all stages.
            models.UniqueConstraint(fields=("request", "signer"), name="signoff_once_per_request"),
            models.CheckConstraint(
                condition=models.Q(decision="approve") | ~models.Q(comment=""),
                name="signoff_refusal_has_comment",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.printed_name}: {self.decision} ({self.signed_at:%Y-%m-%d %H:%M} UTC)"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("sign-offs are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("sign-offs are never deleted")


class ApprovalNotice(models.Model):
    """A reminder, escalation or expiry notice already sent: makes the beat jobs idempotent."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", "SLA reminder"
        ESCALATION = "escalation", "Escalation"
        EXPIRY_NOTICE = "expiry_notice", "Expiry notice"

    id = models.BigAutoField(primary_key=True)
    request = models.ForeignKey(ApprovalRequest, on_delete=models.CASCADE, related_name="notices")
    stage_order = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=("request", "stage_order", "kind"), name="notice_once_per_stage_kind"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.request_id}"


class GateDecision(models.Model):
    """Every answer the deployment gate gave: who asked, about what, and the verdict."""

    id = models.BigAutoField(primary_key=True)
    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.CASCADE, related_name="gate_decisions"
    )
    asked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    asked_at = models.DateTimeField(auto_now_add=True, db_index=True)
    allowed = models.BooleanField()
    reasons = models.JSONField(default=list)
    fingerprint = models.CharField(max_length=64)
    approval = models.ForeignKey(
        ApprovalRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ("-asked_at",)
        indexes = [models.Index(fields=("allowed", "asked_at"), name="gate_allowed_at_idx")]

    def __str__(self) -> str:
        return f"gate {'open' if self.allowed else 'closed'} for {self.deployment_id}"
