"""A real Celery worker process generates reports: every kind that exists, exactly once,
surviving duplicates, a SIGKILL mid-render and a broker outage."""

from __future__ import annotations

import io
import json
import time
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction
from pypdf import PdfReader
from rest_framework.test import APIClient

from audits.reports.models import JobStatus, Report
from audits.reports.services import (
    export_request,
    report_request,
    report_sweep_queued,
)
from audits.reports.signing import check_pdf_signature
from audits.reports.tasks import generate_report_task, sweep_queued_task, sweep_stuck_task
from governance.accounts.roles import Role
from governance.approvals.models import SignOff
from governance.approvals.services import approval_request_create
from governance.core.canonical import sha256_hex
from governance.ledger.models import LedgerEvent
from governance.ledger.services import ledger_append
from tests.audits.reports.workers import configure_test_app, wait_for
from tests.factories import BiasAuditFactory, user_with_roles
from tests.factories.approvals import approve_fully, ready_deployment

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _finished(job: Any) -> Any:
    def check() -> Any:
        job.refresh_from_db()
        return job if job.is_finished else None

    return wait_for(check)


def _pdf_text(content: bytes) -> str:
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def test_worker_generates_a_signed_dossier_with_its_evidence_attached(
    start_worker: Any, owner: Any, deployment: Any
) -> None:
    start_worker()
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    report = _finished(report)
    assert report.status == JobStatus.DONE, report.error
    content = report.file.open("rb").read()
    assert sha256_hex(content) == report.file_sha256
    text = _pdf_text(content)
    assert "Credit limit model" in text and "Maya Patel" in text
    assert check_pdf_signature(content).status == "intact"
    attachments = PdfReader(io.BytesIO(content)).attachments
    evidence = attachments["evidence.json"][0]
    assert sha256_hex(evidence) == report.evidence_sha256
    assert json.loads(evidence)["report"]["id"] == str(report.pk)


def test_worker_puts_every_signers_printed_name_and_meaning_in_the_dossier(
    start_worker: Any,
) -> None:
    deployment, requester, _ = ready_deployment("III")
    approval = approval_request_create(deployment=deployment, actor=requester)
    approve_fully(approval)
    first = approval.signoffs.order_by("signed_at").first()
    assert first is not None
    start_worker()
    report = _finished(
        report_request(actor=requester, kind="deployment_dossier", deployment=deployment)
    )
    assert report.status == JobStatus.DONE, report.error
    content = report.file.open("rb").read()
    text = _pdf_text(content)
    signoffs = list(SignOff.objects.filter(request=approval))
    assert len(signoffs) == 4  # tier III: review, compliance, legal, final decision
    for signoff in signoffs:
        assert signoff.printed_name in text and signoff.meaning in text
        assert f"{signoff.signed_at:%Y-%m-%d %H:%M:%S} UTC" in text
    assert "Open: the deployment may go live." in text
    assert check_pdf_signature(content).status == "intact"


def test_worker_generates_a_bias_audit_summary(start_worker: Any, owner: Any) -> None:
    audit = BiasAuditFactory(actor=owner, finalize=True, auditor_name="Priya Raman")
    start_worker()
    report = _finished(report_request(actor=owner, kind="bias_audit", bias_audit=str(audit.pk)))
    assert report.status == JobStatus.DONE, report.error
    content = report.file.open("rb").read()
    text = _pdf_text(content)
    assert "Bias audit summary" in text and "Priya Raman" in text
    assert "Female 60 0.500 1.000" in text
    assert check_pdf_signature(content).status == "intact"
    evidence = PdfReader(io.BytesIO(content)).attachments["evidence.json"][0]
    assert sha256_hex(evidence) == report.evidence_sha256


def test_worker_generates_a_portfolio_report(
    start_worker: Any, owner: Any, deployment: Any
) -> None:
    start_worker()
    report = _finished(report_request(actor=owner, kind="portfolio"))
    assert report.status == JobStatus.DONE, report.error
    content = report.file.open("rb").read()
    text = _pdf_text(content)
    assert "Credit limit model" in text
    for part in (
        "Every deployment by risk tier and state",
        "Approvals overdue or expiring",
        "Stale bias audits",
        "Orphaned ownership",
    ):
        assert part in text, part
    assert check_pdf_signature(content).status == "intact"
    evidence = PdfReader(io.BytesIO(content)).attachments["evidence.json"][0]
    assert sha256_hex(evidence) == report.evidence_sha256


