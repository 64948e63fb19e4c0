"""Evidence files on findings: checked against the allow-list and size limit, hashed, kept."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction

from governance.core.evidence import file_sha256
from governance.core.uploads import check_upload, media_type_of
from governance.findings.models import Finding, FindingEvidence
from governance.ledger.services import ledger_append


def check_uploads(files: Sequence[UploadedFile]) -> None:
    """Refuse, before anything is written, any file over the limit or of a type not allowed."""
    for upload in files:
        check_upload(
            upload,
            limit=settings.FINDINGS_EVIDENCE_MAX_BYTES,
            allowed=settings.FINDINGS_EVIDENCE_TYPES,
            field="files",
        )


@contextmanager
def evidence_transaction() -> Iterator[list[str]]:
    """A transaction whose evidence files are deleted again if it rolls back.

    Storage takes no part in the database transaction: `store_evidence` adds each name it
    writes to the yielded list, and a failure anywhere in the block removes those files, so a
    rolled-back step leaves no file without its row. Use it as the write's outermost
    transaction: an enclosing one that rolls back later cannot be seen from here.
    """
    written: list[str] = []
    try:
        with transaction.atomic():
            yield written
    except BaseException:
        storage = FindingEvidence._meta.get_field("file").storage
        for name in written:
            storage.delete(name)
        raise


def store_evidence(
    finding: Finding, files: Sequence[UploadedFile], actor: Any, written: list[str]
) -> list[FindingEvidence]:
    """Write checked files inside an `evidence_transaction`, one ledger event each."""
    stored = []
    for upload in files:
        evidence = FindingEvidence(
            finding=finding,
            file_name=(upload.name or "evidence")[:255],
            sha256=file_sha256(upload),
            size=upload.size or 0,
            media_type=media_type_of(upload),
            uploaded_by=actor,
        )
        evidence.file.save(evidence.sha256, upload, save=False)
        written.append(evidence.file.name)
        evidence.save()
        ledger_append(
            actor=actor,
            action="finding.evidence_added",
            subject=finding,
            deployment_id=finding.deployment_id,
            data={
                "evidence": str(evidence.pk),
                "file_name": evidence.file_name,
                "sha256": evidence.sha256,
                "size": evidence.size,
                "media_type": evidence.media_type,
            },
        )
        stored.append(evidence)
    return stored
