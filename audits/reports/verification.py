"""Did we issue this document? Answers for the /verify/ page, the API and `verify_report`.

A file is "issued" when its SHA-256 is the recorded hash of a finished report; anything else,
including a copy with one byte changed, is "unknown". The answer also gives what the report
is, when and at whose request it was made, whether a newer report supersedes it, and the
state of its PAdES signature. The offline check adds what only the file itself can show:
the embedded evidence against the recorded evidence hash, the embedded ledger slice against
the hash inside the evidence, and the frozen ledger head against the ledger.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from typing import IO, Any

from django.conf import settings
from django.http import HttpRequest

from audits.reports.models import JobStatus, Report
from audits.reports.pdfinspect import NotAReport, embedded_files
from audits.reports.sections.ledger import check_slice
from audits.reports.signing import SignatureCheck, check_pdf_signature
from audits.reports.snapshot import EVIDENCE_NAME
from governance.core import ratelimit
from governance.core.canonical import format_timestamp
from governance.core.errors import InvalidInput
from governance.core.evidence import file_sha256
from governance.core.parsers import loads as json_loads
from governance.ledger.models import LedgerEvent

SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
ISSUED, UNKNOWN = "issued", "unknown"
# Largest document accepted for checking; reports with 100,000 audit-trail events are ~10 MB.
MAX_UPLOAD_BYTES = 200 * 1024 * 1024


@dataclass
class Verification:
    verdict: str
    sha256: str
    report: Report | None = None
    signature: SignatureCheck | None = None
    checks: list[tuple[str, bool, str]] = field(default_factory=list)

    @property
    def issued(self) -> bool:
        return self.verdict == ISSUED

    @property
    def superseded_by(self) -> Report | None:
        if self.report is None:
            return None
        return getattr(self.report, "superseded_by", None)

    @property
    def all_checks_pass(self) -> bool:
        signature_ok = self.signature is None or self.signature.ok
        return self.issued and signature_ok and all(ok for _, ok, _ in self.checks)

    def as_dict(self) -> dict[str, Any]:
        newer = self.superseded_by
        return {
            "verdict": self.verdict,
            "sha256": self.sha256,
            "report": report_facts(self.report) if self.report else None,
            "superseded": newer is not None,
            "superseded_by": report_facts(newer) if newer else None,
            "signature": self.signature.as_dict() if self.signature else None,
            "checks": [
                {"check": name, "ok": ok, "detail": detail} for name, ok, detail in self.checks
            ],
        }


def report_facts(report: Report) -> dict[str, Any]:
    user = report.requested_by
    return {
        "id": str(report.pk),
        "kind": report.kind,
        "title": report.title,
        "subject": report.subject_key,
        "deployment": str(report.deployment_id) if report.deployment_id else None,
        "requested_by": {"username": user.get_username(), "name": user.display_name},
        "requested_at": format_timestamp(report.created_at),
        "generated_at": format_timestamp(report.completed_at) if report.completed_at else None,
        "evidence_sha256": report.evidence_sha256,
        "ledger_head": {"seq": report.ledger_head_seq, "hash": report.ledger_head_hash},
        "page_count": report.page_count,
    }


def check_rate(request: HttpRequest) -> None:
    """One budget of checks per address for the public page and the API alike, counted
    before the body is read: each check costs a signature validation."""
    ratelimit.check(
        request,
        scope="reports.verify",
        limit=settings.VERIFY_RATE_LIMIT,
        window=60,
        what="verification requests",
    )


def _issued(sha256: str) -> Report | None:
    return (
        Report.objects.select_related("requested_by", "deployment", "superseded_by__requested_by")
        .filter(file_sha256=sha256, status=JobStatus.DONE)
        .first()
    )


def clean_sha256(value: str) -> str:
    cleaned = (value or "").strip().lower()
    if not SHA256_RE.match(cleaned):
        raise InvalidInput(
            "A SHA-256 is 64 hexadecimal characters.", fields={"sha256": "64 hex characters"}
        )
    return cleaned


def verify_sha256(value: str) -> Verification:
    """Look a hash up; the stored file's signature is checked when the hash is ours."""
    sha256 = clean_sha256(value)
    report = _issued(sha256)
    if report is None:
        return Verification(UNKNOWN, sha256)
    with report.file.open("rb") as handle:
        signature = check_pdf_signature(handle)
    return Verification(ISSUED, sha256, report, signature)


def verify_pdf(content: bytes | IO[bytes]) -> Verification:
    """Check an uploaded or local file: is it ours, byte for byte, and is its signature intact?

    An open file is read in pieces, for the hash and by pyHanko, never whole: uploads to the
    public page can be as large as MAX_UPLOAD_BYTES.
    """
    sha256 = (
        hashlib.sha256(content).hexdigest() if isinstance(content, bytes) else file_sha256(content)
    )
    report = _issued(sha256)
    return Verification(ISSUED if report else UNKNOWN, sha256, report, check_pdf_signature(content))


def _ledger_has(seq: int | None, digest: str) -> bool:
    if not seq:
        return False
    return LedgerEvent.objects.filter(seq=seq, hash=digest).exists()


def verify_offline(content: bytes) -> Verification:
    """Everything `verify_pdf` does, plus the embedded evidence and the ledger head."""
    result = verify_pdf(content)
    checks = result.checks
    try:
        attached = embedded_files(content)
    except NotAReport as exc:
        checks.append(("embedded evidence", False, str(exc)))
        return result
    evidence_bytes = attached.get(EVIDENCE_NAME)
    if evidence_bytes is None:
        checks.append(("embedded evidence", False, f"no {EVIDENCE_NAME} attached"))
        return result
    evidence_sha = hashlib.sha256(evidence_bytes).hexdigest()
    if result.report is not None:
        matches = evidence_sha == result.report.evidence_sha256
        checks.append(
            ("embedded evidence matches the recorded hash", matches, f"SHA-256 {evidence_sha}")
        )
    try:
        evidence = json_loads(evidence_bytes)
        head = evidence["snapshot"]["ledger_head"]
    except (ValueError, KeyError, TypeError) as exc:
        checks.append(("embedded evidence is readable", False, type(exc).__name__))
        return result
    for section in evidence.get("sections", []):
        facts = section.get("data", {}).get("attachment")
        if section.get("key") != "ledger" or not isinstance(facts, dict):
            continue
        actual = attached.get(facts.get("name", ""))
        ok, detail = (False, "not attached") if actual is None else check_slice(actual, facts)
        checks.append((f"attachment {facts.get('name')} matches the evidence", ok, detail))
    in_ledger = _ledger_has(head.get("seq"), head.get("hash", ""))
    checks.append(
        (
            "frozen ledger head is in the ledger",
            in_ledger,
            f"event #{head.get('seq')} with hash {head.get('hash')}",
        )
    )
    if result.report is not None:
        generated = LedgerEvent.objects.filter(
            action="report.generated",
            subject_type="reports.report",
            subject_id=str(result.report.pk),
            data__contains=result.sha256,
        ).exists()
        checks.append(
            ("the ledger records this file's SHA-256", generated, "report.generated event")
        )
    return result
