#!/usr/bin/env python3
"""Check an audit-ledger CSV (ledger-slice.csv) and signed checkpoints, with Python alone.

    python3 verify_ledger.py ledger-slice.csv [--checkpoints checkpoints.jsonl]
                             [--openssl-dir DIR]

Needs Python 3.8 or newer and nothing else: it is written for people outside the
organisation (auditors, regulators) who hold a report's attachment or an export bundle. It

1. re-hashes every line of the CSV from its own prev_hash and compares it with its hash;
2. where two lines are consecutive events (seq N and N+1), checks that the second links to
   the first, and that event 1 links to the genesis hash (64 zeros);
3. for every checkpoint (one JSON object per line) whose event is in the CSV, checks that
   the checkpoint's head_hash is the hash on that line, and that its certificate fingerprint
   is the SHA-256 of its certificate;
4. writes the signed bytes, the signature and the certificate of those checkpoints to DIR
   (--openssl-dir) and prints the OpenSSL commands that check each signature; Python's
   standard library cannot check RSA or ECDSA signatures itself.

Exit status: 0 all checks passed, 1 something does not match (the line is named), 2 the files
cannot be read.

How an event is hashed (the product's own hashing runs this very code): the event's
canonical JSON is the object with the keys action, actor_id, actor_name, data,
deployment_id, seq, subject_id, subject_type, ts in that (sorted) order, without spaces,
strings escaped as JSON with non-ASCII characters kept as UTF-8, seq a JSON integer, ts as
text "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC), and data the event's own canonical JSON (sorted keys,
no spaces) inserted as a JSON value. Its hash is SHA-256, in lowercase hex, of the UTF-8
bytes of prev_hash (64 hex characters) followed by that canonical JSON. A checkpoint's
signature covers the canonical JSON of {"head_hash": ..., "seq": ..., "ts": ...}.
"""

from __future__ import annotations

import argparse
import base64
import csv
import hashlib
import json
import shlex
import sys
from json.encoder import encode_basestring
from pathlib import Path
from typing import Any

GENESIS_HASH = "0" * 64
COLUMNS = (
    "seq",
    "ts",
    "actor_id",
    "actor_name",
    "action",
    "subject_type",
    "subject_id",
    "deployment_id",
    "data",
    "prev_hash",
    "hash",
)
CHECKPOINT_FIELDS = ("seq", "head_hash", "ts", "algorithm", "signature", "certificate_sha256")

# The keys in sorted order. `data` is already canonical JSON, so it is spliced in as-is;
# building the string directly (instead of parsing `data` and dumping the whole event) is
# what lets the product verify hundreds of thousands of events a second.
_TEMPLATE = (
    '{"action":%s,"actor_id":%s,"actor_name":%s,"data":%s,"deployment_id":%s,'
    '"seq":%d,"subject_id":%s,"subject_type":%s,"ts":%s}'
)


def event_canonical(
    *,
    seq: int,
    ts: str,
    actor_id: str,
    actor_name: str,
    action: str,
    subject_type: str,
    subject_id: str,
    deployment_id: str,
    data: str,
) -> str:
    enc = encode_basestring
    return _TEMPLATE % (
        enc(action),
        enc(actor_id),
        enc(actor_name),
        data,
        enc(deployment_id),
        seq,
        enc(subject_id),
        enc(subject_type),
        enc(ts),
    )


def event_hash(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode("utf-8")).hexdigest()


def checkpoint_payload(*, seq: int, head_hash: str, ts: str) -> bytes:
    """The exact bytes a checkpoint's signature covers."""
    document = {"head_hash": head_hash, "seq": seq, "ts": ts}
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


class Mismatch(Exception):
    """Something does not match: the message names the line."""


class Unreadable(Exception):
    """A file cannot be read as what it should be."""


def read_slice(path: Path) -> dict[int, tuple[int, str]]:
    """Check every line of the CSV; returns {seq: (line number, hash)}."""
    events: dict[int, tuple[int, str]] = {}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None or tuple(header) != COLUMNS:
                raise Unreadable(f"{path}: the first line must be {','.join(COLUMNS)}")
            line, last = reader.line_num + 1, None
            for row in reader:
                _check_row(row, line, last)
                seq = int(row[0])
                events[seq] = (line, row[10])
                last = (seq, row[10], line)
                line = reader.line_num + 1
    except (UnicodeDecodeError, csv.Error) as exc:
        raise Unreadable(f"{path}: {exc}") from exc
    return events


