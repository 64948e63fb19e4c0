from __future__ import annotations

from django.db import connection
from django.db.models import Model, QuerySet, Subquery

from governance.ledger.describe import describe_events
from governance.ledger.models import LedgerCheck, LedgerEvent, LedgerHead

# The gate reads this before every answer it may keep (approvals/gate_replay.py): one short
# statement, without building an ORM query each time.
_HEAD_SEQ_SQL = f"SELECT seq FROM {LedgerHead._meta.db_table} WHERE id = 1"  # noqa: S608


def head_seq() -> int:
    """The sequence number of the last appended event (0 while the ledger is empty).

    Every recorded change moves it, so it versions everything the ledger covers.
    """
    with connection.cursor() as cursor:
        cursor.execute(_HEAD_SEQ_SQL)
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def events_for_subject(obj: Model) -> QuerySet[LedgerEvent]:
    return LedgerEvent.objects.filter(
        subject_type=obj._meta.label_lower, subject_id=str(obj.pk)
    ).order_by("-seq")


def events_for_deployment(deployment_id: object) -> QuerySet[LedgerEvent]:
    """Every event that concerns a deployment, whatever record it is about."""
    return LedgerEvent.objects.filter(deployment_id=str(deployment_id)).order_by("-seq")


def latest_check() -> LedgerCheck | None:
    """The last check, annotated (one query) with the ledger's head (`head_seq`, from which
    `events_since` counts the events added after it) and when the last full check ran."""
    head = LedgerHead.objects.filter(pk=1).values("seq")[:1]
    last_full = (
        LedgerCheck.objects.filter(full=True).order_by("-checked_at").values("checked_at")[:1]
    )
    return (
        LedgerCheck.objects.annotate(head_seq=Subquery(head), last_full_at=Subquery(last_full))
        .order_by("-checked_at", "-id")
        .first()
    )


def recent_events(limit: int = 10) -> list[LedgerEvent]:
    """The latest events, each with its sentence (`.sentence`), names read in bulk."""
    return describe_events(LedgerEvent.objects.order_by("-seq")[:limit])
