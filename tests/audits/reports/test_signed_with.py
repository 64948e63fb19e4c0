"""Which certificate signed a document, said by one sentence in every place that verifies:
the /verify/ page, `verify_report`, the export bundle's README and the PDF's own block."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.core.management import call_command
from django.urls import reverse
from pypdf import PdfReader

from audits.reports.bundle import run_export
from audits.reports.generate import run_report
from audits.reports.models import Report
from audits.reports.services import export_request, report_request
from audits.reports.signing import check_pdf_signature, signed_with, signing_material
from governance.accounts.roles import Role
from tests.factories import user_with_roles

pytestmark = pytest.mark.django_db


def _development_sentence() -> str:
    material = signing_material()
    assert material.is_development
    return signed_with(
        subject=material.subject, sha256=material.certificate_sha256, development=True
    )


def _organisation_pair(folder: Path) -> tuple[Path, Path]:
    """A key and certificate without the development mark, as an organisation would hold."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, "Acme Lending Ltd report signing"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Acme Lending Ltd"),
        ]
    )
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "org-key.pem", folder / "org-cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


@pytest.fixture
def dossier(owner: Any, deployment: Any) -> Report:
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    run_report(report.pk)
    report.refresh_from_db()
    return report


def _content(report: Report) -> bytes:
    with report.file.open("rb") as handle:
        return handle.read()


def test_the_sentence_names_the_certificate_and_whether_it_gives_assurance() -> None:
    development = signed_with(subject="CN=Dev", sha256="ab" * 32, development=True)
    assert development == (
        f"Made with the development certificate CN=Dev (SHA-256 {'ab' * 32}), which carries "
        "no organisational assurance."
    )
    organisation = signed_with(subject="CN=Acme", sha256="cd" * 32, development=False)
    expected = f"Made with the organisation's certificate CN=Acme (SHA-256 {'cd' * 32})."
    assert organisation == expected


def test_a_development_signature_is_called_one_in_the_signature_check(dossier: Report) -> None:
    check = check_pdf_signature(_content(dossier))
    assert check.status == "intact" and check.development
    assert check.certificate_sha256 == signing_material().certificate_sha256
    assert check.summary == f"Intact, covering the whole file. {_development_sentence()}"
    assert "organisation's certificate" not in check.summary


def test_an_organisation_signature_is_called_the_organisations(
    settings: Any, tmp_path: Path, owner: Any, deployment: Any
) -> None:
    key_path, cert_path = _organisation_pair(tmp_path)
    settings.REPORT_SIGNING_KEY, settings.REPORT_SIGNING_CERT = str(key_path), str(cert_path)
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    run_report(report.pk)
    report.refresh_from_db()
    material = signing_material()
    assert not material.is_development
    check = check_pdf_signature(_content(report))
    assert not check.development
    assert check.summary.endswith(
        signed_with(subject=material.subject, sha256=material.certificate_sha256, development=False)
    )


def test_the_verify_page_says_which_certificate(client: Any, dossier: Report) -> None:
    page = client.post(reverse("reports:verify"), {"sha256": dossier.file_sha256})
    text = page.content.decode()
    assert "development certificate" in text and "no organisational assurance" in text
    assert signing_material().certificate_sha256 in text
    assert "organisation&#x27;s certificate" not in text
    assert "organisation's certificate" not in text


def test_verify_report_says_which_certificate(dossier: Report, tmp_path: Path) -> None:
    path = tmp_path / "dossier.pdf"
    path.write_bytes(_content(dossier))
    out = StringIO()
    call_command("verify_report", str(path), stdout=out)
    assert _development_sentence() in out.getvalue()
    out = StringIO()
    call_command("verify_report", str(path), "--json", stdout=out)
    signature = json.loads(out.getvalue())["signature"]
    assert signature["development"] is True and _development_sentence() in signature["summary"]


def test_the_pdf_verification_block_says_which_certificate(dossier: Report) -> None:
    evidence = json.loads(dossier.evidence)
    block = next(s["data"] for s in evidence["sections"] if s["key"] == "verification")
    assert block["signed_with"] == _development_sentence()
    pages = PdfReader(io.BytesIO(_content(dossier))).pages
    text = " ".join(" ".join(p.extract_text() for p in pages).split())
    assert "Made with the development certificate" in text
    assert "which carries no organisational assurance" in text


def test_the_bundle_readme_says_which_certificate(owner: Any, deployment: Any) -> None:
    compliance = user_with_roles(Role.COMPLIANCE_OFFICER)
    export = export_request(actor=compliance, recipient="Regulator", deployments=[deployment])
    assert run_export(export.pk) is not None
    export.refresh_from_db()
    with export.file.open("rb") as handle:
        readme = zipfile.ZipFile(io.BytesIO(handle.read())).read("README.txt").decode()
    assert _development_sentence() in readme
