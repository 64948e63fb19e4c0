"""Offline verification (`verify_report`), the development certificate, the signing checks."""

from __future__ import annotations

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from audits.reports.checks import signing_configuration
from audits.reports.devcert import create_development_pair
from audits.reports.generate import run_report
from audits.reports.models import Report
from audits.reports.services import report_request
from audits.reports.signing import DEV_CERT_NAME, DEV_KEY_NAME, check_pdf_signature
from governance.ledger.models import LedgerEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(owner: Any, deployment: Any, tmp_path: Path) -> tuple[Report, Path]:
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    run_report(report.pk)
    report.refresh_from_db()
    path = tmp_path / "dossier.pdf"
    with report.file.open("rb") as handle:
        path.write_bytes(handle.read())
    return report, path


def _verify(*args: str) -> str:
    out = StringIO()
    call_command("verify_report", *args, stdout=out)
    return out.getvalue()


def test_offline_check_passes_every_step_for_an_issued_report(issued: Any) -> None:
    report, path = issued
    output = _verify(str(path))
    assert f"ISSUED: {report.title}" in output
    assert "Signature   intact" in output
    assert "FAIL" not in output
    for check in (
        "embedded evidence matches the recorded hash",
        "attachment ledger-slice.csv matches the evidence",
        "frozen ledger head is in the ledger",
        "the ledger records this file's SHA-256",
    ):
        assert f"ok          {check}" in output


def test_offline_check_reports_unknown_for_a_one_byte_change(issued: Any, tmp_path: Path) -> None:
    _, path = issued
    altered = bytearray(path.read_bytes())
    altered[len(altered) // 3] ^= 0x01
    copy = tmp_path / "altered.pdf"
    copy.write_bytes(bytes(altered))
    out = StringIO()
    with pytest.raises(CommandError, match="unknown document"):
        call_command("verify_report", str(copy), stdout=out)
    assert "UNKNOWN" in out.getvalue()


def test_offline_check_notices_a_rewritten_ledger_head(issued: Any) -> None:
    report, path = issued
    # The ledger is append-only; a database without the frozen head stands for a ledger
    # that was rebuilt or truncated after the report was issued.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM ledger_ledgerevent WHERE seq = %s", [report.ledger_head_seq])
    out = StringIO()
    with pytest.raises(CommandError, match="verification failed"):
        call_command("verify_report", str(path), stdout=out)
    assert "FAIL        frozen ledger head is in the ledger" in out.getvalue()


def test_offline_check_as_json(issued: Any) -> None:
    report, path = issued
    result = json.loads(_verify(str(path), "--json"))
    assert result["verdict"] == "issued" and result["report"]["id"] == str(report.pk)
    assert all(check["ok"] for check in result["checks"])


def test_offline_check_trusts_only_the_certificate_it_is_given(issued: Any, tmp_path: Path) -> None:
    _, path = issued
    stranger = create_development_pair(tmp_path / "stranger", "Someone Else")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "verify_report", str(path), "--cert", str(stranger / DEV_CERT_NAME), stdout=out
        )
    assert "Signature   untrusted" in out.getvalue()


def test_offline_check_names_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match=r"file: .* does not exist"):
        call_command("verify_report", str(tmp_path / "nope.pdf"))


def test_a_pdf_that_is_not_ours_is_unknown_and_unsigned(tmp_path: Path) -> None:
    path = tmp_path / "other.pdf"
    path.write_bytes(b"%PDF-1.4\nnot really a pdf\n%%EOF\n")
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("verify_report", str(path), stdout=out)
    assert "UNKNOWN" in out.getvalue()
    assert check_pdf_signature(path.read_bytes()).status in ("unreadable", "unsigned")


def test_ensure_signing_certificate_creates_a_development_pair_once(
    settings: Any, tmp_path: Path
) -> None:
    settings.REPORT_SIGNING_KEY = ""
    settings.REPORT_SIGNING_CERT = ""
    settings.REPORT_DEV_SIGNING_DIR = tmp_path / "signing"
    out = StringIO()
    call_command("ensure_signing_certificate", stdout=out)
    key = tmp_path / "signing" / DEV_KEY_NAME
    assert key.is_file() and (tmp_path / "signing" / DEV_CERT_NAME).is_file()
    assert key.stat().st_mode & 0o077 == 0  # private to the owner
    first = key.read_bytes()
    call_command("ensure_signing_certificate", stdout=out)
    assert key.read_bytes() == first
    assert "present" in out.getvalue()


def test_ensure_signing_certificate_refuses_in_production(settings: Any, tmp_path: Path) -> None:
    settings.REPORT_SIGNING_KEY = ""
    settings.REPORT_SIGNING_CERT = ""
    settings.PRODUCTION = True
    settings.REPORT_DEV_SIGNING_DIR = tmp_path / "signing"
    with pytest.raises(CommandError, match="Production needs a real key"):
        call_command("ensure_signing_certificate")
    assert not (tmp_path / "signing").exists()


def test_start_up_check_rejects_an_unreadable_key_and_a_development_key_in_production(
    settings: Any, tmp_path: Path
) -> None:
    assert signing_configuration() == []
    settings.PRODUCTION = True
    errors = signing_configuration()
    assert [e.id for e in errors] == ["reports.E001"]
    assert "development certificate" in errors[0].msg
    settings.PRODUCTION = False
    settings.REPORT_SIGNING_KEY = str(tmp_path / "missing.pem")
    assert "not a readable file" in signing_configuration()[0].msg


def test_the_ledger_records_the_file_hash_the_verifier_looks_for(issued: Any) -> None:
    report, _ = issued
    event = LedgerEvent.objects.get(action="report.generated", subject_id=str(report.pk))
    assert event.payload["file_sha256"] == report.file_sha256
