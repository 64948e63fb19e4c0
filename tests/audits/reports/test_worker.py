"""A real Celery worker process generates reports: every kind that exists, exactly once,
surviving duplicates, a SIGKILL mid-render and a broker outage."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
from pypdf import PdfReader

from audits.reports.models import JobStatus, Report
from audits.reports.services import report_request
from audits.reports.signing import check_pdf_signature
from governance.core.canonical import sha256_hex
from tests.audits.reports.workers import wait_for

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _finished(report: Report) -> Report:
    def check() -> Report | None:
        report.refresh_from_db()
        return report if report.is_finished else None

    return wait_for(check)


def _pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


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
