"""Streams the chain (whole, or from an event verified before) in fixed-size pages and
checks every link.

Memory stays constant: at most three pages of rows (the one being hashed and two read
ahead) and the previous hash are held. Timestamps are formatted by the database itself
(PostgreSQL) or fixed up from SQLite's text, so the loop does no datetime work per event.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import connections

from governance.core.read_ahead import read_ahead
from governance.ledger.chain import event_canonical, event_hash
from governance.ledger.models import GENESIS_HASH

PAGE_SIZE = 20_000

_COLUMNS = (
    "seq, {ts}, actor_id, actor_name, action, subject_type, subject_id, deployment_id, data, "
    "prev_hash, hash"
)
PG_TIMESTAMP = "to_char(ts AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    event_count: int
    head_hash: str
    first_bad_seq: int | None
    message: str
    seconds: float
    # The chain's hash at each watched sequence number it reached intact (for checkpoints).
    hashes_at: dict[int, str] = field(default_factory=dict)


def _sqlite_ts(raw: str) -> str:
    # Django stores aware datetimes in SQLite as naive UTC text, dropping ".000000".
    text = raw.replace(" ", "T")
    return (text if len(text) > 19 else text + ".000000") + "Z"


def _pages(using: str, after: int = 0) -> Iterator[list[tuple[Any, ...]]]:
    connection = connections[using]
    is_pg = connection.vendor == "postgresql"
    columns = _COLUMNS.format(ts=PG_TIMESTAMP if is_pg else "CAST(ts AS TEXT)")
    sql = f"SELECT {columns} FROM ledger_ledgerevent WHERE seq > %s ORDER BY seq LIMIT %s"  # noqa: S608
    last = after
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [last, PAGE_SIZE])
            rows = cursor.fetchall()
            if not rows:
                return
            if not is_pg:
                rows = [(r[0], _sqlite_ts(r[1]), *r[2:]) for r in rows]
            yield rows
            last = rows[-1][0]


def _head(using: str) -> tuple[int, str] | None:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT seq, hash FROM ledger_ledgerhead WHERE id = 1")
        row = cursor.fetchone()
    return (int(row[0]), str(row[1])) if row else None


def _stored_hash(using: str, seq: int) -> str | None:
    with connections[using].cursor() as cursor:
        cursor.execute("SELECT hash FROM ledger_ledgerevent WHERE seq = %s", [seq])
        row = cursor.fetchone()
    return str(row[0]) if row else None


def verify_chain(
    using: str = "default",
    progress: Callable[[int], None] | None = None,
    watch: Collection[int] = frozenset(),
    after: tuple[int, str] | None = None,
) -> VerifyResult:
    """Check every link from genesis, or, given `after` = (seq, hash) of an event an earlier
    run verified, only the events since: that event must still carry the hash it had then,
    and each later one must link to it. An incremental run cannot see an edit before `after`
    that leaves the stored hashes alone; the full run (and the signed checkpoints) does."""
    started = time.perf_counter()
    start_seq, prev = after if after is not None else (0, GENESIS_HASH)
    expected_seq = start_seq + 1
    hashes_at: dict[int, str] = {}

    def result(ok: bool, bad: int | None, message: str) -> VerifyResult:
        seconds = time.perf_counter() - started
        return VerifyResult(ok, expected_seq - 1, prev, bad, message, seconds, hashes_at)

    if start_seq and _stored_hash(using, start_seq) != prev:
        return result(
            False,
            start_seq,
            f"event {start_seq} is missing or its hash changed since it was last verified",
        )
    # Outside a transaction the next page is read while this one is hashed; inside one (a
    # caller's uncommitted rows) another connection would not see them, so pages come inline.
    inline = connections[using].in_atomic_block
    pages = (
        _pages(using, start_seq)
        if inline
        else read_ahead(lambda: _pages(using, start_seq), depth=2)
    )
    for rows in pages:
        for seq, ts, actor_id, actor_name, action, stype, sid, dep, data, prev_hash, digest in rows:
            if seq != expected_seq:
                return result(
                    False, expected_seq, f"event {expected_seq} is missing or out of order"
                )
            if prev_hash != prev:
                return result(
                    False,
                    seq,
                    f"event {seq} does not link to event {seq - 1} (reordered or replaced)",
                )
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
            if event_hash(prev, canonical) != digest:
                return result(
                    False, seq, f"event {seq} was altered: its hash does not match its content"
                )
            prev = digest
            if seq in watch:
                hashes_at[seq] = digest
            expected_seq += 1
        if progress is not None:
            progress(expected_seq - 1)

    head = _head(using)
    count = expected_seq - 1
    if head is not None and head[0] != count:
        if head[0] > count:
            return result(
                False, count + 1, f"events {count + 1} to {head[0]} are missing from the end"
            )
        return result(
            False, head[0] + 1, f"events after {head[0]} were added outside the ledger service"
        )
    if head is not None and head[0] and head[1] != prev:
        return result(False, count, f"event {count} does not match the recorded head hash")
    return result(True, None, "intact")
