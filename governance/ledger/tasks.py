from __future__ import annotations

import logging

from celery import shared_task

from governance.core.signing_key import SigningNotConfigured
from governance.ledger.checkpoints import ledger_checkpoint_take
from governance.ledger.services import ledger_check_record

logger = logging.getLogger(__name__)


@shared_task(name="ledger.verify_chain", ignore_result=True)
def verify_ledger_task() -> None:
    """Re-verify the whole chain (hourly by beat, or on request from the status page)."""
    ledger_check_record()


@shared_task(name="ledger.checkpoint", ignore_result=True)
def checkpoint_ledger_task() -> None:
    """Sign the ledger head (hourly by beat); does nothing when no event came since the last."""
    try:
        ledger_checkpoint_take()
    except SigningNotConfigured as exc:
        # Retrying cannot help until someone configures a key; the log says what to set.
        logger.error("ledger checkpoint not taken: %s", exc)
