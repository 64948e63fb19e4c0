"""Replaying a kept gate answer: one statement per pipeline call while nothing changes.

A pipeline asks the gate the same question with the same token many times a minute. After
a full answer (token authentication, the permission checks, the evaluation, the decision
record), the worker keeps what it sent, keyed by the token's digest and the question,
together with the ledger head's sequence number the answer was computed at. The next
identical question is answered by one statement that records the decision only if

- the token is still unrevoked, unexpired and holds a scope the gate accepts (`gate:read`
  or `read`), and its user is still active (read from the tables, not from memory, so a
  revocation or an expiry takes effect on the very next call), and
- the ledger head has not moved: every change to roles, users, tokens, deployments,
  approvals and evidence appends to the ledger, so an unmoved head means the permission
  decision and the answer made at that head both still hold.

If the statement records nothing, the kept answer is dropped and the full path answers, so
a replay can never say anything the full path would not say at that moment. An answer is
kept only if the ledger head read before authentication is the one the answer was computed
at, so nothing recorded while the caller was being checked can hide behind it. Answers are
also kept no longer than the full path's own reuse allows (an approval's expiry, a minute).

A replayed decision commits like any other record, waiting for the disk. With
`GATE_DECISIONS_ASYNC_COMMIT=true` (an operator's choice, off by default) it commits
asynchronously on PostgreSQL (`synchronous_commit` off for that one statement's
transaction): the commit no longer waits for the disk flush, which is what a synchronous
commit per call costs most. A crash of the database server can then lose the last fraction
of a second of replayed decisions (PostgreSQL flushes within three `wal_writer_delay`, 0.6 s
by default), and with synchronous replication such a commit does not wait for the standby
either, so a failover can lose the same; it never loses or reorders anything else
(approvals, sign-offs and the ledger always wait), and the database stays consistent.
"""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, connection
from django.db.models import Field
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from rest_framework import HTTP_HEADER_ENCODING

from governance.accounts.models import ApiToken, User
from governance.accounts.scopes import GATE_SCOPES
from governance.approvals.gate import GateAnswer
from governance.approvals.models import GateDecision
from governance.ledger.models import LedgerHead

# Kept answers per worker process: one per (token, question) asked within the last minute.
KEPT_ANSWERS_MAX = 10_000

Question = tuple[str, ...]


@dataclass(frozen=True)
class KeptAnswer:
    head: int
    until: float
    user_id: Any  # prepared for the database
    body: bytes
    headers: tuple[tuple[str, str], ...]
    values: tuple[Any, ...]  # deployment, allowed, reasons, fingerprint, approval (prepared)


_kept: OrderedDict[Question, KeptAnswer] = OrderedDict()
_keeping = threading.Lock()  # every change to _kept; lookups need none

# What a replay may answer: the full path renders JSON only, so any other Accept header is
# left to its content negotiation (406).
_JSON_ACCEPTED = {"", "*/*", "application/json"}


def question_for(request: HttpRequest, asked: tuple[str, ...]) -> Question | None:
    """The token's digest and what was asked, or None if this call cannot be replayed.

    The token is read from the header as DRF's TokenAuthentication reads it (bytes, split on
    ASCII whitespace), so a header the full path would refuse is never replayed.
    """
    if request.method != "GET" or request.META.get("HTTP_ACCEPT", "") not in _JSON_ACCEPTED:
        return None
    header = request.META.get("HTTP_AUTHORIZATION", b"")
    if isinstance(header, str):
        header = header.encode(HTTP_HEADER_ENCODING)
    parts = header.split()
    if len(parts) != 2 or parts[0].lower() != b"token":
        return None
    try:
        key = parts[1].decode()
    except UnicodeError:
        return None
    return (hashlib.sha256(key.encode()).hexdigest(), *asked)


def keep(question: Question, answer: GateAnswer, *, request: Any, response: HttpResponse) -> None:
    """Keep a full-path answer given to a token-authenticated caller for the next call."""
    token = getattr(request, "auth", None)
    if not isinstance(token, ApiToken) or token.key_hash != question[0] or not answer.head:
        return
    decision = GateDecision._meta
    prepared = (
        decision.get_field("deployment").get_db_prep_save(answer.payload["deployment"], connection),
        decision.get_field("allowed").get_db_prep_save(answer.allowed, connection),
        decision.get_field("reasons").get_db_prep_save(answer.reasons, connection),
        decision.get_field("fingerprint").get_db_prep_save(answer.fingerprint, connection),
        decision.get_field("approval").get_db_prep_save(answer.approval_id, connection),
    )
    kept = KeptAnswer(
        head=answer.head,
        until=answer.until,
        user_id=_field(ApiToken, "user").get_db_prep_save(token.user_id, connection),
        body=response.content,
        headers=tuple((name, response[name]) for name in ("Vary", "Allow") if name in response),
        values=prepared,
    )
    with _keeping:
        if len(_kept) >= KEPT_ANSWERS_MAX:
            now = time.time()
            for expired in [q for q, k in _kept.items() if k.until <= now]:
                del _kept[expired]
        while len(_kept) >= KEPT_ANSWERS_MAX:
            _kept.popitem(last=False)  # the oldest kept answer
        _kept[question] = kept


