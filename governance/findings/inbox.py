"""What findings put in people's inboxes: a finding's owner learns it is theirs, and the daily
sweep tells them when it is due within a week and when it is overdue.

Called inside the transaction that raises the finding, so inbox and record agree. Dedup keys
name the finding, the stage and the due date: a sweep run twice notifies nobody twice.
"""

from __future__ import annotations

import datetime as dt

from django.urls import reverse
from django.utils import timezone

from governance.findings.models import Finding
from governance.notifications.models import NotificationKind
from governance.notifications.services import notification_create
from governance.notifications.sweeps import register_due_sweep

DUE_SOON_DAYS = 7


def _link(finding: Finding) -> str:
    return reverse("findings:detail", args=[finding.pk])


def notify_owner(finding: Finding) -> None:
    notification_create(
        recipient=finding.owner,
        kind=NotificationKind.FINDING_ASSIGNED,
        title=(
            f"You own the {finding.get_severity_display().lower()} finding “{finding.title}” "
            f"on {finding.deployment}, due {finding.due_date:%Y-%m-%d}"
        ),
        link=_link(finding),
        subject=finding,
        deployment=finding.deployment_id,
        dedup_key=f"finding:{finding.pk}:assigned:{finding.due_date:%Y-%m-%d}",
    )


@register_due_sweep("findings")
def findings_due_sweep(now: dt.datetime) -> int:
    """Owners of findings due within a week, and of overdue ones, are told once per stage."""
    from governance.findings.selectors import findings_due, findings_overdue

    today = now.date()
    started = timezone.now()
    notified = 0
    stages = (
        (findings_due(within_days=DUE_SOON_DAYS, today=today), NotificationKind.FINDING_DUE_SOON),
        (findings_overdue(today=today), NotificationKind.FINDING_OVERDUE),
    )
    for findings, kind in stages:
        for finding in findings:
            late = kind == NotificationKind.FINDING_OVERDUE
            notice = notification_create(
                recipient=finding.owner,
                kind=kind,
                title=(
                    f"The finding “{finding.title}” on {finding.deployment} "
                    + (
                        f"is overdue (was due {finding.due_date:%Y-%m-%d})"
                        if late
                        else f"is due on {finding.due_date:%Y-%m-%d}"
                    )
                ),
                link=_link(finding),
                subject=finding,
                deployment=finding.deployment_id,
                dedup_key=f"finding:{finding.pk}:{kind}:{finding.due_date:%Y-%m-%d}",
            )
            # An existing notice (same dedup key) comes back unchanged and was made earlier.
            notified += int(notice.created_at >= started)
    return notified
