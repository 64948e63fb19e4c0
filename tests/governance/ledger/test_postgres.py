"""PostgreSQL-only guarantees: the database refuses changes, and concurrent appends never fork."""

from __future__ import annotations

import multiprocessing

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError

from governance.ledger.services import ledger_append
from governance.ledger.verify import verify_chain
from tests.helpers.processes import ledger_writer

pytestmark = pytest.mark.postgres


def _as_production_connection() -> None:
    # The suite's connections may empty tables between tests; production ones may not.
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL governance.ledger_maintenance = 'off'")


@pytest.mark.django_db
def test_postgres_rejects_update_of_a_ledger_row() -> None:
    ledger_append(actor=None, action="test.event", data={})
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        _as_production_connection()
        with connection.cursor() as cursor:
            cursor.execute("UPDATE ledger_ledgerevent SET action = 'forged' WHERE seq = 1")


@pytest.mark.django_db
def test_postgres_rejects_delete_and_truncate_of_ledger_rows() -> None:
    ledger_append(actor=None, action="test.event", data={})
    for statement in ("DELETE FROM ledger_ledgerevent", "TRUNCATE ledger_ledgerevent CASCADE"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            _as_production_connection()
            with connection.cursor() as cursor:
                cursor.execute(statement)


@pytest.mark.django_db(transaction=True)
def test_eight_processes_appending_concurrently_leave_one_valid_chain() -> None:
    writers, per_writer = 8, 500
    name = connection.settings_dict["NAME"]
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(writers)
    processes = [
        context.Process(target=ledger_writer, args=(name, per_writer, barrier))
        for _ in range(writers)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=300)
    assert all(p.exitcode == 0 for p in processes), [p.exitcode for p in processes]
    result = verify_chain()
    assert result.ok, result.message
    assert result.event_count == writers * per_writer
