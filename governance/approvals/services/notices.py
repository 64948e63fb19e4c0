"""SLA reminders, escalations and expiry notices (beat jobs; each sent at most once).

Each notice goes out twice from the same place, by e-mail and into the recipients' in-app
inboxes, in the transaction that records it: the two always say the same thing to the same
people, and a notice already recorded sends neither again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from governance.accounts.models import User
from governance.approvals.models import ApprovalNotice, ApprovalRequest, RequestStatus
from governance.approvals.selectors import eligible_signers
from governance.approvals.services.signoffs import current_stage
from governance.ledger.services import ledger_append
from governance.notifications.models import NotificationKind
from governance.notifications.services import notifications_create

EXPIRY_NOTICE_DAYS = 30

# The in-app kind of each notice.
INBOX_KINDS = {
    ApprovalNotice.Kind.REMINDER: NotificationKind.SIGNOFF_DUE,
    ApprovalNotice.Kind.ESCALATION: NotificationKind.SIGNOFF_OVERDUE,
    ApprovalNotice.Kind.EXPIRY_NOTICE: NotificationKind.APPROVAL_EXPIRING,
}


def _link(request: ApprovalRequest) -> str:
    return settings.SITE_URL + reverse("approvals:request_detail", args=[request.pk])


def _notify_once(
    request: ApprovalRequest,
    *,
    kind: str,
    stage_order: int,
    recipients: list[User],
    subject: str,
    body: str,
) -> bool:
    """Record the notice and queue the emails, or do nothing if it was already sent."""
    addresses = sorted({u.email for u in recipients if u.email})
    try:
        with transaction.atomic():
            ApprovalNotice.objects.create(
                request=request, stage_order=stage_order, kind=kind, recipients=addresses
            )
            ledger_append(
                actor=None,
                action=f"approval_request.{kind}",
                subject=request,
                deployment_id=request.deployment_id,
                data={"stage": stage_order, "recipients": addresses, "subject": subject},
            )
            notifications_create(
                recipients=recipients,
                kind=INBOX_KINDS[ApprovalNotice.Kind(kind)],
                title=subject,
                link=reverse("approvals:request_detail", args=[request.pk]),
                subject=request,
                deployment=request.deployment_id,
                dedup_key=f"approval:{request.pk}:stage:{stage_order}:{kind}",
            )
            messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [a]) for a in addresses]
            transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))
    except IntegrityError:
        return False  # sent by an earlier run
    return True


def _holders_of(role: str) -> list[User]:
    return list(User.objects.filter(is_active=True, role_grants__role=role).distinct())


def approvals_send_sla_notices(*, now: dt.datetime | None = None) -> int:
    """Remind eligible signers half-way through a stage's SLA; escalate once it is overdue."""
    now = now or timezone.now()
    sent = 0
    pending = (
        ApprovalRequest.objects.filter(status=RequestStatus.PENDING)
        .select_related("deployment__model_version__system", "policy")
        .prefetch_related("policy__stages", "signoffs")
    )
    for request in pending:
        stage = current_stage(request)
        if stage is None:
            continue
        elapsed = now - request.stage_started_at
        sla = dt.timedelta(hours=stage.sla_hours)
        what = f"{request.deployment} — stage {stage.order}, {stage.name}"
        if elapsed >= sla / 2:
            sent += _notify_once(
                request,
                kind=ApprovalNotice.Kind.REMINDER,
                stage_order=stage.order,
                recipients=eligible_signers(request, stage),
                subject=f"Signature needed: {what}",
                body=(
                    f"Your signature is awaited on {what}.\n"
                    f"Due {request.stage_started_at + sla:%Y-%m-%d %H:%M} UTC.\n{_link(request)}\n"
                ),
            )
        if elapsed >= sla:
            sent += _notify_once(
                request,
                kind=ApprovalNotice.Kind.ESCALATION,
                stage_order=stage.order,
                recipients=_holders_of(stage.escalation_role),
                subject=f"Overdue approval escalated to you: {what}",
                body=f"{what} is past its {stage.sla_hours} h SLA.\n{_link(request)}\n",
            )
    return sent


def approvals_send_expiry_notices(*, now: dt.datetime | None = None) -> int:
    """Tell the requester and compliance officers 30 days before an approval expires."""
    now = now or timezone.now()
    soon = now + dt.timedelta(days=EXPIRY_NOTICE_DAYS)
    sent = 0
    expiring = ApprovalRequest.objects.filter(
        status=RequestStatus.APPROVED, expires_at__lte=soon, expires_at__gt=now
    ).select_related("deployment__model_version__system", "requested_by")
    compliance = _holders_of("compliance_officer")
    for request in expiring:
        sent += _notify_once(
            request,
            kind=ApprovalNotice.Kind.EXPIRY_NOTICE,
            stage_order=0,
            recipients=[request.requested_by, *compliance],
            subject=f"Approval expires {request.expires_at:%Y-%m-%d}: {request.deployment}",
            body=(
                f"The approval of {request.deployment} expires on "
                f"{request.expires_at:%Y-%m-%d}. Request re-certification before then.\n"
                f"{_link(request)}\n"
            ),
        )
    return sent


def notices_for(request: ApprovalRequest) -> list[Any]:
    return list(request.notices.order_by("sent_at"))
