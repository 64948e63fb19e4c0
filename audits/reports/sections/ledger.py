"""The ledger's part of a report: a fixed-size summary in the PDF, the complete slice attached.

The slice is every event up to the ledger head at snapshot time that concerns the subject
(a deployment's events for a dossier, every deployment's lifecycle for the portfolio). It is
attached as CSV with every column the chain hash covers, so each row can be re-hashed from
its `prev_hash`; the summary printed stays the same size whatever the number of events,
which keeps rendering time flat as the ledger grows.
"""

from __future__ import annotations

import csv
import hashlib
import io
from typing import Any

from django.db.models import Count, Q, QuerySet

from audits.reports.sections import Section, SnapshotContext
from governance.core.canonical import format_timestamp
from governance.ledger.models import LedgerEvent

CSV_NAME = "ledger-slice.csv"
# Exactly the fields the chain hash covers, plus the link and the hash. Values are written
# unaltered (no spreadsheet-formula escaping): the file is evidence, re-hashable byte for byte.
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
RECENT = 15


def _event(event: LedgerEvent) -> dict[str, Any]:
    return {
        "seq": event.seq,
        "ts": format_timestamp(event.ts),
        "actor_name": event.actor_name,
        "action": event.action,
        "subject_type": event.subject_type,
    }


def _slice_csv(events: QuerySet[LedgerEvent]) -> tuple[bytes, int]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    rows = 0
    for seq, ts, *rest in events.order_by("seq").values_list(*COLUMNS).iterator(chunk_size=5000):
        writer.writerow([seq, format_timestamp(ts), *rest])
        rows += 1
    return buffer.getvalue().encode("utf-8"), rows


def summarise(ctx: SnapshotContext, scope: Q, scope_label: str) -> dict[str, Any]:
    events = LedgerEvent.objects.filter(scope, seq__lte=ctx.head_seq)
    by_action = events.order_by("action").values_list("action").annotate(n=Count("seq"))
    first = events.order_by("seq").first()
    recent = list(events.order_by("-seq")[:RECENT])
    data, rows = _slice_csv(events)
    ctx.attachments[CSV_NAME] = data
    return {
        "scope": scope_label,
        "event_count": rows,
        "by_action": [[action, count] for action, count in by_action],
        "first_event": _event(first) if first else None,
        "recent_events": [_event(e) for e in recent],
        "attachment": {
            "name": CSV_NAME,
            "sha256": hashlib.sha256(data).hexdigest(),
            "bytes": len(data),
            "rows": rows,
            "columns": list(COLUMNS),
        },
    }


def build_dossier(ctx: SnapshotContext) -> dict[str, Any]:
    if ctx.deployment is None:
        raise ValueError("a dossier needs a deployment")
    return summarise(
        ctx,
        Q(deployment_id=str(ctx.deployment.pk)),
        f"deployment {ctx.deployment.pk}",
    )


def build_portfolio(ctx: SnapshotContext) -> dict[str, Any]:
    return summarise(ctx, Q(action__startswith="deployment."), "the lifecycle of every deployment")


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
