"""Export bundles: dossiers, evidence, ledger slices, a signed manifest, ledgered sending."""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from audits.reports.bundle import run_export
from audits.reports.models import Export, JobStatus, Report
from audits.reports.services import (
    export_claim,
    export_request,
    export_sweep_queued,
    export_sweep_stuck,
)
from audits.reports.verification import verify_pdf
from governance.accounts.roles import Role
from governance.core.errors import InvalidInput, PermissionRefused
from governance.ledger.models import LedgerEvent
from tests.audits.reports.conftest import make_deployment
from tests.factories import user_with_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def compliance(db: None) -> Any:
    return user_with_roles(Role.COMPLIANCE_OFFICER, first_name="Chloé", last_name="Martin")


@pytest.fixture
def bundle(compliance: Any, owner: Any, deployment: Any) -> tuple[Any, zipfile.ZipFile]:
    other = make_deployment(owner, name="Fraud screening", environment="prod-uk")
    export = export_request(
        actor=compliance,
        recipient="Commission nationale de l'informatique et des libertés",
        deployments=[deployment, other],
        note="Requested under Art 21.",
    )
    assert run_export(export.pk) is not None
    export.refresh_from_db()
    assert export.status == JobStatus.DONE, export.error
    with export.file.open("rb") as handle:
        data = handle.read()
    return export, zipfile.ZipFile(io.BytesIO(data))


def test_bundle_holds_dossiers_evidence_ledger_slices_and_a_manifest(bundle: Any) -> None:
    _, archive = bundle
    names = set(archive.namelist())
    assert {"manifest.json", "manifest.json.p7s", "signing-certificate.pem", "README.txt"} <= names
    dossiers = sorted(n for n in names if n.endswith("/dossier.pdf"))
    assert len(dossiers) == 2
    for pdf in dossiers:
        folder = pdf.rsplit("/", 1)[0]
        assert f"{folder}/evidence.json" in names and f"{folder}/ledger-slice.csv" in names


