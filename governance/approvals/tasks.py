from __future__ import annotations

from celery import shared_task


@shared_task(name="approvals.sla_notices", ignore_result=True)
def sla_notices_task() -> None:
    """Hourly: SLA reminders and escalations (each notice is sent once)."""
    from governance.approvals.services.notices import approvals_send_sla_notices

    approvals_send_sla_notices()


@shared_task(name="approvals.expiry", ignore_result=True)
def expiry_task() -> None:
    """Hourly: expire approvals past re-certification, and warn 30 days ahead."""
    from governance.approvals.services import approvals_expire_due
    from governance.approvals.services.notices import approvals_send_expiry_notices

    approvals_expire_due()
    approvals_send_expiry_notices()
