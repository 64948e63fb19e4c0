"""In-app notifications: each person's inbox of things that need them.

A notification is inbox state, not governance evidence: the event it points at is already in
the ledger (an offer, a stage starting, an escalation). It names that event's subject the way
the ledger does (model label and id, as text), so this room knows no other room's models.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from governance.core.models import BaseModel


class NotificationKind(models.TextChoices):
    APPROVAL_ASSIGNED = "approval_assigned", "Approval assignment"
    SIGNOFF_DUE = "signoff_due", "Sign-off due"
    SIGNOFF_OVERDUE = "signoff_overdue", "Sign-off overdue"
    APPROVAL_EXPIRING = "approval_expiring", "Approval expiring"
    OWNERSHIP_OFFER = "ownership_offer", "Ownership offer"
    OWNERSHIP_OFFER_ANSWERED = "ownership_offer_answered", "Ownership offer answered"
    OWNERSHIP_ORPHANED = "ownership_orphaned", "Deployment without an owner"
    FINDING_ASSIGNED = "finding_assigned", "Finding assigned"
    FINDING_DUE_SOON = "finding_due_soon", "Finding due soon"
    FINDING_OVERDUE = "finding_overdue", "Finding overdue"
    INCIDENT_CLOCK = "incident_clock", "Incident reporting clock"
    GENERIC = "generic", "Notice"


# What the link lets the reader do, shown after the sentence ("… — review the offer").
ACTIONS: dict[str, str] = {
    NotificationKind.APPROVAL_ASSIGNED: "review and sign",
    NotificationKind.SIGNOFF_DUE: "review and sign",
    NotificationKind.SIGNOFF_OVERDUE: "act on the request",
    NotificationKind.APPROVAL_EXPIRING: "plan re-certification",
    NotificationKind.OWNERSHIP_OFFER: "review the offer",
    NotificationKind.OWNERSHIP_OFFER_ANSWERED: "see the offer",
    NotificationKind.OWNERSHIP_ORPHANED: "find an owner",
    NotificationKind.FINDING_ASSIGNED: "open the finding",
    NotificationKind.FINDING_DUE_SOON: "open the finding",
    NotificationKind.FINDING_OVERDUE: "open the finding",
    NotificationKind.INCIDENT_CLOCK: "open the incident",
}


class Notification(BaseModel):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    title = models.CharField(max_length=300, help_text="One sentence saying what needs you")
    link = models.CharField(max_length=500, help_text="Path of the page where you act")
    subject_type = models.CharField(max_length=100, blank=True)
    subject_id = models.CharField(max_length=64, blank=True)
    deployment = models.ForeignKey(
        "inventory.Deployment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    read_at = models.DateTimeField(null=True, blank=True)
    dedup_key = models.CharField(
        max_length=200,
        blank=True,
        help_text="The same key never notifies the same person twice (sweeps, redelivery)",
    )

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=("recipient", "dedup_key"),
                condition=~models.Q(dedup_key=""),
                name="notification_once_per_key",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=NotificationKind.values),
                name="notification_kind_known",
            ),
            # A path on this site only: never another host, never a script URL.
            models.CheckConstraint(
                condition=models.Q(link__startswith="/") & ~models.Q(link__startswith="//"),
                name="notification_link_local",
            ),
        ]
        indexes = [
            models.Index(
                fields=("recipient", "read_at", "created_at"), name="notification_inbox_idx"
            ),
            models.Index(fields=("subject_type", "subject_id"), name="notification_subject_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.recipient_id}: {self.title}"

    @property
    def is_unread(self) -> bool:
        return self.read_at is None

    @property
    def action(self) -> str:
        return ACTIONS.get(self.kind, "open")
