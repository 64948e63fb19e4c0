"""Generating a report in-process: content, evidence, determinism, signature, supersession."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.files.storage import default_storage
from pypdf import PdfReader

from audits.reports.generate import report_file_name, run_report, store_exactly
from audits.reports.models import JobStatus, Report
from audits.reports.render import render_pdf
from audits.reports.sections.ledger import check_slice
from audits.reports.services import report_request
from audits.reports.signing import check_pdf_signature
from governance.core.canonical import sha256_hex
from governance.core.models import ImmutableRecordError
from governance.inventory import services as inventory
from governance.ledger.chain import event_canonical, event_hash
from governance.ledger.models import LedgerEvent
from governance.ledger.services import ledger_append
from tests.audits.reports.conftest import make_deployment
from tests.helpers.reports import report_pdf

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[3]


def _generate(owner: Any, **request: Any) -> Report:
    report = report_request(actor=owner, **request)
    finished = run_report(report.pk)
    report.refresh_from_db()
    assert finished is not None, report.error
    return report


def _attachments(content: bytes) -> dict[str, bytes]:
    return {name: data[0] for name, data in PdfReader(io.BytesIO(content)).attachments.items()}


def _text(content: bytes) -> str:
    """The PDF's text with line breaks and runs of spaces as single spaces."""
    pages = PdfReader(io.BytesIO(content)).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def test_dossier_documents_the_system_model_data_and_deployment(
    owner: Any, deployment: Any
) -> None:
    report = _generate(owner, kind="deployment_dossier", deployment=deployment)
    text = _text(report_pdf(report))
    for expected in (
        "Credit limit model",
        "Suggest a credit limit for new card applicants.",
        "Not for business accounts.",
        "Credit limit model applications 2019-2024",
        "prod-eu",
        deployment.fingerprint,
        "Maya Patel",
        "Acme Lending Ltd",
        "Annex IV",
    ):
        assert expected in text, expected
    assert report.page_count == len(PdfReader(io.BytesIO(report_pdf(report))).pages)


def _section(report: Report, key: str) -> dict[str, Any]:
    evidence = json.loads(report.evidence)
    return next(s["data"] for s in evidence["sections"] if s["key"] == key)


def test_dossier_follows_annex_iv_and_covers_every_section(owner: Any, deployment: Any) -> None:
    report = _generate(owner, kind="deployment_dossier", deployment=deployment)
    evidence = json.loads(report.evidence)
    assert [s["key"] for s in evidence["sections"]] == [
        "inventory", "approvals", "accountability", "bias", "risk", "findings", "ledger",
        "monitoring", "standards", "obligations", "verification",
    ]  # fmt: skip
    assert evidence["not_included"] == []
    covered = {row["number"]: row["included"] for row in evidence["annex_iv"]}
    assert all(covered[n] for n in range(1, 10))
    # §7 and §8 are stated from the records; with none, the part says so in words.
    assert covered[7] == covered[8] == ["Standards applied and EU declaration of conformity"]
    text = _text(report_pdf(report))
    assert "Not recorded in this product" not in text
    assert "No EU declaration of conformity is on record for this system" in text
    assert "Not included in this document" not in text


def test_embedded_evidence_is_the_stored_evidence_with_the_stored_hash(
    owner: Any, deployment: Any
) -> None:
    report = _generate(owner, kind="deployment_dossier", deployment=deployment)
    attachments = _attachments(report_pdf(report))
    assert set(attachments) == {"evidence.json", "ledger-slice.csv"}
    # PDF/A-3b: each file is an associated file of the document, listed once.
    reader = PdfReader(io.BytesIO(report_pdf(report)))
    root = reader.trailer["/Root"]
    assert [af.get_object()["/F"] for af in root["/AF"]] == ["evidence.json", "ledger-slice.csv"]
    assert 'pdfaid:part="3"' in root["/Metadata"].get_object().get_data().decode()
    assert attachments["evidence.json"] == report.evidence.encode()
    assert sha256_hex(attachments["evidence.json"]) == report.evidence_sha256
    evidence = json.loads(report.evidence)
    assert evidence["attachments"] == ["ledger-slice.csv"]
    facts = _section(report, "ledger")["attachment"]
    assert check_slice(attachments["ledger-slice.csv"], facts) == (
        True,
        f"{facts['rows']} events, each re-hashing to the chain",
    )
    tampered = attachments["ledger-slice.csv"].replace(b"deployment.created", b"deployment.erased")
    assert check_slice(tampered, facts)[0] is False


def test_generation_records_file_hash_size_pages_and_ledger_head(
    owner: Any, deployment: Any
) -> None:
    report = _generate(owner, kind="deployment_dossier", deployment=deployment)
    content = report_pdf(report)
    assert report.status == JobStatus.DONE and report.progress == 100
    assert report.file_sha256 == sha256_hex(content) and report.file_size == len(content)
    assert report.file.name == report_file_name(report.pk)
    head = LedgerEvent.objects.get(seq=report.ledger_head_seq)
    assert head.hash == report.ledger_head_hash


