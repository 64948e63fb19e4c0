"""Freeze all the evidence for one report as one canonical JSON document.

Everything is read inside a single read transaction (REPEATABLE READ on PostgreSQL; SQLite's
transaction is a snapshot by nature), so the sections, the ledger slice and the ledger head
describe the same instant. The document is the input of rendering: the PDF is a function of
these bytes and the attachments, nothing else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from audits.reports.models import Report, ReportKind
from audits.reports.sections import (
    ANNEX_IV,
    AttachmentProducer,
    PendingSection,
    SnapshotContext,
    slots_for,
)
from governance.accounts.permissions import Perm, can
from governance.core.canonical import canonical_bytes, format_timestamp, sha256_hex
from governance.core.errors import PermissionRefused
from governance.ledger.models import GENESIS_HASH, LedgerHead

EVIDENCE_FORMAT = "model-governance/report-evidence@1"
EVIDENCE_NAME = "evidence.json"


@dataclass(frozen=True)
class Snapshot:
    evidence_json: bytes
    evidence_sha256: str
    attachments: dict[str, AttachmentProducer]
    head_seq: int
    head_hash: str
    taken_at: dt.datetime


@contextmanager
def read_transaction() -> Iterator[None]:
    """One consistent view of the database for the whole snapshot."""
    outermost = not connection.in_atomic_block
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def _head() -> tuple[int, str]:
    head = LedgerHead.objects.filter(pk=1).first()
    return (head.seq, head.hash) if head else (0, GENESIS_HASH)


def _report_header(report: Report) -> dict[str, Any]:
    user = report.requested_by
    return {
        "id": str(report.pk),
        "kind": report.kind,
        "kind_label": ReportKind(report.kind).label,
        "title": report.title,
        "subject_key": report.subject_key,
        "requested_by": {"username": user.get_username(), "name": user.display_name},
        "requested_at": format_timestamp(report.created_at),
    }


def _annex_map(sections: list[dict[str, Any]], pending: list[dict[str, Any]]) -> list[Any]:
    rows = []
    for number, title in ANNEX_IV:
        rows.append(
            {
                "number": number,
                "title": title,
                "included": [s["title"] for s in sections if number in s["annex_iv"]],
                "not_included": [p["title"] for p in pending if number in p["annex_iv"]],
            }
        )
    return rows


def take_snapshot(report: Report) -> Snapshot:
    """Read every section's evidence and the ledger head in one transaction."""
    # Sections read as the requester; one who may no longer read the records gets no document
    # rather than one that silently leaves their parts out.
    if not can(report.requested_by, Perm.VIEW):
        raise PermissionRefused(
            "The person who asked for this report may no longer read the records."
        )
    with read_transaction():
        head_seq, head_hash = _head()
        taken_at = timezone.now()
        ctx = SnapshotContext(
            report=report,
            deployment=report.deployment,
            head_seq=head_seq,
            head_hash=head_hash,
            taken_at=taken_at,
        )
        sections: list[dict[str, Any]] = []
        pending: list[dict[str, Any]] = []
        for slot in slots_for(report.kind):
            entry = {"key": slot.key, "title": slot.title, "annex_iv": list(slot.annex_iv)}
            if isinstance(slot, PendingSection):
                pending.append({**entry, "room": slot.room})
            else:
                sections.append({**entry, "data": slot.build(ctx)})
    evidence = {
        "format": EVIDENCE_FORMAT,
        "organisation": settings.REPORT_ORGANISATION,
        "report": _report_header(report),
        "snapshot": {
            "taken_at": format_timestamp(taken_at),
            "ledger_head": {"seq": head_seq, "hash": head_hash},
        },
        "sections": sections,
        "not_included": pending,
        "annex_iv": _annex_map(sections, pending),
        "attachments": sorted(ctx.attachments),
    }
    data = canonical_bytes(evidence)
    return Snapshot(
        evidence_json=data,
        evidence_sha256=sha256_hex(data),
        attachments=dict(ctx.attachments),
        head_seq=head_seq,
        head_hash=head_hash,
        taken_at=taken_at,
    )
