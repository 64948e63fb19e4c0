"""Canonical JSON: the one byte representation that every hash in the product is taken over.

Sorted keys, no insignificant whitespace, UTF-8, no NaN or infinity. Anyone holding the same
data can rebuild the same bytes with any JSON library configured the same way, which is what
makes fingerprints, dossier hashes, signature hashes and ledger hashes checkable by outsiders.
"""

from __future__ import annotations

import datetime as dt
import decimal
import hashlib
import json
import uuid
from typing import Any


def _default(value: Any) -> Any:
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime):
        return format_timestamp(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"{type(value).__name__} is not canonical-JSON serialisable")


def canonical_json(value: Any) -> str:
    return json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    )


def canonical_bytes(value: Any) -> bytes:
    return canonical_json(value).encode("utf-8")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def canonical_sha256(value: Any) -> str:
    return sha256_hex(canonical_bytes(value))


def format_timestamp(value: dt.datetime) -> str:
    """UTC with microseconds and a Z, e.g. 2026-11-28T16:00:05.123456Z; naive values are refused."""
    if value.tzinfo is None:
        raise ValueError("naive datetimes have no canonical form; use an aware UTC datetime")
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
