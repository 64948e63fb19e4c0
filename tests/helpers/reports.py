"""Generating a report in the test process and reading what it produced."""

from __future__ import annotations

import io
import json
from typing import Any

from pypdf import PdfReader

from audits.reports.generate import run_report
from audits.reports.models import JobStatus, Report
from audits.reports.services import report_request


def generate_report(actor: Any, **request: Any) -> Report:
    """Request a report and run its job here; fails the test unless the job finished."""
    report = report_request(actor=actor, **request)
    run_report(report.pk)
    report.refresh_from_db()
    assert report.status == JobStatus.DONE, report.error
    return report


def report_pdf(report: Report) -> bytes:
    with report.file.open("rb") as handle:
        return handle.read()


def pdf_text(content: bytes) -> str:
    """The text of every page, whitespace collapsed."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def report_evidence(report: Report) -> dict[str, Any]:
    return json.loads(report.evidence)
