from __future__ import annotations

from celery import shared_task

from governance.liability.services import ownership_orphans_recheck


@shared_task(name="liability.recheck_orphans", ignore_result=True)
def recheck_orphans_task() -> int:
    """Daily safety net: orphan deployments whose owner is inactive or lost the qualifying role.

    Idempotent: an ownership is ended once, so a redelivered or repeated run changes nothing.
    """
    return ownership_orphans_recheck(actor=None)
