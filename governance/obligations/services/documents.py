"""Evidence documents: uploaded once, kept immutable, superseded by new versions, linked.

A document is a file with its SHA-256, uploader, time and validity period. A correction or a
renewal is a new version in the same series; the old version stays, marked superseded, and
links to any version of a series count with the newest version's validity.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.accounts.permissions import Perm, can
from governance.core.errors import Conflict, InvalidInput, PermissionRefused
from governance.core.evidence import file_sha256
from governance.core.uploads import check_upload
from governance.ledger.services import ledger_append
from governance.obligations.choices import DocumentKind
from governance.obligations.models import EvidenceDocument, EvidenceLink, Requirement


def _require(actor: Any) -> None:
    if not can(actor, Perm.EVIDENCE_UPLOAD):
        raise PermissionRefused(
            "Your roles do not allow keeping evidence documents (obligations.evidence_upload)."
        )


@contextmanager
def _files_transaction() -> Iterator[list[str]]:
    # Storage takes no part in the transaction: a rolled-back upload removes its file.
    written: list[str] = []
    try:
        with transaction.atomic():
            yield written
    except BaseException:
        storage = EvidenceDocument._meta.get_field("file").storage
        for name in written:
            storage.delete(name)
        raise


def _check(*, title: str, kind: str, valid_from: dt.date, valid_until: dt.date | None) -> None:
    if not (title or "").strip():
        raise InvalidInput("Give the document a title.", fields={"title": "required"})
    if kind not in DocumentKind.values:
        raise InvalidInput(
            f"Kind must be one of {', '.join(DocumentKind.values)}.", fields={"kind": "unknown"}
        )
    if valid_until is not None and valid_until < valid_from:
        raise InvalidInput(
            "A document cannot stop being valid before it starts.",
            fields={"valid_until": "before valid_from"},
        )


def evidence_document_upload(
    *,
    actor: Any,
    file: UploadedFile,
    title: str,
    kind: str,
    description: str = "",
    system: Any = None,
    valid_from: dt.date | None = None,
    valid_until: dt.date | None = None,
    supersedes: EvidenceDocument | None = None,
) -> EvidenceDocument:
    """Keep an uploaded file as evidence; with `supersedes`, as that document's next version.

    The file is refused before anything is written when it is over the size limit or of a
    type not allowed. The document is never edited afterwards.
    """
    _require(actor)
    valid_from = valid_from or timezone.localdate()
    _check(title=title, kind=kind, valid_from=valid_from, valid_until=valid_until)
    media_type = check_upload(
        file,
        limit=settings.OBLIGATIONS_EVIDENCE_MAX_BYTES,
        allowed=settings.OBLIGATIONS_EVIDENCE_TYPES,
    )
    with _files_transaction() as written:
        previous = None
        if supersedes is not None:
            previous = EvidenceDocument.objects.select_for_update().get(pk=supersedes.pk)
            if previous.superseded_by_id is not None:
                raise Conflict(
                    f"{previous} is already superseded; upload a new version of the newest one.",
                    fields={"supersedes": "not the newest version"},
                )
        document = EvidenceDocument(
            series=previous.series if previous else uuid.uuid4(),
            version=previous.version + 1 if previous else 1,
            title=title.strip()[:200],
            kind=kind,
            description=(description or "").strip(),
            system=system if previous is None else previous.system,
            file_name=(file.name or "document")[:255],
            content_type=media_type,
            size=file.size or 0,
            sha256=file_sha256(file),
            valid_from=valid_from,
            valid_until=valid_until,
            uploaded_by=actor,
        )
        document.file.save(document.sha256, file, save=False)
        written.append(document.file.name)
        try:
            with transaction.atomic():
                document.save()
        except IntegrityError as exc:
            raise Conflict("Another version of this document was just uploaded.") from exc
        if previous is not None:
            # The one change an evidence document ever sees: being superseded.
            EvidenceDocument.objects.filter(pk=previous.pk).update(
                superseded_by=document, updated_at=timezone.now()
            )
        ledger_append(
            actor=actor,
            action="evidence_document.uploaded",
            subject=document,
            data={
                "title": document.title,
                "kind": document.kind,
                "series": str(document.series),
                "version": document.version,
                "supersedes": str(previous.pk) if previous else "",
                "file_name": document.file_name,
                "sha256": document.sha256,
                "size": document.size,
                "media_type": document.content_type,
                "valid_from": document.valid_from,
                "valid_until": document.valid_until,
                "system": str(document.system_id or ""),
                # Deployments that use the series see the new version's validity.
                "everywhere": previous is not None
                and EvidenceLink.objects.filter(
                    document__series=previous.series, unlinked_at__isnull=True
                ).exists(),
            },
        )
    return document


def evidence_link_create(
    *, actor: Any, document: EvidenceDocument, requirement: Requirement, deployment: Any = None
) -> EvidenceLink:
    """Offer a document as evidence of a requirement, for one deployment or for all."""
    _require(actor)
    if not requirement.framework.is_current:
        raise InvalidInput(
            "That requirement belongs to a framework version no longer current.",
            fields={"requirement": "not current"},
        )
    if (
        deployment is not None
        and document.system_id is not None
        and deployment.model_version.system_id != document.system_id
    ):
        raise InvalidInput(
            "The document belongs to another AI system than this deployment's.",
            fields={"deployment": "another system"},
        )
    with transaction.atomic():
        try:
            with transaction.atomic():
                link = EvidenceLink.objects.create(
                    document=document,
                    requirement=requirement,
                    deployment=deployment,
                    linked_by=actor,
                )
        except IntegrityError as exc:
            raise Conflict(
                "The document is already linked to that requirement there.",
                fields={"requirement": "already linked"},
            ) from exc
        ledger_append(
            actor=actor,
            action="evidence_document.linked",
            subject=document,
            deployment_id=deployment.pk if deployment is not None else None,
            data={
                "link": str(link.pk),
                "requirement": requirement.ref,
                "requirement_id": str(requirement.pk),
                "document": str(document),
                "everywhere": deployment is None,
            },
        )
    return link


def evidence_link_remove(*, actor: Any, link: EvidenceLink) -> EvidenceLink:
    """Withdraw a document from a requirement; the link stays on record as ended."""
    _require(actor)
    with transaction.atomic():
        locked = (
            EvidenceLink.objects.select_for_update()
            .select_related("document", "requirement")
            .get(pk=link.pk)
        )
        if locked.unlinked_at is not None:
            raise Conflict("That link was already removed.")
        locked.unlinked_at = timezone.now()
        locked.unlinked_by = actor
        locked.save(update_fields=["unlinked_at", "unlinked_by", "updated_at"])
        ledger_append(
            actor=actor,
            action="evidence_document.unlinked",
            subject=locked.document,
            deployment_id=locked.deployment_id,
            data={
                "link": str(locked.pk),
                "requirement": locked.requirement.ref,
                "document": str(locked.document),
                "everywhere": locked.deployment_id is None,
            },
        )
    return locked
