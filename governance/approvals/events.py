"""How the approvals room's ledger events read."""

from __future__ import annotations

from governance.approvals.models import ApprovalNotice, RequestStatus
from governance.ledger.describe import register_event_sentences

NOTICE_KINDS = [f"approval_request.{kind}" for kind in ApprovalNotice.Kind.values]
CLOSING_KINDS = [
    f"approval_request.{status}"
    for status in (RequestStatus.REJECTED, RequestStatus.CHANGES_REQUESTED)
]


def register() -> None:
    register_event_sentences(
        {
            "approval_policy.versioned": "{actor} published a new version of an approval policy",
            "approval_request.created": "{actor} requested approval of {target}",
            "approval_request.approved": "{target} was approved",
            "approval_request.rejected": "{actor} rejected the approval request for {target}",
            "approval_request.changes_requested": "{actor} asked for changes to {target}",
            "approval_request.withdrawn": "{actor} withdrew the approval request for {target}",
            "approval_request.expired": "The approval request for {target} expired",
            "approval_request.invalidated": (
                "The approval request for {target} was invalidated by a change"
            ),
            "approval_request.reminder": "The system reminded the reviewers of {target}",
            "approval_request.escalation": "The system escalated the overdue review of {target}",
            "approval_request.expiry_notice": (
                "The system warned that the approval of {target} is about to expire"
            ),
            "approval_stage.completed": "{actor} completed the {name} review of {target}",
            "signoff.recorded": "{actor} signed for {target} as {signed_as}: {decision}",
            "signoff.refused": "{actor} was refused a sign-off for {target}: {reason}",
        },
        emitted_by={
            "governance.approvals.services.notices": NOTICE_KINDS,
            "governance.approvals.services.signoffs": CLOSING_KINDS,
        },
    )
