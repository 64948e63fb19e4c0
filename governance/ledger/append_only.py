"""SQLite's half of the append-only guarantee (PostgreSQL's is in migration 0002).

Triggers on the ledger tables raise unless `governance_ledger_maintenance()` returns 1. That
function does not live in the database file: each connection registers it, and the product
registers it returning 0, so the triggers refuse every UPDATE and DELETE it could issue. A
connection that never registered it (the sqlite3 shell, another program opening the file)
gets "no such function" instead: refused all the same.

It is the counterpart of PostgreSQL's session setting. A row in a maintenance table would
have been simpler, but it would live in the same file as the ledger: one written row would
switch the protection off for every connection at once, and stay off. A per-connection
function can only be switched on by code running in that process, which is what the test
suite does so that Django can empty its throw-away database between tests.
"""

from __future__ import annotations

from typing import Any

MAINTENANCE_FUNCTION = "governance_ledger_maintenance"


def set_sqlite_maintenance(connection: Any, allowed: bool) -> None:
    """Register the maintenance function on a Django SQLite connection (opening it if needed)."""
    connection.ensure_connection()
    value = 1 if allowed else 0
    connection.connection.create_function(MAINTENANCE_FUNCTION, 0, lambda: value)


def register_on_connect(sender: Any, connection: Any, **kwargs: Any) -> None:
    # `connection_created` receiver: every SQLite connection the product opens refuses changes.
    if connection.vendor == "sqlite":
        connection.connection.create_function(MAINTENANCE_FUNCTION, 0, lambda: 0)
