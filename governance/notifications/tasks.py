from __future__ import annotations

from celery import shared_task


@shared_task(name="notifications.sweep_due", ignore_result=True)
def sweep_due_task() -> None:
    """Daily: every room's "due soon / overdue" notifications (each sent once per person)."""
    from governance.notifications.sweeps import notifications_sweep_due

    notifications_sweep_due()
