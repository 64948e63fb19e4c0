"""The database itself refuses UPDATE and DELETE of ledger events, on either backend."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.utils import timezone

from governance.ledger.append_only import set_sqlite_maintenance
from governance.ledger.services import ledger_append


@contextmanager
def production_connection() -> Iterator[None]:
    """The suite's connection may empty ledger tables between tests; a production one may not."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL governance.ledger_maintenance = 'off'")
            yield
            return
        set_sqlite_maintenance(connection, allowed=False)
        try:
            yield
        finally:
            set_sqlite_maintenance(connection, allowed=True)


def _execute(sql: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql)


@pytest.mark.django_db
def test_database_refuses_a_raw_update_of_a_ledger_event() -> None:
    ledger_append(actor=None, action="test.event", data={})
    with pytest.raises(DatabaseError, match="append-only"), production_connection():
        _execute("UPDATE ledger_ledgerevent SET action = 'forged' WHERE seq = 1")


@pytest.mark.django_db
def test_database_refuses_a_raw_delete_of_ledger_events() -> None:
    ledger_append(actor=None, action="test.event", data={})
    with pytest.raises(DatabaseError, match="append-only"), production_connection():
        _execute("DELETE FROM ledger_ledgerevent")


@pytest.mark.django_db
def test_appending_still_works_on_a_production_connection() -> None:
    with production_connection():
        event = ledger_append(actor=None, action="test.event", data={})
    assert event.seq == 1


@pytest.mark.django_db(transaction=True)
def test_the_suite_can_still_empty_the_ledger_between_tests() -> None:
    # A transactional test: Django empties every table with DELETE when it ends.
    ledger_append(actor=None, action="test.event", data={"n": 1})


@pytest.mark.django_db(transaction=True)
def test_the_ledger_was_emptied_after_the_previous_test() -> None:
    assert ledger_append(actor=None, action="test.event", data={}).seq == 1


@pytest.mark.django_db
def test_database_refuses_to_change_or_delete_a_checkpoint() -> None:
    from governance.ledger.models import LedgerCheckpoint

    LedgerCheckpoint.objects.create(
        seq=1,
        head_hash="a" * 64,
        ts=timezone.now(),
        algorithm="ecdsa-sha256",
        signature="",
        certificate_sha256="b" * 64,
        certificate="",
    )
    for statement in (
        "UPDATE ledger_ledgercheckpoint SET head_hash = 'forged'",
        "DELETE FROM ledger_ledgercheckpoint",
    ):
        with (
            pytest.raises(DatabaseError, match="checkpoints are append-only"),
            production_connection(),
        ):
            _execute(statement)