def test_every_step_is_in_the_deployments_ledger(owner: Any, deployment: Any) -> None:
    report = _generate(owner, kind="deployment_dossier", deployment=deployment)
    events = LedgerEvent.objects.filter(subject_id=str(report.pk)).order_by("seq")
    assert [e.action for e in events] == [
        "report.requested",
        "report.started",
        "report.generated",
    ]
    assert all(e.deployment_id == str(deployment.pk) for e in events)
    generated = events.last()
    assert generated is not None
    assert generated.payload["file_sha256"] == report.file_sha256
    assert generated.payload["evidence_sha256"] == report.evidence_sha256


def test_signature_is_intact_and_made_with_the_organisation_key(
    owner: Any, deployment: Any
) -> None:
    report = _generate(owner, kind="deployment_dossier", deployment=deployment)
    check = check_pdf_signature(report_pdf(report))
    assert check.status == "intact", check.summary
    assert "Acme Lending Ltd" in check.signer and check.covers_whole_file


def test_rendering_the_same_snapshot_twice_gives_identical_bytes(
    owner: Any, deployment: Any
) -> None:
    report = _generate(owner, kind="deployment_dossier", deployment=deployment)
    attachments = _attachments(report_pdf(report))
    evidence = attachments.pop("evidence.json")
    first = render_pdf(evidence, attachments).content
    second = render_pdf(evidence, attachments).content
    assert first == second
    # The signature is an incremental update: the issued file begins with the unsigned render.
    assert report_pdf(report).startswith(first)


def test_another_process_renders_the_same_bytes(
    owner: Any, deployment: Any, tmp_path: Path
) -> None:
    report = _generate(owner, kind="deployment_dossier", deployment=deployment)
    attachments = _attachments(report_pdf(report))
    (tmp_path / "evidence.json").write_bytes(attachments["evidence.json"])
    (tmp_path / "ledger-slice.csv").write_bytes(attachments["ledger-slice.csv"])
    script = (
        "import django, sys, pathlib; django.setup();"
        "from audits.reports.render import render_pdf;"
        "d = pathlib.Path(sys.argv[1]);"
        "pdf = render_pdf((d / 'evidence.json').read_bytes(),"
        " {'ledger-slice.csv': (d / 'ledger-slice.csv').read_bytes()}).content;"
        "(d / 'out.pdf').write_bytes(pdf)"
    )
    env = {
        **os.environ,
        "PYTHONHASHSEED": "12345",
        "DJANGO_SETTINGS_MODULE": "governance.settings",
        "GOVERNANCE_VAR_DIR": str(tmp_path / "var"),
    }
    subprocess.run([sys.executable, "-c", script, str(tmp_path)], cwd=ROOT, env=env, check=True)
    assert report_pdf(report).startswith((tmp_path / "out.pdf").read_bytes())


def test_ledger_slice_has_every_event_of_the_deployment_and_each_row_rehashes(
    owner: Any, deployment: Any
) -> None:
    for i in range(30):
        ledger_append(actor=owner, action="test.note", deployment_id=deployment.pk, data={"i": i})
    ledger_append(actor=owner, action="test.elsewhere", data={})
    report = _generate(owner, kind="deployment_dossier", deployment=deployment)
    rows = list(
        csv.DictReader(io.StringIO(_attachments(report_pdf(report))["ledger-slice.csv"].decode()))
    )
    expected = LedgerEvent.objects.filter(
        deployment_id=str(deployment.pk), seq__lte=report.ledger_head_seq
    )
    assert [int(r["seq"]) for r in rows] == list(expected.values_list("seq", flat=True))
    assert not any(r["action"] == "test.elsewhere" for r in rows)
    for row in rows:
        canonical = event_canonical(
            seq=int(row["seq"]),
            ts=row["ts"],
            actor_id=row["actor_id"],
            actor_name=row["actor_name"],
            action=row["action"],
            subject_type=row["subject_type"],
            subject_id=row["subject_id"],
            deployment_id=row["deployment_id"],
            data=row["data"],
        )
        assert event_hash(row["prev_hash"], canonical) == row["hash"]
    summary = _section(report, "ledger")
    assert summary["event_count"] == len(rows)
    assert len(summary["recent_events"]) == 15  # fixed size, whatever the count


def test_regenerating_supersedes_the_previous_report_without_changing_it(
    owner: Any, deployment: Any
) -> None:
    first = _generate(owner, kind="deployment_dossier", deployment=deployment)
    stored = (first.file_sha256, first.evidence, first.updated_at)
    second = _generate(owner, kind="deployment_dossier", deployment=deployment)
    first.refresh_from_db()
    assert second.supersedes == first and first.superseded_by == second
    assert (first.file_sha256, first.evidence, first.updated_at) == stored
    generated = LedgerEvent.objects.get(action="report.generated", subject_id=str(second.pk))
    assert generated.payload["supersedes"] == str(first.pk)