def test_worker_builds_an_export_bundle(start_worker: Any, owner: Any, deployment: Any) -> None:
    compliance = user_with_roles(Role.COMPLIANCE_OFFICER)
    start_worker()
    export = export_request(actor=compliance, recipient="Regulator", deployments=[deployment])
    export = _finished(export)
    assert export.status == JobStatus.DONE, export.error
    archive = zipfile.ZipFile(export.file.open("rb"))
    manifest = json.loads(archive.read("manifest.json"))
    assert len([f for f in manifest["files"] if f["path"].endswith("dossier.pdf")]) == 1
    assert LedgerEvent.objects.filter(
        action="export.sent", deployment_id=str(deployment.pk)
    ).exists()


def _succeeded(worker: Any) -> int:
    return worker.output().count("succeeded in")


def test_duplicate_deliveries_produce_one_report_and_one_file(
    start_worker: Any, owner: Any, deployment: Any, settings: Any
) -> None:
    worker = start_worker(concurrency=2)
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    for _ in range(3):  # a redelivered or duplicated message, three times over
        generate_report_task.apply_async(args=[str(report.pk)])
    report = _finished(report)
    wait_for(lambda: _succeeded(worker) >= 4)
    assert report.status == JobStatus.DONE and report.attempts == 1
    assert list((Path(settings.MEDIA_ROOT) / "reports").iterdir()) == [Path(report.file.path)]
    actions = list(
        LedgerEvent.objects.filter(subject_id=str(report.pk)).values_list("action", flat=True)
    )
    assert actions.count("report.started") == 1 and actions.count("report.generated") == 1


def test_a_worker_killed_mid_render_leaves_one_file_once_another_finishes(
    start_worker: Any, owner: Any, deployment: Any, settings: Any
) -> None:
    with transaction.atomic():  # a long history, so the render takes a while
        for i in range(3000):
            ledger_append(
                actor=owner, action="test.history", deployment_id=deployment.pk, data={"i": i}
            )
    first = start_worker()
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)

    def mid_render() -> str | None:
        row = Report.objects.filter(pk=report.pk).values_list("status", "stage").get()
        return (
            row[1] if row[0] == JobStatus.RUNNING and row[1] in ("rendering", "signing") else None
        )

    stage = wait_for(mid_render, every=0.005)
    first.kill()
    report.refresh_from_db()
    assert report.status == JobStatus.RUNNING and report.stage == stage  # abandoned mid-way

    start_worker()
    sweep_stuck_task()  # the beat task: the report's worker is gone, so it is queued again
    report = _finished(report)
    assert report.status == JobStatus.DONE, report.error
    assert report.attempts == 2
    files = list((Path(settings.MEDIA_ROOT) / "reports").iterdir())
    assert files == [Path(report.file.path)]
    assert sha256_hex(files[0].read_bytes()) == report.file_sha256
    actions = list(
        LedgerEvent.objects.filter(subject_id=str(report.pk)).values_list("action", flat=True)
    )
    assert actions == [
        "report.requested", "report.started", "report.requeued", "report.started",
        "report.generated",
    ]  # fmt: skip


def test_with_the_broker_down_a_request_stays_queued_until_the_sweep_sends_it(
    start_worker: Any, owner: Any, deployment: Any, settings: Any
) -> None:
    from governance.celery import app

    start_worker()
    working = (app.conf.broker_url, app.conf.broker_transport_options, app.conf.task_default_queue)
    configure_test_app("redis://127.0.0.1:9/0", {}, working[2])  # nothing listens on port 9
    client = APIClient()
    client.force_authenticate(owner)
    response = client.post(
        "/api/v1/reports/",
        {"kind": "deployment_dossier", "deployment": str(deployment.pk)},
        format="json",
    )
    assert response.status_code == 202, response.content
    configure_test_app(*working)  # the broker is back
    report = Report.objects.get(pk=response.json()["id"])
    time.sleep(3)  # a live worker, but no message ever reached it
    report.refresh_from_db()
    assert report.status == JobStatus.QUEUED
    assert report_sweep_queued() == []  # queued only moments ago: not yet the sweep's business
    settings.REPORT_REDISPATCH_AFTER_SECONDS = 0  # as if the minute had passed
    sweep_queued_task()  # the beat task
    report = _finished(report)
    assert report.status == JobStatus.DONE, report.error