def test_bundle_ships_the_standalone_ledger_verifier_and_the_checkpoints_for_its_slices(
    compliance: Any, deployment: Any, tmp_path: Path, django_capture_on_commit_callbacks: Any
) -> None:
    import sys

    from governance.ledger.checkpoints import ledger_checkpoint_take

    with django_capture_on_commit_callbacks(execute=True):
        checkpoint = ledger_checkpoint_take()
    assert checkpoint is not None
    export = export_request(actor=compliance, recipient="Regulator", deployments=[deployment])
    assert run_export(export.pk) is not None
    export.refresh_from_db()
    with export.file.open("rb") as handle:
        zipfile.ZipFile(handle).extractall(tmp_path)
    [line] = (tmp_path / "ledger" / "checkpoints.jsonl").read_text().splitlines()
    assert json.loads(line)["signature"] == checkpoint.signature
    [csv_path] = tmp_path.glob("dossiers/*/ledger-slice.csv")
    result = subprocess.run(
        [
            sys.executable,
            "-I",
            "-S",
            "ledger/verify_ledger.py",
            str(csv_path.relative_to(tmp_path)),
            "--checkpoints",
            "ledger/checkpoints.jsonl",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0 and result.stdout.startswith("OK: "), result.stdout
    assert "1 checkpoints read" in result.stdout
    assert "ledger/verify_ledger.py" in (tmp_path / "README.txt").read_text()


def test_manifest_lists_every_file_with_its_sha256_and_the_ledger_head(bundle: Any) -> None:
    export, archive = bundle
    manifest_bytes = archive.read("manifest.json")
    assert hashlib.sha256(manifest_bytes).hexdigest() == export.manifest_sha256
    manifest = json.loads(manifest_bytes)
    listed = {entry["path"]: entry["sha256"] for entry in manifest["files"]}
    expected = {n for n in archive.namelist() if n.startswith(("dossiers/", "ledger/"))}
    assert set(listed) == expected
    for path, digest in listed.items():
        assert hashlib.sha256(archive.read(path)).hexdigest() == digest
    head = LedgerEvent.objects.get(seq=manifest["ledger_head"]["seq"])
    assert head.hash == manifest["ledger_head"]["hash"] == export.ledger_head_hash
    assert manifest["export"]["recipient"] == export.recipient


def test_every_dossier_in_the_bundle_is_an_issued_report(bundle: Any) -> None:
    export, archive = bundle
    for name in archive.namelist():
        if name.endswith("/dossier.pdf"):
            result = verify_pdf(archive.read(name))
            assert result.issued and result.report is not None
            assert result.report.export_id == export.pk
            assert result.signature is not None and result.signature.ok
            folder = name.rsplit("/", 1)[0]
            evidence = archive.read(f"{folder}/evidence.json")
            assert hashlib.sha256(evidence).hexdigest() == result.report.evidence_sha256


def test_manifest_signature_checks_with_openssl(bundle: Any, tmp_path: Path) -> None:
    if shutil.which("openssl") is None:
        # The regulator's own check; CI installs openssl, so there it must run.
        if os.environ.get("CI") == "true":
            pytest.fail("openssl not found (CI=true: the regulator's check must run)")
        pytest.skip("needs the openssl command")
    _, archive = bundle
    archive.extractall(tmp_path)
    command = [
        "openssl", "cms", "-verify", "-binary", "-inform", "DER",
        "-in", "manifest.json.p7s", "-content", "manifest.json",
        "-CAfile", "signing-certificate.pem", "-purpose", "any", "-out", "/dev/null",
    ]  # fmt: skip
    ok = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert ok.returncode == 0, ok.stderr
    manifest = tmp_path / "manifest.json"
    manifest.write_bytes(manifest.read_bytes().replace(b"libert", b"LIBERT"))
    tampered = subprocess.run(command, cwd=tmp_path, capture_output=True, check=False)
    assert tampered.returncode != 0


def test_sending_is_ledgered_per_deployment_with_the_recipient(
    bundle: Any, deployment: Any
) -> None:
    export, _ = bundle
    sent = LedgerEvent.objects.filter(action="export.sent", subject_id=str(export.pk))
    assert sent.count() == 2
    mine = sent.get(deployment_id=str(deployment.pk))
    assert mine.payload["recipient"] == export.recipient
    assert mine.payload["summary"] == f"sent to {export.recipient}"
    assert mine.payload["zip_sha256"] == export.file_sha256
    dossier = Report.objects.get(pk=mine.payload["dossier"])
    assert dossier.deployment == deployment and dossier.export == export


def test_exports_need_the_export_permission_and_a_recipient(
    owner: Any, compliance: Any, deployment: Any
) -> None:
    with pytest.raises(PermissionRefused):
        export_request(actor=owner, recipient="X", deployments=[deployment])
    with pytest.raises(InvalidInput) as refused:
        export_request(actor=compliance, recipient="  ", deployments=[deployment])
    assert "recipient" in refused.value.fields
    with pytest.raises(InvalidInput) as refused:
        export_request(actor=compliance, recipient="X", deployments=[])
    assert "deployments" in refused.value.fields


def test_sweeps_redispatch_a_forgotten_export_and_requeue_one_whose_worker_vanished(
    compliance: Any, deployment: Any, django_capture_on_commit_callbacks: Any, monkeypatch: Any
) -> None:
    sent: list[str] = []
    monkeypatch.setattr(
        "audits.reports.tasks.build_export_task.delay_on_commit",
        lambda export_id: sent.append(export_id),
    )
    forgotten = export_request(actor=compliance, recipient="AP", deployments=[deployment])
    Export.objects.filter(pk=forgotten.pk).update(
        dispatched_at=timezone.now() - dt.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert export_sweep_queued() == [str(forgotten.pk)]
        assert export_sweep_queued() == []  # just dispatched again: not twice
    assert sent[-1] == str(forgotten.pk)

    assert export_claim(export_id=forgotten.pk, worker="remote-host:42") is not None
    Export.objects.filter(pk=forgotten.pk).update(claimed_at=timezone.now() - dt.timedelta(hours=1))
    with django_capture_on_commit_callbacks(execute=True):
        assert export_sweep_stuck() == {"requeued": [str(forgotten.pk)], "failed": []}
    forgotten.refresh_from_db()
    assert forgotten.status == JobStatus.QUEUED and forgotten.claimed_by == ""
    requeued = LedgerEvent.objects.get(action="export.requeued", subject_id=str(forgotten.pk))
    assert requeued.payload["reason"] == "running past the hard time limit"


def test_an_export_abandoned_on_its_last_attempt_fails_with_the_reason(
    compliance: Any, deployment: Any, settings: Any, monkeypatch: Any
) -> None:
    monkeypatch.setattr("audits.reports.tasks.build_export_task.delay_on_commit", lambda pk: None)
    settings.REPORT_MAX_ATTEMPTS = 1
    export = export_request(actor=compliance, recipient="AP", deployments=[deployment])
    assert export_claim(export_id=export.pk, worker="remote-host:42") is not None
    Export.objects.filter(pk=export.pk).update(claimed_at=timezone.now() - dt.timedelta(hours=1))
    assert export_sweep_stuck() == {"requeued": [], "failed": [str(export.pk)]}
    export.refresh_from_db()
    assert export.status == JobStatus.FAILED
    assert "before finishing on all 1 attempts" in export.error
