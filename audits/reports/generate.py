"""One report job from claim to signed file: snapshot → render → sign → store → complete.

Called by the Celery task (and by export bundles for their dossiers). Every state change goes
through the services; this module only sequences them. The stored file has a name fixed by
the report's id, so an attempt that was killed after writing it and a later attempt that
completes the report leave exactly one file.
"""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage

from audits.reports.models import Report
from audits.reports.render import render_pdf
from audits.reports.services import (
    ReportOutcome,
    report_claim,
    report_complete,
    report_fail,
    report_progress,
)
from audits.reports.services.jobs import worker_identity
from audits.reports.signing import SigningNotConfigured, sign_pdf, signing_material
from audits.reports.snapshot import take_snapshot
from governance.core.errors import DomainError

logger = logging.getLogger(__name__)


class ClaimLost(Exception):
    """The job was taken away (re-queued by the sweep or taken over): stop without writing."""


def store_exactly(name: str, content: bytes) -> str:
    """Write `content` under exactly `name`, replacing what an earlier attempt left there."""
    if default_storage.exists(name):
        default_storage.delete(name)
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:
        raise RuntimeError(f"storage saved {name!r} as {saved!r}")
    return saved


def report_file_name(report_id: Any) -> str:
    return f"reports/{report_id}.pdf"


def run_report(report_id: Any, *, worker: str | None = None) -> Report | None:
    """Generate one report if this worker can claim it; returns the finished report or None."""
    worker = worker or worker_identity()
    report = report_claim(report_id=report_id, worker=worker)
    if report is None:
        logger.info("report %s is not queued for this worker; nothing to do", report_id)
        return None

    def step(percent: int, stage: str) -> None:
        if not report_progress(report_id=report_id, worker=worker, percent=percent, stage=stage):
            raise ClaimLost(str(report_id))

    try:
        step(5, "collecting evidence")
        snapshot = take_snapshot(report)
        step(30, "rendering")
        rendered = render_pdf(snapshot.evidence_json, snapshot.attachments)
        step(75, "signing")
        material = signing_material()
        signed = sign_pdf(rendered.content, reason=f"Issued: {report.title}", material=material)
        step(90, "storing")
        name = store_exactly(report_file_name(report.pk), signed)
        return report_complete(
            report_id=report_id,
            worker=worker,
            outcome=ReportOutcome(
                evidence_json=snapshot.evidence_json,
                evidence_sha256=snapshot.evidence_sha256,
                head_seq=snapshot.head_seq,
                head_hash=snapshot.head_hash,
                snapshot_at=snapshot.taken_at,
                file_name=name,
                file_sha256=hashlib.sha256(signed).hexdigest(),
                file_size=len(signed),
                page_count=rendered.page_count,
                signing_certificate_sha256=material.certificate_sha256,
            ),
        )
    except ClaimLost:
        logger.warning("report %s was taken from worker %s; stopping", report_id, worker)
        return None
    except SoftTimeLimitExceeded:
        error = "Generation took longer than the time limit and was stopped."
    except SigningNotConfigured as exc:
        error = str(exc)
    except DomainError as exc:
        error = exc.message
    except Exception as exc:
        logger.exception("report %s failed", report_id)
        error = f"Generation failed: {type(exc).__name__}: {exc}"
    report_fail(report_id=report_id, error=error, worker=worker)
    return None
