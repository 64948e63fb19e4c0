"""One export job: a fresh signed dossier per deployment, then a ZIP with a signed manifest.

    manifest.json          every other file's path, SHA-256 and size, and the ledger head
    manifest.json.p7s      detached CMS signature of manifest.json (DER), organisation's key
    signing-certificate.pem
    README.txt             how to check the bundle (openssl) and each dossier
    ledger/verify_ledger.py     standalone verifier of ledger slices (Python standard library)
    ledger/checkpoints.jsonl    the ledger's signed checkpoints up to the bundle's ledger head
    dossiers/<name>/dossier.pdf, evidence.json, ledger-slice.csv
    bias-audits/<name>/summary.pdf, evidence.json

Each dossier and each bias-audit summary (one per final audit covering a deployment in the
bundle, that no later final audit corrects) is an ordinary report (issued, ledgered,
verifiable on its own); the evidence and ledger slice are the exact files embedded in it.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import zipfile
from pathlib import Path
from typing import Any

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from audits.bias.choices import AuditStatus
from audits.bias.models import BiasAudit
from audits.reports.generate import ClaimLost, run_report, store_exactly
from audits.reports.models import Export, JobStatus, Report, ReportKind
from audits.reports.pdfinspect import embedded_files
from audits.reports.services import (
    ExportOutcome,
    export_claim,
    export_complete,
    export_fail,
    export_progress,
    report_request,
)
from audits.reports.services.jobs import worker_identity
from audits.reports.signing import (
    SigningNotConfigured,
    sign_detached,
    signed_with,
    signing_material,
)
from audits.reports.snapshot import EVIDENCE_NAME
from governance.core.canonical import canonical_json, format_timestamp
from governance.core.errors import DomainError
from governance.inventory.models import Deployment
from governance.ledger import standalone_verifier
from governance.ledger.checkpoints import record
from governance.ledger.models import GENESIS_HASH, LedgerCheckpoint, LedgerHead

logger = logging.getLogger(__name__)

MANIFEST = "manifest.json"
SIGNATURE = "manifest.json.p7s"
CERTIFICATE = "signing-certificate.pem"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

README = """Export bundle {export_id} for {recipient}
Issued by {organisation} on {generated_at}.

1. Check the manifest's signature (OpenSSL 1.1 or newer):

   openssl cms -verify -binary -inform DER -in manifest.json.p7s \\
       -content manifest.json -CAfile signing-certificate.pem -purpose any -out /dev/null

   "Verification successful" means manifest.json is exactly what {organisation} signed.
   {signed_with}
   Compare the certificate's fingerprint with the one the organisation publishes:

   openssl x509 -in signing-certificate.pem -noout -fingerprint -sha256

2. Check every file against the manifest:

   sha256sum dossiers/*/*      (and bias-audits/*/* when the bundle has that folder)

   Each value must equal the manifest's "sha256" for that path.

