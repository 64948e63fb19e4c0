"""On SQLite too, the database refuses UPDATE and DELETE of ledger events.

SQLite has no TRUNCATE (Django empties tables with DELETE) and no session settings: the
triggers ask a function each connection registers (governance/ledger/append_only.py), which
the product registers returning 0 and only the test suite switches on.

SQLite drops a table's triggers with the table: a later migration that rebuilds
ledger_ledgerevent on SQLite (Django's way of altering a column there) must create them
again (tests/governance/ledger/test_append_only.py fails if it does not).
"""

from django.db import migrations

FORWARD = [
    f"""
    CREATE TRIGGER ledger_event_no_{op.lower()}
    BEFORE {op} ON ledger_ledgerevent
    WHEN NOT governance_ledger_maintenance()
    BEGIN
        SELECT RAISE(ABORT, 'ledger events are append-only: {op} refused');
    END
    """
    for op in ("UPDATE", "DELETE")
]

BACKWARD = [
    "DROP TRIGGER IF EXISTS ledger_event_no_update",
    "DROP TRIGGER IF EXISTS ledger_event_no_delete",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for statement in BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("ledger", "0002_append_only_trigger")]

    operations = [migrations.RunPython(forward, backward)]
