"""Entry points for child processes in concurrency tests.

Spawned children import this module before Django is set up, so it imports nothing of
Django or the project at module level.
"""

from __future__ import annotations

import os
from typing import Any


def setup_django(database_name: str) -> None:
    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{database_name}"
    import django

    django.setup()


def ledger_writer(database_name: str, count: int, barrier: Any) -> None:
    setup_django(database_name)
    from django.db import transaction

    from governance.ledger.services import ledger_append

    barrier.wait()
    for i in range(count):
        with transaction.atomic():
            ledger_append(actor=None, action="test.concurrent", data={"pid": os.getpid(), "i": i})
