"""The ledger's part of a report: a fixed-size summary in the PDF, the complete slice attached.

The slice is every event up to the ledger head at snapshot time that concerns the subject
(a deployment's events for a dossier, every deployment's lifecycle for the portfolio). It is
attached as CSV with every column the chain hash covers, so each row can be re-hashed from
its `prev_hash`; the summary printed stays the same size whatever the number of events,
which keeps rendering time flat as the ledger grows.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet

from audits.reports.sections import Section, SnapshotContext
from governance.core.canonical import format_timestamp
from governance.ledger.chain import event_canonical, event_hash
from governance.ledger.models import LedgerEvent
from governance.ledger.standalone_verifier import COLUMNS
from governance.ledger.verify import PG_TIMESTAMP

CSV_NAME = "ledger-slice.csv"
# Exactly the fields the chain hash covers, plus the link and the hash, in the order the
# standalone verifier reads them. Values are written unaltered (no spreadsheet-formula
# escaping): the file is evidence, re-hashable byte for byte.
RECENT = 15
CHUNK = 1 << 20  # bytes of CSV handed on at a time
# The timestamp exactly as the chain hashes it (format_timestamp), written by PostgreSQL.
_PG_TS = f"{PG_TIMESTAMP} AS ts"


def _event(event: LedgerEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "ts": format_timestamp(event.ts),
        "actor_name": event.actor_name,
        "action": event.action,
        "subject_type": event.subject_type,
    }


@dataclass(frozen=True)
class Scope:
    """Which events a slice holds: `field` equal to `value`, or starting with it."""

    field: str
    value: str
    prefix: bool = False
    label: str = ""

    def q(self) -> Q:
        return Q(**{f"{self.field}__startswith" if self.prefix else self.field: self.value})


HEADER = (",".join(COLUMNS) + "\n").encode()


def _csv_in_python(events: QuerySet[LedgerEvent]) -> Iterator[bytes]:
    yield HEADER
    buffer = io.StringIO()
    # Every value quoted: exactly the bytes PostgreSQL's COPY … FORCE_QUOTE * writes.
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_ALL)
    for seq, ts, *rest in events.order_by("seq").values_list(*COLUMNS).iterator(chunk_size=5000):
        writer.writerow([seq, format_timestamp(ts), *rest])
        if buffer.tell() >= CHUNK:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode("utf-8")


def _csv_from_postgresql(scope: Scope, head_seq: int) -> Iterator[bytes]:
    """PostgreSQL writes the CSV itself (COPY … TO STDOUT): 100,000 events take a fraction
    of the time a Python loop would."""
    from psycopg import sql

    if scope.field not in COLUMNS:
        raise ValueError(f"unknown ledger column {scope.field!r}")
    if scope.prefix:
        pattern = scope.value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        condition = sql.SQL("{} LIKE {}").format(
            sql.Identifier(scope.field), sql.Literal(pattern + "%")
        )
    else:
        condition = sql.SQL("{} = {}").format(sql.Identifier(scope.field), sql.Literal(scope.value))
    columns = [sql.SQL(_PG_TS) if name == "ts" else sql.Identifier(name) for name in COLUMNS]
    query = sql.SQL(
        "COPY (SELECT {} FROM ledger_ledgerevent WHERE {} AND seq <= {} ORDER BY seq) "
        "TO STDOUT WITH (FORMAT csv, FORCE_QUOTE *)"
    ).format(sql.SQL(", ").join(columns), condition, sql.Literal(head_seq))
    yield HEADER
    buffer = bytearray()
    with connection.cursor() as cursor, cursor.cursor.copy(query) as copy:
        # COPY hands over one row at a time; passing on megabytes keeps the per-chunk work
        # (hashing, compressing) cheap.
        for row in copy:
            buffer += row
            if len(buffer) >= CHUNK:
                yield bytes(buffer)
                buffer.clear()
    yield bytes(buffer)


def slice_csv(scope: Scope, head_seq: int) -> Iterator[bytes]:
    """The slice as CSV, in chunks: every event in scope up to `head_seq`, in sequence order."""
    if connection.vendor == "postgresql":
        return _csv_from_postgresql(scope, head_seq)
    events = LedgerEvent.objects.filter(scope.q(), seq__lte=head_seq)
    return _csv_in_python(events)


def summarise(ctx: SnapshotContext, scope: Scope) -> dict[str, Any]:
    events = LedgerEvent.objects.filter(scope.q(), seq__lte=ctx.head_seq)
    by_action = list(events.order_by("action").values_list("action").annotate(n=Count("seq")))
    rows = sum(count for _, count in by_action)
    first = events.order_by("seq").first()
    recent = list(events.order_by("-seq")[:RECENT])
    head_seq = ctx.head_seq
    # Events up to the frozen head never change, so the CSV can be written after the snapshot
    # (while the pages are laid out) and still hold exactly these rows.
    ctx.attachments[CSV_NAME] = lambda: slice_csv(scope, head_seq)
    return {
        "scope": scope.label,
        "event_count": rows,
        "by_action": [[action, count] for action, count in by_action],
        "first_event": _event(first) if first else None,
        "recent_events": [_event(e) for e in recent],
        "attachment": {
            "name": CSV_NAME,
            "rows": rows,
            "columns": list(COLUMNS),
            "first_seq": first.seq if first else None,
            "last_seq": recent[0].seq if recent else None,
            "last_hash": recent[0].hash if recent else None,
        },
    }


def check_slice(data: bytes, facts: dict[str, Any]) -> tuple[bool, str]:
    """Does an attached slice hold the rows the evidence describes, each one re-hashing?"""
    try:
        rows = list(csv.DictReader(io.StringIO(data.decode("utf-8"))))
        for row in rows:
            canonical = event_canonical(
                seq=int(row["seq"]),
                ts=row["ts"],
                actor_id=row["actor_id"],
                actor_name=row["actor_name"],
                action=row["action"],
                subject_type=row["subject_type"],
                subject_id=row["subject_id"],
                deployment_id=row["deployment_id"],
                data=row["data"],
            )
            if event_hash(row["prev_hash"], canonical) != row["hash"]:
                return False, f"event {row['seq']} does not re-hash to its recorded hash"
    except (UnicodeDecodeError, KeyError, ValueError, csv.Error) as exc:
        return False, f"unreadable ({type(exc).__name__})"
    if len(rows) != facts.get("rows"):
        return False, f"{len(rows)} rows, the evidence says {facts.get('rows')}"
    last = rows[-1] if rows else None
    if last and (
        int(last["seq"]) != facts.get("last_seq") or last["hash"] != facts.get("last_hash")
    ):
        return False, "the last event is not the one the evidence names"
    return True, f"{len(rows)} events, each re-hashing to the chain"


def build_dossier(ctx: SnapshotContext) -> dict[str, Any]:
    if ctx.deployment is None:
        raise ValueError("a dossier needs a deployment")
    deployment_id = str(ctx.deployment.pk)
    return summarise(
        ctx, Scope("deployment_id", deployment_id, label=f"deployment {deployment_id}")
    )


def build_portfolio(ctx: SnapshotContext) -> dict[str, Any]:
    return summarise(
        ctx, Scope("action", "deployment.", prefix=True, label="the lifecycle of every deployment")
    )


SECTION = Section(
    key="ledger",
    title="Changes over the lifecycle: the audit trail",
    annex_iv=(6,),
    template="reports/sections/ledger.html",
    build=build_dossier,
)

PORTFOLIO_SECTION = Section(
    key="ledger",
    title="Lifecycle events of the portfolio",
    annex_iv=(6,),
    template="reports/sections/ledger.html",
    build=build_portfolio,
)
