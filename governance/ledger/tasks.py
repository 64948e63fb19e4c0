from __future__ import annotations

from celery import shared_task

from governance.ledger.services import ledger_check_record


@shared_task(name="ledger.verify_chain", ignore_result=True)
def verify_ledger_task() -> None:
    """Re-verify the whole chain (hourly by beat, or on request from the status page)."""
    ledger_check_record()
