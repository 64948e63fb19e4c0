"""What the approvals room puts in people's inboxes, and takes out once it is settled.

Called inside the transaction of the change (a request opened, a stage completed, a request
closed), so the inbox never says a stage waits for someone after it stopped waiting.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse

from governance.approvals.models import ApprovalRequest, PolicyStage
from governance.approvals.selectors import eligible_signers
from governance.notifications.models import NotificationKind
from governance.notifications.services import notifications_create, notifications_resolve

# Kinds that ask for a signature on the current stage; settled when the stage stops waiting.
SIGNATURE_KINDS = (
    NotificationKind.APPROVAL_ASSIGNED,
    NotificationKind.SIGNOFF_DUE,
    NotificationKind.SIGNOFF_OVERDUE,
)


def request_path(request: ApprovalRequest) -> str:
    return reverse("approvals:request_detail", args=[request.pk])


def notify_stage_signers(request: ApprovalRequest, stage: PolicyStage) -> None:
    """Tell everyone who may sign the stage that has just started that it waits for them."""
    due = request.stage_started_at + dt.timedelta(hours=stage.sla_hours)
    notifications_create(
        recipients=eligible_signers(request, stage),
        kind=NotificationKind.APPROVAL_ASSIGNED,
        title=(
            f"{request.deployment} awaits your signature: stage {stage.order}, {stage.name}, "
            f"due {due:%Y-%m-%d %H:%M} UTC"
        ),
        link=request_path(request),
        subject=request,
        deployment=request.deployment_id,
        dedup_key=f"approval:{request.pk}:stage:{stage.order}:assigned",
    )


def settle_signature_notifications(request: ApprovalRequest) -> None:
    """The stage that asked for signatures is complete or the request closed: nothing waits."""
    notifications_resolve(subject=request, kinds=SIGNATURE_KINDS)
