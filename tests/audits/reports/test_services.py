"""The job lifecycle: request, claim, progress, fail, the transition table and the sweeps."""

from __future__ import annotations

import datetime as dt
import socket
import subprocess
import sys
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from audits.reports.models import ALLOWED_TRANSITIONS, JobStatus, Report
from audits.reports.services import (
    ReportOutcome,
    report_claim,
    report_complete,
    report_fail,
    report_progress,
    report_request,
    report_sweep_queued,
    report_sweep_stuck,
)
from audits.reports.services.jobs import claimant_is_gone, worker_identity
from governance.accounts.roles import Role
from governance.core.errors import Conflict, InvalidInput, PermissionRefused
from governance.ledger.models import LedgerEvent
from tests.factories import DeploymentFactory, ReportFactory, user_with_roles

pytestmark = pytest.mark.django_db


def _events(report: Report) -> list[str]:
    return list(
        LedgerEvent.objects.filter(subject_id=str(report.pk))
        .order_by("seq")
        .values_list("action", flat=True)
    )


def _dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_request_queues_the_report_ledgers_it_and_dispatches_after_commit(
    owner: Any, deployment: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    sent: list[str] = []
    monkeypatch.setattr(
        "audits.reports.tasks.generate_report_task.apply_async",
        lambda args, kwargs, **options: sent.append(args[0]),
    )
    with django_capture_on_commit_callbacks(execute=True):
        report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
        assert sent == []  # nothing is sent before the row is committed
    assert sent == [str(report.pk)]
    assert report.status == JobStatus.QUEUED and report.dispatched_at is not None
    event = LedgerEvent.objects.get(action="report.requested")
    assert event.deployment_id == str(deployment.pk) and event.actor_name == "maya"
    assert event.payload["kind"] == "deployment_dossier"


def test_a_request_succeeds_when_the_broker_is_unreachable(
    owner: Any, deployment: Any, django_capture_on_commit_callbacks: Any, caplog: Any
) -> None:
    from governance.celery import app
    from tests.audits.reports.workers import configure_test_app

    saved = (app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_default_queue)
    configure_test_app("redis://127.0.0.1:9/0", {}, "reports-unreachable")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    finally:
        configure_test_app(*saved)
    report.refresh_from_db()
    assert report.status == JobStatus.QUEUED
    assert "stays queued for the sweep" in caplog.text


def test_auditors_cannot_request_reports(deployment: Any) -> None:
    auditor = user_with_roles(Role.AUDITOR)
    with pytest.raises(PermissionRefused):
        report_request(actor=auditor, kind="deployment_dossier", deployment=deployment)
    assert not Report.objects.exists()


@pytest.mark.parametrize(
    ("kind", "field"),
    [("nonsense", "kind"), ("deployment_dossier", "deployment"), ("bias_audit", "bias_audit")],
)
def test_bad_requests_are_refused_with_the_field(owner: Any, kind: str, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        report_request(actor=owner, kind=kind)
    assert field in refused.value.fields
    assert (
        not Report.objects.exists()
        and not LedgerEvent.objects.filter(action="report.requested").exists()
    )


def test_only_one_claim_wins(owner: Any, deployment: Any) -> None:
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    first = report_claim(report_id=report.pk, worker="host-a:1")
    second = report_claim(report_id=report.pk, worker="host-b:2")
    assert first is not None and first.claimed_by == "host-a:1" and first.attempts == 1
    assert second is None
    assert _events(report) == ["report.requested", "report.started"]


def test_a_claim_held_by_a_dead_process_on_this_host_is_taken_over(
    owner: Any, deployment: Any
) -> None:
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    dead = f"{socket.gethostname()}:{_dead_pid()}"
    report_claim(report_id=report.pk, worker=dead)
    taken = report_claim(report_id=report.pk, worker=worker_identity())
    assert taken is not None and taken.attempts == 2
    started = LedgerEvent.objects.filter(action="report.started").order_by("-seq").first()
    assert started is not None and started.payload["took_over_from"] == dead


def test_claims_of_live_or_remote_workers_are_respected(owner: Any, deployment: Any) -> None:
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    report_claim(report_id=report.pk, worker="another-host:1")
    assert report_claim(report_id=report.pk, worker=worker_identity()) is None
    assert not claimant_is_gone("another-host:1")
    assert not claimant_is_gone(f"{socket.gethostname()}:²")  # not a pid: never "gone"
    assert not claimant_is_gone(worker_identity())
    assert not claimant_is_gone(f"{socket.gethostname()}:1")  # pid 1 is alive


def test_progress_only_counts_for_the_worker_that_holds_the_claim(
    owner: Any, deployment: Any
) -> None:
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    report_claim(report_id=report.pk, worker="host-a:1")
    assert report_progress(report_id=report.pk, worker="host-a:1", percent=40, stage="rendering")
    assert not report_progress(report_id=report.pk, worker="host-b:2", percent=90, stage="x")
    report.refresh_from_db()
    assert (report.progress, report.stage) == (40, "rendering")


def test_only_the_claiming_worker_can_complete(owner: Any, deployment: Any) -> None:
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    report_claim(report_id=report.pk, worker="host-a:1")
    outcome = ReportOutcome(
        evidence_json=b"{}",
        evidence_sha256="0" * 64,
        head_seq=1,
        head_hash="0" * 64,
        snapshot_at=timezone.now(),
        file_name="reports/x.pdf",
        file_sha256="1" * 64,
        file_size=1,
        page_count=1,
        signing_certificate_sha256="2" * 64,
    )
    with pytest.raises(Conflict):
        report_complete(report_id=report.pk, worker="host-b:2", outcome=outcome)
    report.refresh_from_db()
    assert report.status == JobStatus.RUNNING


def test_failure_keeps_the_error_and_is_ledgered(owner: Any, deployment: Any) -> None:
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    report_claim(report_id=report.pk, worker="host-a:1")
    assert report_fail(report_id=report.pk, error="boom", worker="host-b:2") is None
    failed = report_fail(report_id=report.pk, error="Rendering failed: boom", worker="host-a:1")
    assert failed is not None and failed.status == JobStatus.FAILED
    assert failed.error == "Rendering failed: boom"
    assert _events(report)[-1] == "report.failed"
    assert report_claim(report_id=report.pk, worker="host-a:1") is None  # final


def test_finished_states_are_final_in_the_transition_table() -> None:
    assert ALLOWED_TRANSITIONS[JobStatus.DONE] == frozenset()
    assert ALLOWED_TRANSITIONS[JobStatus.FAILED] == frozenset()
    assert JobStatus.QUEUED in ALLOWED_TRANSITIONS[JobStatus.RUNNING]


def test_database_refuses_a_done_report_without_a_file() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportFactory(status=JobStatus.DONE)


def test_database_refuses_a_failed_report_without_an_error() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportFactory(status=JobStatus.FAILED, error="")


def test_database_refuses_a_dossier_without_a_deployment() -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        ReportFactory(deployment=None, subject_key="x", title="x")


def test_sweep_redispatches_only_reports_left_queued_too_long(
    owner: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    sent: list[str] = []
    monkeypatch.setattr(
        "audits.reports.tasks.generate_report_task.apply_async",
        lambda args, kwargs, **options: sent.append(args[0]),
    )
    stale = ReportFactory(dispatched_at=timezone.now() - dt.timedelta(minutes=5))
    fresh = ReportFactory(dispatched_at=timezone.now())
    running = ReportFactory(
        status=JobStatus.RUNNING, dispatched_at=timezone.now() - dt.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        swept = report_sweep_queued()
    assert swept == [str(stale.pk)] and sent == [str(stale.pk)]
    stale.refresh_from_db()
    assert stale.dispatched_at is not None and stale.dispatched_at > fresh.dispatched_at
    assert str(running.pk) not in sent
    with django_capture_on_commit_callbacks(execute=True):
        assert report_sweep_queued() == []  # just dispatched: not again for a minute


def test_sweep_requeues_reports_whose_worker_died_and_fails_after_the_last_attempt(
    owner: Any,
    deployment: Any,
    settings: Any,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(
        "audits.reports.tasks.generate_report_task.apply_async", lambda *a, **k: None
    )
    settings.REPORT_MAX_ATTEMPTS = 2
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    report_claim(report_id=report.pk, worker=f"{socket.gethostname()}:{_dead_pid()}")
    alive = ReportFactory(deployment=DeploymentFactory())
    report_claim(report_id=alive.pk, worker=worker_identity())
    with django_capture_on_commit_callbacks(execute=True):
        outcome = report_sweep_stuck()
    assert outcome == {"requeued": [str(report.pk)], "failed": []}
    report.refresh_from_db()
    assert report.status == JobStatus.QUEUED and report.claimed_by == ""
    assert _events(report)[-1] == "report.requeued"
    alive.refresh_from_db()
    assert alive.status == JobStatus.RUNNING  # its worker is this very process

    report_claim(report_id=report.pk, worker=f"{socket.gethostname()}:{_dead_pid()}")
    with django_capture_on_commit_callbacks(execute=True):
        outcome = report_sweep_stuck()
    report.refresh_from_db()
    assert outcome["failed"] == [str(report.pk)] and report.status == JobStatus.FAILED
    assert "2 attempts" in report.error


def test_sweep_treats_a_claim_older_than_the_hard_limit_as_abandoned(
    owner: Any, deployment: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr(
        "audits.reports.tasks.generate_report_task.apply_async", lambda *a, **k: None
    )
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    report_claim(report_id=report.pk, worker="remote-host:42")
    Report.objects.filter(pk=report.pk).update(claimed_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert report_sweep_stuck()["requeued"] == [str(report.pk)]
    event = LedgerEvent.objects.get(action="report.requeued")
    assert event.payload["reason"] == "running past the hard time limit"
