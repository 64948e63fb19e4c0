"""The only way anything is written to the ledger."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from governance.core.canonical import canonical_json, format_timestamp
from governance.ledger.chain import event_canonical, event_hash
from governance.ledger.describe import UnknownEventKind, is_known_kind
from governance.ledger.models import GENESIS_HASH, LedgerEvent, LedgerHead

SYSTEM_ACTOR = "system"


def _locked_head() -> LedgerHead:
    head = LedgerHead.objects.select_for_update().filter(pk=1).first()
    if head is None:
        # First append ever (or after a test flush): create the head without racing another
        # creator, then lock it like any other append would.
        LedgerHead.objects.bulk_create(
            [LedgerHead(pk=1, seq=0, hash=GENESIS_HASH)], ignore_conflicts=True
        )
        head = LedgerHead.objects.select_for_update().get(pk=1)
    return head


def ledger_write_lock() -> None:
    """Take the ledger head lock now, at the start of a write transaction.

    Every write transaction appends to the ledger, so writers are serialised on the head
    anyway. Services whose transaction reaches into other rooms (through signals) take it
    first: then no writer can hold a domain row while waiting for the head, and two writers
    can never lock the same rows in opposite orders (no deadlocks). Re-entrant within a
    transaction.
    """
    _locked_head()


def subject_of(obj: models.Model | None) -> tuple[str, str]:
    if obj is None:
        return "", ""
    return obj._meta.label_lower, str(obj.pk)


def ledger_append(
    *,
    actor: Any,
    action: str,
    subject: models.Model | None = None,
    data: Mapping[str, Any] | None = None,
    deployment_id: Any = None,
    actor_name: str | None = None,
) -> LedgerEvent:
    """Append one event to the chain, inside the caller's transaction.

    Call it last in a service, after the domain rows are locked and changed: every writer
    then takes locks in the same order (domain rows, then the ledger head), so appends queue
    behind each other and never deadlock with domain locks. `actor` is a user or None for
    the system (beat jobs, migrations).
    """
    if settings.LEDGER_REQUIRE_KNOWN_ACTIONS and not is_known_kind(action):
        # Every kind needs a sentence for the audit log (a room's events.py registers it).
        raise UnknownEventKind(f"no sentence is registered for the event kind {action!r}")
    subject_type, subject_id = subject_of(subject)
    if actor is not None and getattr(actor, "is_authenticated", False):
        actor_id, name = str(actor.pk), actor_name or actor.get_username()
    else:
        actor_id, name = "", actor_name or SYSTEM_ACTOR
    data_json = canonical_json(dict(data or {}))
    with transaction.atomic():
        head = _locked_head()
        seq = head.seq + 1
        ts = timezone.now()
        canonical = event_canonical(
            seq=seq,
            ts=format_timestamp(ts),
            actor_id=actor_id,
            actor_name=name,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            deployment_id=str(deployment_id or ""),
            data=data_json,
        )
        digest = event_hash(head.hash, canonical)
        event = LedgerEvent.objects.create(
            seq=seq,
            ts=ts,
            actor_id=actor_id,
            actor_name=name,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            deployment_id=str(deployment_id or ""),
            data=data_json,
            prev_hash=head.hash,
            hash=digest,
        )
        LedgerHead.objects.filter(pk=1).update(seq=seq, hash=digest)
    return event


def changes(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The before/after pairs of fields that differ, for update events."""
    return {
        key: {"before": before.get(key), "after": after.get(key)}
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def ledger_check_record(*, full: bool = True) -> Any:
    """Verify the chain and keep the outcome, so the status page shows when it was last intact.

    Full: every event from genesis and every signed checkpoint. Incremental (`full=False`,
    the hourly job): only the events after the last intact check, starting from the hash it
    verified; with no intact check to start from it runs in full.

    The check is an operational record rather than a ledger event: writing to the chain
    every hour to say the chain is fine would only add noise to the evidence.
    """
    from governance.ledger.models import LedgerCheck
    from governance.ledger.verify import verify_chain
    from governance.ledger.verify_checkpoints import verify_ledger

    last = LedgerCheck.objects.order_by("-checked_at", "-id").first()
    if full or last is None or not last.ok or not last.event_count:
        result, full, start = verify_ledger(), True, 1
    else:
        start = last.event_count + 1
        result = verify_chain(after=(last.event_count, last.head_hash))
    return LedgerCheck.objects.create(
        ok=result.ok,
        event_count=result.event_count,
        head_hash=result.head_hash,
        first_bad_seq=result.first_bad_seq,
        message=result.message,
        seconds=result.seconds,
        full=full,
        verified_from_seq=start,
    )