def test_a_finished_report_cannot_be_changed_or_deleted(owner: Any, deployment: Any) -> None:
    report = _generate(owner, kind="deployment_dossier", deployment=deployment)
    report.title = "rewritten"
    with pytest.raises(ImmutableRecordError):
        report.save()
    with pytest.raises(ImmutableRecordError):
        Report.objects.filter(pk=report.pk).update(title="rewritten")
    with pytest.raises(ImmutableRecordError):
        Report.objects.filter(pk=report.pk).delete()
    with pytest.raises(ImmutableRecordError):
        Report.objects.get(pk=report.pk).delete()
    assert Report.objects.get(pk=report.pk).title != "rewritten"


def test_portfolio_shows_every_deployment_by_state_with_a_chart(
    owner: Any, deployment: Any
) -> None:
    other = make_deployment(owner, name="Churn predictor", environment="prod-us")
    inventory.deployment_transition(deployment=other, to_status="retired", actor=owner)
    report = _generate(owner, kind="portfolio")
    data = json.loads(report.evidence)["sections"][0]["data"]
    assert data["total"] == 2
    assert dict(map(tuple, data["by_status"]))["Retired"] == 1
    assert dict(map(tuple, data["by_status"]))["Draft"] == 1
    text = _text(report_pdf(report))
    assert "Churn predictor" in text and "Credit limit model" in text
    assert "Deployments by state" in text  # the chart, served as a generated image
    assert report.deployment is None and report.subject_key == "portfolio"


def test_a_missing_signing_key_fails_the_report_with_the_instruction(
    owner: Any, deployment: Any, settings: Any, tmp_path: Path
) -> None:
    settings.REPORT_SIGNING_KEY = ""
    settings.REPORT_SIGNING_CERT = ""
    settings.REPORT_DEV_SIGNING_DIR = tmp_path / "nothing-here"
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    assert run_report(report.pk) is None
    report.refresh_from_db()
    assert report.status == JobStatus.FAILED
    assert "ensure_signing_certificate" in report.error
    assert LedgerEvent.objects.filter(action="report.failed", subject_id=str(report.pk)).exists()


def test_production_never_signs_with_the_development_certificate(
    owner: Any, deployment: Any, settings: Any
) -> None:
    settings.PRODUCTION = True
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    run_report(report.pk)
    report.refresh_from_db()
    assert report.status == JobStatus.FAILED
    assert "development certificate" in report.error


def test_a_file_left_by_a_killed_attempt_is_replaced_not_duplicated() -> None:
    name = "reports/00000000-0000-0000-0000-000000000001.pdf"
    default_storage.save(name, io.BytesIO(b"partial output of a killed attempt"))
    assert store_exactly(name, b"%PDF complete") == name
    assert default_storage.listdir("reports")[1] == [name.split("/")[1]]
    with default_storage.open(name) as handle:
        assert handle.read() == b"%PDF complete"


@pytest.mark.postgres
def test_postgresql_writes_the_same_slice_bytes_as_the_portable_path(
    owner: Any, deployment: Any
) -> None:
    from audits.reports.sections.ledger import Scope, _csv_from_postgresql, _csv_in_python

    ledger_append(
        actor=owner,
        action="test.quoting",
        deployment_id=deployment.pk,
        data={"text": 'a "quoted", comma\nand a new line', "n": 1},
    )
    head = LedgerEvent.objects.order_by("-seq").first()
    assert head is not None
    scope = Scope("deployment_id", str(deployment.pk))
    events = LedgerEvent.objects.filter(scope.q(), seq__lte=head.seq)
    assert b"".join(_csv_from_postgresql(scope, head.seq)) == b"".join(_csv_in_python(events))


def test_a_large_slice_is_embedded_compressed_with_its_true_checksum_and_size(
    owner: Any, deployment: Any
) -> None:
    import hashlib

    from audits.reports.render import PRECOMPRESS

    for i in range(1500):  # about half a megabyte of CSV: compressed ahead, off the layout path
        ledger_append(actor=owner, action="test.note", deployment_id=deployment.pk, data={"i": i})
    report = _generate(owner, kind="deployment_dossier", deployment=deployment)
    content = report_pdf(report)
    sliced = _attachments(content)["ledger-slice.csv"]
    assert len(sliced) > PRECOMPRESS
    assert check_slice(sliced, _section(report, "ledger")["attachment"])[0] is True
    reader = PdfReader(io.BytesIO(content))
    spec = next(
        af.get_object() for af in reader.trailer["/Root"]["/AF"] if af["/F"] == "ledger-slice.csv"
    )
    stream = spec["/EF"]["/F"].get_object()
    params = stream["/Params"]
    assert stream["/Filter"] == "/FlateDecode"
    assert params["/Size"] == len(sliced)
    assert (
        str(params["/CheckSum"].original_bytes.hex())
        == hashlib.md5(sliced, usedforsecurity=False).hexdigest()
    )
    evidence = _attachments(content)["evidence.json"]
    again = render_pdf(evidence, {"ledger-slice.csv": sliced}).content
    assert content.startswith(again)  # the issued file still begins with the unsigned render