def _check_row(row: list[str], line: int, last: tuple[int, str, int] | None) -> None:
    if len(row) != len(COLUMNS):
        raise Mismatch(f"line {line}: {len(row)} fields, expected {len(COLUMNS)}")
    seq_text, ts, actor_id, actor_name, action, stype, sid, dep, data, prev_hash, digest = row
    if not (seq_text.isascii() and seq_text.isdigit()):
        raise Mismatch(f"line {line}: seq {seq_text!r} is not a whole number")
    seq = int(seq_text)
    canonical = event_canonical(
        seq=seq,
        ts=ts,
        actor_id=actor_id,
        actor_name=actor_name,
        action=action,
        subject_type=stype,
        subject_id=sid,
        deployment_id=dep,
        data=data,
    )
    if event_hash(prev_hash, canonical) != digest:
        raise Mismatch(
            f"line {line} (event {seq}): its hash does not match its content; the line was altered"
        )
    if last is not None and seq <= last[0]:
        raise Mismatch(f"line {line} (event {seq}): comes after event {last[0]}, out of order")
    if seq == 1 and prev_hash != GENESIS_HASH:
        raise Mismatch(f"line {line} (event 1): does not start from the genesis hash")
    if last is not None and seq == last[0] + 1 and prev_hash != last[1]:
        raise Mismatch(
            f"line {line} (event {seq}): does not link to event {last[0]} on line {last[2]}"
        )


def read_checkpoints(path: Path) -> list[tuple[int, dict[str, Any]]]:
    checkpoints = []
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise Unreadable(f"{path}: {exc}") from exc
    for number, raw in enumerate(text.splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
        except ValueError as exc:
            raise Unreadable(f"{path} line {number}: not JSON ({exc})") from exc
        if not isinstance(entry, dict) or any(f not in entry for f in CHECKPOINT_FIELDS):
            raise Unreadable(f"{path} line {number}: not a checkpoint record")
        checkpoints.append((number, entry))
    return checkpoints


def _certificate_der(pem: str) -> bytes:
    body = "".join(
        line for line in pem.strip().splitlines() if line and not line.startswith("-----")
    )
    return base64.b64decode(body, validate=True)


def check_checkpoint(
    number: int, entry: dict[str, Any], events: dict[int, tuple[int, str]]
) -> bool:
    """Raises Mismatch when the checkpoint contradicts the CSV; True when it covers a line."""
    where = f"checkpoint #{entry['seq']} (line {number} of the checkpoint file)"
    try:
        fingerprint = hashlib.sha256(
            _certificate_der(str(entry.get("certificate", "")))
        ).hexdigest()
    except ValueError as exc:
        raise Mismatch(f"{where}: its certificate cannot be read") from exc
    if fingerprint != entry["certificate_sha256"]:
        raise Mismatch(f"{where}: its certificate is not the one its fingerprint names")
    covered = events.get(entry["seq"])
    if covered is None:
        return False
    if covered[1] != entry["head_hash"]:
        raise Mismatch(
            f"{where} signed head hash {entry['head_hash']}, but line {covered[0]} "
            f"(event {entry['seq']}) has {covered[1]}: the ledger was rewritten"
        )
    return True


def write_openssl_files(folder: Path, entry: dict[str, Any]) -> list[str]:
    """The signed bytes, signature and certificate of one checkpoint; the commands to run."""
    folder.mkdir(parents=True, exist_ok=True)
    stem = folder / f"checkpoint-{entry['seq']}"
    payload = checkpoint_payload(seq=entry["seq"], head_hash=entry["head_hash"], ts=entry["ts"])
    Path(f"{stem}.json").write_bytes(payload)
    Path(f"{stem}.sig").write_bytes(base64.b64decode(entry["signature"]))
    Path(f"{stem}-cert.pem").write_text(str(entry["certificate"]))
    cert, pubkey, sig, signed = (shlex.quote(f"{stem}{end}") for end in _ENDINGS)
    return [
        f"openssl x509 -in {cert} -noout -pubkey > {pubkey}",
        f"openssl dgst -sha256 -verify {pubkey} -signature {sig} {signed}",
        f"openssl x509 -in {cert} -noout -fingerprint -sha256",
    ]


_ENDINGS = ("-cert.pem", "-pubkey.pem", ".sig", ".json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("slice", type=Path, help="ledger CSV (ledger-slice.csv)")
    parser.add_argument("--checkpoints", type=Path, help="checkpoint file, one JSON per line")
    parser.add_argument("--openssl-dir", type=Path, help="where to write files for OpenSSL")
    args = parser.parse_args(argv)
    try:
        events = read_slice(args.slice)
        checkpoints = read_checkpoints(args.checkpoints) if args.checkpoints else []
        covering = [e for n, e in checkpoints if check_checkpoint(n, e, events)]
    except Mismatch as exc:
        print(f"MISMATCH: {exc}")
        return 1
    except Unreadable as exc:
        print(f"UNREADABLE: {exc}")
        return 2
    print(
        f"OK: {len(events)} events, each re-hashing to its recorded hash "
        "and linking to the previous one where consecutive."
    )
    if args.checkpoints:
        seqs = ", ".join(f"#{e['seq']}" for e in covering) or "none"
        print(f"{len(checkpoints)} checkpoints read; those on events in this file agree: {seqs}.")
    if covering and args.openssl_dir:
        print('Check each checkpoint\'s signature ("Verified OK"), and compare the fingerprint')
        print("with the one the organisation publishes:")
        for entry in covering:
            for command in write_openssl_files(args.openssl_dir, entry):
                print(f"  {command}")
    elif covering:
        print("Add --openssl-dir DIR to write the files and commands that check the signatures.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
