"""Signed checkpoints: the organisation's signature over the chain's head, kept in two places.

A hash chain only proves that nothing changed if someone remembers a hash from before: whoever
can write to the database can edit an event and re-hash every later one, and the chain checks
out again. A checkpoint is that memory. It signs (seq, head hash, time) with the
organisation's key, is stored in the database (LedgerCheckpoint) and appended as one JSON
line to `LEDGER_CHECKPOINT_DIR/checkpoints.jsonl` (and e-mailed to `LEDGER_CHECKPOINT_EMAIL`).
`verify_audit_log` compares the chain with every checkpoint from both places.

The signed bytes are the canonical JSON (sorted keys, no spaces, UTF-8) of
{"head_hash": ..., "seq": ..., "ts": "YYYY-MM-DDTHH:MM:SS.ffffffZ"}.
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from governance.core.canonical import canonical_json, format_timestamp
from governance.core.signing_key import organisation_key
from governance.ledger.models import LedgerCheckpoint, LedgerHead
from governance.ledger.services import ledger_append, ledger_write_lock
from governance.ledger.standalone_verifier import checkpoint_payload

logger = logging.getLogger(__name__)

LOG_NAME = "checkpoints.jsonl"
FORMAT = "model-governance/ledger-checkpoint@1"
# The fields of a log line, each as the database stores it (ts in canonical form).
FIELDS = ("seq", "head_hash", "ts", "algorithm", "signature", "certificate_sha256", "certificate")


def payload(*, seq: int, head_hash: str, ts: str) -> bytes:
    """The exact bytes a checkpoint's signature covers (defined with the standalone verifier,
    which rebuilds them for OpenSSL)."""
    return checkpoint_payload(seq=seq, head_hash=head_hash, ts=ts)


def record(checkpoint: LedgerCheckpoint) -> dict[str, Any]:
    """A checkpoint as one line of the log file (and of an export bundle's copy)."""
    return {
        "format": FORMAT,
        "seq": checkpoint.seq,
        "head_hash": checkpoint.head_hash,
        "ts": format_timestamp(checkpoint.ts),
        "algorithm": checkpoint.algorithm,
        "signature": checkpoint.signature,
        "certificate_sha256": checkpoint.certificate_sha256,
        "certificate": checkpoint.certificate,
    }


def log_path() -> Path:
    return Path(settings.LEDGER_CHECKPOINT_DIR) / LOG_NAME


@dataclass(frozen=True)
class LogLine:
    number: int
    record: dict[str, Any] | None  # None: the line is not a checkpoint record
    error: str = ""


def read_log(path: Path | None = None) -> Iterator[LogLine]:
    """Every non-empty line of the log file, parsed; a missing file has no lines."""
    path = path or log_path()
    if not path.exists():
        return
    with path.open(encoding="utf-8") as handle:
        for number, text in enumerate(handle, start=1):
            if not text.strip():
                continue
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                yield LogLine(number, None, f"not JSON ({exc.msg})")
                continue
            missing = [f for f in FIELDS if not isinstance(value, dict) or f not in value]
            if missing:
                yield LogLine(number, None, f"lacks {', '.join(missing)}")
            elif not isinstance(value["seq"], int) or isinstance(value["seq"], bool):
                yield LogLine(number, None, "seq is not a whole number")
            else:
                yield LogLine(number, value)


def log_sync() -> int:
    """Append to the log file every checkpoint the database has and the file lacks.

    Normally that is the one just taken; after a crash between the commit and the write it
    also repairs the file. Lines are only ever added (append mode, fsync'd), never rewritten.
    Returns how many lines were written.
    """
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as handle:
        # Two workers syncing at once would both append the same checkpoint; the lock queues
        # them so the second sees the first one's line.
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            present = {line.record["seq"] for line in read_log(path) if line.record}
            missing = LedgerCheckpoint.objects.exclude(seq__in=present).order_by("seq")
            written = 0
            for checkpoint in missing.iterator():
                handle.write(canonical_json(record(checkpoint)) + "\n")
                written += 1
            handle.flush()
            if written:
                os.fsync(handle.fileno())
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    return written


def _mail(checkpoint: LedgerCheckpoint) -> None:
    recipients = list(settings.LEDGER_CHECKPOINT_EMAIL)
    if not recipients:
        return
    body = (
        f"{settings.REPORT_ORGANISATION} signed the head of its audit ledger at event "
        f"{checkpoint.seq}. Keep this message: `manage.py verify_audit_log` and "
        "verify_ledger.py compare the ledger with checkpoints like this one.\n\n"
        + canonical_json(record(checkpoint))
        + "\n"
    )
    try:
        send_mail(
            f"Audit ledger checkpoint #{checkpoint.seq}",
            body,
            settings.DEFAULT_FROM_EMAIL,
            recipients,
        )
    except Exception:
        # The checkpoint is stored and in the log file; a mail server being down must not
        # undo it. The failure is logged for the operator.
        logger.exception("checkpoint %s could not be e-mailed", checkpoint.seq)


def ledger_checkpoint_take() -> LedgerCheckpoint | None:
    """Sign the chain's head, unless no event was appended since the last checkpoint.

    The checkpoint covers its own ledger event ("ledger.checkpoint"), appended first, so the
    head it signs is the head after recording it and a second run finds nothing new. Safe to
    run twice: the head lock serialises runs, and the second one creates nothing. Raises
    SigningNotConfigured (before writing anything) when there is no key.
    """
    key = organisation_key()
    created: LedgerCheckpoint | None = None
    with transaction.atomic():
        ledger_write_lock()
        transaction.on_commit(log_sync)
        head = LedgerHead.objects.filter(pk=1).first()
        last = LedgerCheckpoint.objects.order_by("-seq").first()
        if head is not None and head.seq > 0 and (last is None or last.seq < head.seq):
            event = ledger_append(
                actor=None,
                action="ledger.checkpoint",
                data={"algorithm": key.algorithm, "certificate_sha256": key.certificate_sha256},
            )
            ts = timezone.now()
            signed = payload(seq=event.seq, head_hash=event.hash, ts=format_timestamp(ts))
            created = LedgerCheckpoint.objects.create(
                seq=event.seq,
                head_hash=event.hash,
                ts=ts,
                algorithm=key.algorithm,
                signature=key.sign(signed),
                certificate_sha256=key.certificate_sha256,
                certificate=key.signer_certificate_pem,
            )
            checkpoint = created
            transaction.on_commit(lambda: _mail(checkpoint))
    return created