def replay(question: Question) -> HttpResponse | None:
    """The kept answer, recorded as a new decision, or None if the full path must answer."""
    kept = _kept.get(question)
    if kept is None:
        return None
    if kept.until <= time.time():
        _forget(question)
        return None
    deployment, allowed, reasons, fingerprint, approval = kept.values
    asked_at = connection.ops.adapt_datetimefield_value(timezone.now())
    guard = guard_values(question[0], kept.user_id, asked_at, kept.head)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                _replay_sql(),
                [deployment, asked_at, allowed, reasons, fingerprint, approval, *guard],
            )
            recorded = cursor.rowcount == 1
    except IntegrityError:  # the deployment was deleted since: the full path says 404
        recorded = False
    if not recorded:
        _forget(question)
        return None
    response = HttpResponse(kept.body, content_type="application/json")
    for name, value in kept.headers:
        response[name] = value
    return response


def guard_values(digest: str, user_id: Any, asked_at: Any, head: int) -> list[Any]:
    """The replay statement's guard parameters, in the order `_replay_sql` names them."""
    scope_patterns = [f"% {scope} %" for scope in GATE_SCOPES]
    return [digest, user_id, asked_at, *scope_patterns, head]


def _forget(question: Question) -> None:
    with _keeping:
        _kept.pop(question, None)


def forget_all() -> None:
    """Drop every kept answer (tests; a worker's answers otherwise expire within a minute)."""
    with _keeping:
        _kept.clear()


def _field(model: Any, name: str) -> Field[Any, Any]:
    field: Field[Any, Any] = model._meta.get_field(name)
    return field


def _column(model: Any, name: str) -> str:
    return str(_field(model, name).column)


def _replay_sql() -> str:
    postgres = connection.vendor == "postgresql"
    # Relaxing the commit of an enclosing transaction would relax more than the decision.
    relaxed = (
        postgres
        and settings.GATE_DECISIONS_ASYNC_COMMIT
        and connection.get_autocommit()
        and not connection.in_atomic_block
    )
    return _build_replay_sql(postgres=postgres, relaxed=relaxed)


@functools.cache
def _build_replay_sql(*, postgres: bool, relaxed: bool) -> str:
    decision = GateDecision._meta.db_table
    columns = ", ".join(
        _column(GateDecision, name)
        for name in (
            "deployment",
            "asked_by",
            "asked_at",
            "allowed",
            "reasons",
            "fingerprint",
            "approval",
        )
    )
    # Parameters in a SELECT list carry no column type on PostgreSQL, so they are cast there.
    if postgres:
        typed = [
            f"%s::{_field(GateDecision, name).db_type(connection)}"
            for name in ("deployment", "asked_at", "allowed", "reasons", "fingerprint", "approval")
        ]
    else:
        typed = ["%s"] * 6
    deployment, asked_at, allowed, reasons, fingerprint, approval = typed
    token, user, head = ApiToken._meta.db_table, User._meta.db_table, LedgerHead._meta.db_table
    # The token still unexpired and holding a scope the gate accepts (scopes are stored
    # space-separated, so each is matched with a space on both sides).
    expires = _column(ApiToken, "expires_at")
    scoped = " OR ".join(
        [f"(' ' || t.{_column(ApiToken, 'scopes')} || ' ') LIKE %s"] * len(GATE_SCOPES)
    )
    relax = ""
    if relaxed:
        relax = "WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true)) "
    return f"""
        {relax}INSERT INTO {decision} ({columns})
        SELECT {deployment}, t.{_column(ApiToken, "user")}, {asked_at}, {allowed}, {reasons},
               {fingerprint}, {approval}
        FROM {token} t JOIN {user} u ON u.{_column(User, "id")} = t.{_column(ApiToken, "user")}
             {", relaxed" if relaxed else ""}
        WHERE t.{_column(ApiToken, "key_hash")} = %s AND t.{_column(ApiToken, "user")} = %s
          AND t.{_column(ApiToken, "revoked_at")} IS NULL AND u.{_column(User, "is_active")}
          AND (t.{expires} IS NULL OR t.{expires} > %s)
          AND ({scoped})
          AND (SELECT h.{_column(LedgerHead, "seq")} FROM {head} h
               WHERE h.{_column(LedgerHead, "id")} = 1) = %s
    """  # noqa: S608 - names from the models' metadata, values are parameters
