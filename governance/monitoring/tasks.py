"""Beat jobs of the monitoring room; each is idempotent (the services claim their work)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="monitoring.silence_sweep", acks_late=True)
def silence_sweep_task() -> int:
    from governance.monitoring.services.alerts import silence_sweep

    return len(silence_sweep())


@shared_task(name="monitoring.incident_reminders", acks_late=True)
def incident_reminders_task() -> int:
    from governance.monitoring.services.incidents import incident_reminder_sweep

    return incident_reminder_sweep()
