"""A real Celery beat and worker run the monitoring sweeps on their schedule: a silent metric
gets one alert and one finding, an incident's clock one reminder, however often they tick."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from governance.findings.models import Finding
from governance.ledger.models import LedgerEvent
from governance.monitoring.choices import AlertLevel
from governance.monitoring.models import Alert
from governance.monitoring.services.incidents import incident_report
from governance.monitoring.services.ingestion import observations_ingest
from governance.monitoring.services.plans import monitoring_plan_save
from tests.audits.reports.workers import WorkerProcess, Workers, worker_environment

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

TICK_SECONDS = 1  # both sweeps, so several ticks pass within a few seconds
TIMEOUT = 90.0  # bounds a hung worker; a healthy run needs a few seconds


@pytest.fixture
def workers(settings: Any, tmp_path: Path, transactional_db: None) -> Iterator[Workers]:
    with worker_environment(
        settings,
        tmp_path,
        settings_module="tests.governance.monitoring.worker_settings",
        extra_env={
            "MONITORING_SILENCE_SWEEP_SECONDS": str(TICK_SECONDS),
            "MONITORING_REMINDER_SWEEP_SECONDS": str(TICK_SECONDS),
        },
    ) as started:
        yield started


def _eventually(predicate: Callable[[], Any], what: str, processes: list[WorkerProcess]) -> None:
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    logs = "\n".join(f"--- {p.log.name}\n{p.output()[-3000:]}" for p in processes)
    raise AssertionError(f"within {TIMEOUT:.0f} s, expected: {what}\n{logs}")


def _succeeded(worker: WorkerProcess, task: str) -> int:
    return sum(
        1
        for line in worker.output().splitlines()
        if f"Task {task}[" in line and "succeeded" in line
    )


def test_beat_and_worker_raise_one_silent_alert_and_one_reminder_over_many_ticks(
    workers: Workers, deployment: Any, engineer: Any, officer: Any
) -> None:
    now = timezone.now()
    monitoring_plan_save(
        deployment=deployment,
        owner=engineer,
        actor=engineer,
        metrics=[
            {
                "key": "accuracy",
                "name": "Accuracy",
                "kind": "performance",
                "direction": "higher_is_better",
                "warning_threshold": 0.85,
                "breach_threshold": 0.80,
                "cadence_hours": 1,
                "severity": "high",
            }
        ],
    )
    # Heard from three hours ago, expected hourly: silent (more than twice the cadence).
    last = now - dt.timedelta(hours=3)
    observations_ingest(
        deployment=deployment,
        actor=engineer,
        points=[
            {
                "metric": "accuracy",
                "value": 0.9,
                "window_start": (last - dt.timedelta(hours=1)).isoformat(),
                "window_end": last.isoformat(),
            }
        ],
    )
    # Aware six days ago of a death (10 days to report): past half the time, not yet 80 %.
    incident = incident_report(
        deployment=deployment,
        actor=officer,
        title="Wrong dosage suggested",
        description="A dosage suggestion was followed without review.",
        occurred_at=now - dt.timedelta(days=6, hours=2),
        aware_at=now - dt.timedelta(days=6),
        severity="critical",
        serious=True,
        serious_category="death",
    )
    assert not Alert.objects.exists() and incident.reminders_sent == 0

    worker = workers()
    beat = workers.beat()
    processes = [worker, beat]

    def silent_alerts() -> Any:
        return Alert.objects.filter(deployment=deployment, level=AlertLevel.SILENT)

    def reminders() -> int:
        return LedgerEvent.objects.filter(action="incident.reminder_sent").count()

    _eventually(
        lambda: silent_alerts().exists() and reminders() >= 1,
        "a silent alert for 'accuracy' and the incident's first reminder",
        processes,
    )
    # Several more ticks of each sweep, each run to the end by the worker.
    ticks = {
        task: _succeeded(worker, task)
        for task in ("monitoring.silence_sweep", "monitoring.incident_reminders")
    }
    _eventually(
        lambda: all(_succeeded(worker, task) >= seen + 3 for task, seen in ticks.items()),
        "three more finished runs of each sweep",
        processes,
    )
    beat.stop()
    worker.stop()

    alert = silent_alerts().get()
    assert alert.metric == "accuracy" and alert.window_end == last
    finding = Finding.objects.get(source_kind="monitoring_alert")
    assert alert.finding_id == finding.pk
    assert finding.title.startswith("Monitoring silent: Accuracy")
    assert finding.owner == engineer and finding.severity == "high"
    assert LedgerEvent.objects.filter(action="monitoring_alert.raised").count() == 1
    incident.refresh_from_db()
    assert incident.reminders_sent == 1
    assert reminders() == 1
    # The console e-mail backend writes each reminder into the worker's log, once.
    assert worker.output().count("Subject: Serious incident report is due by") == 1