3. Each dossier.pdf is signed on its own (PAdES) and carries its evidence.json and
   ledger-slice.csv as attachments. Each bias-audits/*/summary.pdf (the NYC LL144 §5-303
   summary of a final audit covering a deployment in this bundle) is signed the same way
   and carries its evidence.json. Upload any of them at {verify_url} or give its SHA-256.

4. Check each ledger slice with the enclosed verifier (Python 3.8 or newer, nothing else):

   python3 ledger/verify_ledger.py dossiers/<name>/ledger-slice.csv \\
       --checkpoints ledger/checkpoints.jsonl --openssl-dir checkpoint-check

   It re-hashes every event, checks the links between consecutive events, compares the
   slice with each of the organisation's signed checkpoints that falls on one of its
   events, and prints the OpenSSL commands that check those checkpoints' signatures.
   The start of verify_ledger.py says how an event's hash is computed.
"""


class ExportFailed(Exception):
    """A part of the bundle could not be produced; the message is shown on the export."""


def _folder(deployment: Deployment) -> str:
    version = deployment.model_version
    parts = (version.system.name, version.version_label, deployment.environment)
    return "-".join(slugify(p)[:40] or "x" for p in parts) + f"-{str(deployment.pk)[:8]}"


def _generate(export: Export, worker: str, what: str, **subject: Any) -> Report:
    """One report of the bundle, or the one an earlier attempt of this export finished."""
    kind = ReportKind.BIAS_AUDIT if "bias_audit" in subject else ReportKind.DEPLOYMENT_DOSSIER
    key = (
        f"bias_audit:{subject['bias_audit']}"
        if kind == ReportKind.BIAS_AUDIT
        else f"deployment:{subject['deployment'].pk}"
    )
    done = export.reports.filter(kind=kind, subject_key=key, status=JobStatus.DONE).first()
    if done is not None:
        return done
    report = report_request(
        actor=export.requested_by, kind=kind, export=export, dispatch=False, **subject
    )
    finished = run_report(report.pk, worker=worker)
    if finished is None:
        report.refresh_from_db()
        raise ExportFailed(f"The {what} failed: {report.error or 'no result'}")
    return finished


def _bias_audits(deployments: list[Deployment]) -> list[BiasAudit]:
    """Final audits covering the deployments that no later final audit corrects, each once."""
    covering = Q()
    for deployment in deployments:
        covering |= Q(deployment=deployment.pk) | Q(
            deployment__isnull=True, model_version=deployment.model_version_id
        )
    corrected = BiasAudit.objects.filter(supersedes=OuterRef("pk"), status=AuditStatus.FINAL)
    return list(
        BiasAudit.objects.filter(covering, status=AuditStatus.FINAL)
        .filter(~Exists(corrected))
        .select_related("model_version__system")
        .order_by("model_version__system__name", "audit_date", "pk")
    )


def _covers(audit: BiasAudit, deployment: Deployment) -> bool:
    if audit.deployment_id is not None:
        return audit.deployment_id == deployment.pk
    return audit.model_version_id == deployment.model_version_id


def _audit_folder(audit: BiasAudit) -> str:
    version = audit.model_version
    parts = (version.system.name, version.version_label, f"{audit.audit_date:%Y-%m-%d}")
    return "-".join(slugify(p)[:40] or "x" for p in parts) + f"-{str(audit.pk)[:8]}"


def _report_files(report: Report, folder: str, pdf_name: str) -> dict[str, bytes]:
    """The signed PDF, its evidence, and every other file embedded in it."""
    with report.file.open("rb") as handle:
        pdf = handle.read()
    files = {f"{folder}/{pdf_name}": pdf, f"{folder}/{EVIDENCE_NAME}": report.evidence.encode()}
    for name, content in embedded_files(pdf).items():
        if name != EVIDENCE_NAME:
            files[f"{folder}/{name}"] = content
    return files


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(files):
            info = zipfile.ZipInfo(path, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[path])
    return buffer.getvalue()


def _ledger_files(head_seq: int) -> dict[str, bytes]:
    """The standalone verifier and the checkpoints it compares the slices with."""
    checkpoints = LedgerCheckpoint.objects.filter(seq__lte=head_seq).order_by("seq")
    lines = "".join(canonical_json(record(c)) + "\n" for c in checkpoints.iterator())
    return {
        "ledger/verify_ledger.py": Path(standalone_verifier.__file__).read_bytes(),
        "ledger/checkpoints.jsonl": lines.encode(),
    }


def _manifest(export: Export, files: dict[str, bytes], head: tuple[int, str]) -> bytes:
    document = {
        "format": "model-governance/export-manifest@1",
        "organisation": settings.REPORT_ORGANISATION,
        "export": {
            "id": str(export.pk),
            "recipient": export.recipient,
            "note": export.note,
            "requested_by": export.requested_by.display_name,
            "requested_at": format_timestamp(export.created_at),
        },
        "generated_at": format_timestamp(timezone.now()),
        "ledger_head": {"seq": head[0], "hash": head[1]},
        "files": [
            {"path": path, "sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
            for path, data in sorted(files.items())
        ],
    }
    # Indented for people reading it; the signature covers these exact bytes.
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()


def build(export: Export, worker: str) -> ExportOutcome:
    def step(percent: int, stage: str) -> None:
        if not export_progress(export_id=export.pk, worker=worker, percent=percent, stage=stage):
            raise ClaimLost(str(export.pk))

    material = signing_material()
    deployments = list(
        export.deployments.select_related("model_version__system").order_by(
            "model_version__system__name", "environment", "pk"
        )
    )
    audits = _bias_audits(deployments)
    total = len(deployments) + len(audits)
    files: dict[str, bytes] = {}
    dossiers: dict[str, str] = {}
    for index, deployment in enumerate(deployments):
        step(5 + 80 * index // total, f"dossier {index + 1} of {len(deployments)}")
        report = _generate(export, worker, f"dossier for {deployment}", deployment=deployment)
        files.update(_report_files(report, f"dossiers/{_folder(deployment)}", "dossier.pdf"))
        dossiers[str(deployment.pk)] = str(report.pk)
    summaries: dict[str, list[str]] = {}
    for index, audit in enumerate(audits):
        done = len(deployments) + index
        step(5 + 80 * done // total, f"bias-audit summary {index + 1} of {len(audits)}")
        report = _generate(export, worker, f"summary of {audit}", bias_audit=str(audit.pk))
        files.update(_report_files(report, f"bias-audits/{_audit_folder(audit)}", "summary.pdf"))
        for deployment in deployments:
            if _covers(audit, deployment):
                summaries.setdefault(str(deployment.pk), []).append(str(report.pk))
    step(90, "signing the manifest")
    head_row = LedgerHead.objects.filter(pk=1).first()
    head = (head_row.seq, head_row.hash) if head_row else (0, GENESIS_HASH)
    files.update(_ledger_files(head[0]))
    manifest = _manifest(export, files, head)
    readme = README.format(
        export_id=export.pk,
        recipient=export.recipient,
        organisation=settings.REPORT_ORGANISATION,
        generated_at=format_timestamp(timezone.now()),
        verify_url=settings.SITE_URL + reverse("reports:verify"),
        signed_with=signed_with(
            subject=material.subject,
            sha256=material.certificate_sha256,
            development=material.is_development,
        ),
    )
    bundle = _zip(
        {
            **files,
            MANIFEST: manifest,
            SIGNATURE: sign_detached(manifest, material=material),
            CERTIFICATE: material.certificate_pem,
            "README.txt": readme.encode(),
        }
    )
    step(95, "storing")
    name = store_exactly(f"exports/{export.pk}.zip", bundle)
    return ExportOutcome(
        file_name=name,
        file_sha256=hashlib.sha256(bundle).hexdigest(),
        file_size=len(bundle),
        manifest_sha256=hashlib.sha256(manifest).hexdigest(),
        head_seq=head[0],
        head_hash=head[1],
        dossiers=dossiers,
        bias_summaries=summaries,
    )


def run_export(export_id: Any, *, worker: str | None = None) -> Export | None:
    """Build one export bundle if this worker can claim it."""
    worker = worker or worker_identity()
    export = export_claim(export_id=export_id, worker=worker)
    if export is None:
        return None
    try:
        outcome = build(export, worker)
        return export_complete(export_id=export_id, worker=worker, outcome=outcome)
    except ClaimLost:
        return None
    except SoftTimeLimitExceeded:
        error = "Building the bundle took longer than the time limit and was stopped."
    except (ExportFailed, SigningNotConfigured) as exc:
        error = str(exc)
    except DomainError as exc:
        error = exc.message
    except Exception as exc:
        logger.exception("export %s failed", export_id)
        error = f"Building the bundle failed: {type(exc).__name__}: {exc}"
    export_fail(export_id=export_id, error=error, worker=worker)
    return None
