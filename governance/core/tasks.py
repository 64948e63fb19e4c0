from __future__ import annotations

import logging

from celery import shared_task

from governance.core.evidence import check_evidence

logger = logging.getLogger(__name__)


@shared_task(name="core.verify_evidence", ignore_result=True)
def verify_evidence_task() -> None:
    """Re-hash the stored evidence files (weekly by beat); reads only, so safe to run twice.

    Each missing or altered file is logged at ERROR, where the operator's alerting listens.
    """
    checked, problems = check_evidence()
    for problem in problems:
        logger.error("evidence file %s", problem)
    logger.info("evidence check: %d files, %d problems", checked, len(problems))
