from __future__ import annotations

import logging

from celery import shared_task

from governance.core.signing_key import SigningNotConfigured
from governance.ledger.checkpoints import ledger_checkpoint_take
from governance.ledger.services import ledger_check_record

logger = logging.getLogger(__name__)


@shared_task(name="ledger.verify_chain", ignore_result=True)
def verify_ledger_task(full: bool = False) -> None:
    """Verify the events added since the last intact check (hourly by beat), or the whole
    chain with its signed checkpoints (`full`: daily by beat, and the status page's button)."""
    ledger_check_record(full=full)


@shared_task(name="ledger.checkpoint", ignore_result=True)
def checkpoint_ledger_task() -> None:
    """Sign the ledger head (hourly by beat); does nothing when no event came since the last."""
    try:
        ledger_checkpoint_take()
    except SigningNotConfigured as exc:
        # Retrying cannot help until someone configures a key; the log says what to set.
        logger.error("ledger checkpoint not taken: %s", exc)
