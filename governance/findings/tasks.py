from __future__ import annotations

from celery import shared_task

from governance.findings.services import finding_acceptances_expire


@shared_task(
    name="findings.expire_acceptances",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=300,
    time_limit=360,
)
def expire_acceptances_task() -> int:
    """Hourly: reopen findings whose risk acceptance has run out.

    Idempotent: each finding is locked and re-checked, so a repeated run reopens nothing new.
    """
    return finding_acceptances_expire()
