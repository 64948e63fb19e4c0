"""Celery tasks: thin, idempotent, taking ids. The services claim the work, so a duplicated or
redelivered message does nothing new; the time limits and acks come from settings and are
repeated here because these are the tasks they exist for."""

from __future__ import annotations

import functools
import logging
from typing import Any

from celery import shared_task
from celery.contrib.django.task import DjangoTask
from django.db import transaction

# Imported here so a prefork worker loads WeasyPrint and pyHanko once, before forking.
from audits.reports.bundle import run_export
from audits.reports.generate import run_report

logger = logging.getLogger(__name__)

# Publishing gives up quickly: the row is already committed and the sweep will send it again.
PUBLISH_RETRY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


class OutboxTask(DjangoTask):
    """`delay_on_commit` that never fails the request that queued the job.

    The job's row is the outbox. If the broker cannot be reached when the transaction
    commits, the message is simply not sent: the row stays queued and `sweep_queued`
    dispatches it once the broker is back.
    """

    def delay_on_commit(self, *args: Any, **kwargs: Any) -> Any:
        transaction.on_commit(functools.partial(self._publish, args, kwargs))

    def _publish(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        try:
            self.apply_async(args, kwargs, retry=True, retry_policy=PUBLISH_RETRY)
        except Exception as exc:
            logger.warning(
                "broker unreachable (%s); %s%s stays queued for the sweep", exc, self.name, args
            )


@shared_task(
    name="reports.generate",
    base=OutboxTask,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=120,
    time_limit=150,
    ignore_result=True,
)
def generate_report_task(report_id: str) -> None:
    """Generate one report (snapshot, render, sign, store) if it is still queued."""
    run_report(report_id)


@shared_task(
    name="reports.build_export",
    base=OutboxTask,
    acks_late=True,
    reject_on_worker_lost=True,
    soft_time_limit=120,
    time_limit=150,
    ignore_result=True,
)
def build_export_task(export_id: str) -> None:
    """Build one export bundle if it is still queued."""
    run_export(export_id)


@shared_task(name="reports.sweep_queued", ignore_result=True)
def sweep_queued_task() -> None:
    """Beat: re-dispatch reports and exports still queued after REPORT_REDISPATCH_AFTER_SECONDS."""
    from audits.reports.services import export_sweep_queued, report_sweep_queued

    report_sweep_queued()
    export_sweep_queued()


@shared_task(name="reports.sweep_stuck", ignore_result=True)
def sweep_stuck_task() -> None:
    """Beat: re-queue (or fail, after the last attempt) jobs whose worker died."""
    from audits.reports.services import export_sweep_stuck, report_sweep_stuck

    report_sweep_stuck()
    export_sweep_stuck()
