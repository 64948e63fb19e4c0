"""The whole check: the chain links, and it agrees with every signed checkpoint.

Checkpoints come from the database and from the log file outside it; each copy must carry a
signature that verifies, made with a certificate the organisation trusts (the configured one,
or an earlier one listed in LEDGER_TRUSTED_CERT_SHA256), and the chain's hash at its sequence
number must be the one it signed. The two places must hold the same checkpoints: a row
deleted from the table, or a line removed from the file, is reported. The first problem in
sequence order is the one named.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography import x509
from django.conf import settings

from governance.core.signing_key import (
    SigningNotConfigured,
    certificate_sha256,
    organisation_key,
    signature_valid,
)
from governance.ledger.checkpoints import log_path, payload, read_log, record
from governance.ledger.models import LedgerCheckpoint
from governance.ledger.verify import VerifyResult, verify_chain

DATABASE = "the database"


@dataclass(frozen=True)
class Copy:
    where: str
    record: dict[str, Any]

    @property
    def name(self) -> str:
        return f"checkpoint #{self.record['seq']} signed {self.record['ts']} (in {self.where})"


@dataclass(frozen=True)
class Problem:
    seq: int
    message: str


def trusted_fingerprints() -> set[str]:
    trusted = {fingerprint.lower() for fingerprint in settings.LEDGER_TRUSTED_CERT_SHA256}
    # Without a configured key only the listed earlier certificates are trusted.
    with contextlib.suppress(SigningNotConfigured):
        trusted.add(organisation_key().certificate_sha256)
    return trusted


def _collect(using: str, path: Path) -> tuple[dict[int, Copy], dict[int, Copy], list[Problem]]:
    in_db = {
        c.seq: Copy(DATABASE, record(c))
        for c in LedgerCheckpoint.objects.using(using).order_by("seq").iterator()
    }
    in_file: dict[int, Copy] = {}
    problems: list[Problem] = []
    for line in read_log(path):
        where = f"line {line.number} of {path}"
        if line.record is None:
            problems.append(Problem(0, f"{where} is not a checkpoint: {line.error}"))
            continue
        seq = line.record["seq"]
        earlier = in_file.get(seq)
        if earlier is not None and _signed_part(earlier.record) != _signed_part(line.record):
            problems.append(Problem(seq, f"{where} contradicts {earlier.where} for event {seq}"))
        in_file.setdefault(seq, Copy(where, line.record))
    return in_db, in_file, problems


def _signed_part(entry: dict[str, Any]) -> tuple[Any, ...]:
    return tuple(entry.get(name) for name in ("seq", "head_hash", "ts", "signature"))


def _signature_problem(copy: Copy, trusted: set[str]) -> str | None:
    entry = copy.record
    try:
        certificate = x509.load_pem_x509_certificate(str(entry["certificate"]).encode())
    except ValueError:
        return f"{copy.name}: its certificate cannot be read"
    fingerprint = certificate_sha256(certificate)
    if fingerprint != entry["certificate_sha256"]:
        return f"{copy.name}: its certificate is not the one its fingerprint names"
    signed = payload(seq=entry["seq"], head_hash=str(entry["head_hash"]), ts=str(entry["ts"]))
    if not signature_valid(
        certificate_pem=str(entry["certificate"]),
        algorithm=str(entry["algorithm"]),
        data=signed,
        signature=str(entry["signature"]),
    ):
        return f"{copy.name}: its signature does not verify (the checkpoint was altered)"
    if fingerprint not in trusted:
        return (
            f"{copy.name}: signed by a certificate the organisation does not trust "
            f"(SHA-256 {fingerprint})"
        )
    return None


def _problem_at(
    seq: int, copies: list[Copy], chain: VerifyResult, trusted: set[str]
) -> Problem | None:
    in_db = any(c.where == DATABASE for c in copies)
    if not in_db:
        return Problem(seq, f"{copies[0].name} is missing from the database")
    if len(copies) == 1:
        return Problem(seq, f"{copies[0].name} is missing from the checkpoint log {log_path()}")
    if _signed_part(copies[0].record) != _signed_part(copies[1].record):
        return Problem(seq, f"{copies[0].name} differs from the copy in {copies[1].where}")
    for copy in copies:
        message = _signature_problem(copy, trusted)
        if message is not None:
            return Problem(seq, message)
    name, signed_hash = copies[0].name, copies[0].record["head_hash"]
    if seq > chain.event_count and chain.ok:
        return Problem(
            seq,
            f"{name} lies beyond the end of the chain ({chain.event_count} events): "
            "events were removed",
        )
    seen = chain.hashes_at.get(seq)
    if seen is not None and seen != signed_hash:
        return Problem(
            seq,
            f"{name} signed head hash {signed_hash}, but the chain's hash at event {seq} is "
            f"{seen}: events up to {seq} were rewritten",
        )
    return None


def checkpoint_problem(
    chain: VerifyResult, in_db: dict[int, Copy], in_file: dict[int, Copy], problems: list[Problem]
) -> Problem | None:
    """The first problem among the collected checkpoints (`_collect`), held against `chain`."""
    problems = list(problems)
    trusted = trusted_fingerprints()
    for seq in sorted(set(in_db) | set(in_file)):
        copies = [c for c in (in_db.get(seq), in_file.get(seq)) if c is not None]
        problem = _problem_at(seq, copies, chain, trusted)
        if problem is not None:
            problems.append(problem)
            break
    return min(problems, key=lambda p: p.seq) if problems else None


def verify_ledger(
    using: str = "default", progress: Callable[[int], None] | None = None
) -> VerifyResult:
    """Verify the chain, then hold it against every checkpoint (database and log file)."""
    started = time.perf_counter()
    # Read once, before the chain: the checkpoints say which hashes the scan must keep.
    in_db, in_file, problems = _collect(using, log_path())
    chain = verify_chain(using, progress, watch=set(in_db) | set(in_file))
    problem = checkpoint_problem(chain, in_db, in_file, problems)
    seconds = time.perf_counter() - started
    if problem is None or (chain.first_bad_seq is not None and chain.first_bad_seq < problem.seq):
        return replace(chain, seconds=seconds)
    return replace(
        chain, ok=False, first_bad_seq=problem.seq, message=problem.message, seconds=seconds
    )
