from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection
from django.db.backends.signals import connection_created
from django.test import RequestFactory
from rest_framework.test import APIClient

from governance.accounts.models import User
from governance.accounts.roles import Role
from governance.ledger.describe import register_event_sentences
from tests.factories import user_with_roles

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")  # Playwright's sync API runs a loop


# Kinds that only tests append (to grow a chain or a history); they read generically.
TEST_EVENT_KINDS = ("event", "sample", "note", "elsewhere", "concurrent", "history", "quoting")
register_event_sentences({f"test.{kind}": f"{{actor}}: test {kind}" for kind in TEST_EVENT_KINDS})


@pytest.fixture(autouse=True)
def _ledger_requires_known_kinds(settings: Any) -> None:
    # Every event the suite makes the code emit must have a sentence for the audit log.
    settings.LEDGER_REQUIRE_KNOWN_ACTIONS = True


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    # PostgreSQL-only tests run in CI's second round; on SQLite they are not applicable.
    if connection.vendor == "postgresql":
        return
    skip = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords:
            item.add_marker(skip)


def _allow_ledger_maintenance(sender: Any, connection: Any, **kwargs: Any) -> None:
    from governance.ledger.append_only import set_sqlite_maintenance

    if connection.vendor == "sqlite":
        set_sqlite_maintenance(connection, allowed=True)


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings: None) -> Iterator[None]:
    from django.conf import settings

    db = settings.DATABASES["default"]
    sqlite_file: Path | None = None
    if db["ENGINE"].endswith("postgresql"):
        # Lets Django empty the throw-away test database between tests; the append-only
        # trigger stays active for every other connection (see ledger migration 0002).
        options = db.setdefault("OPTIONS", {})
        options["options"] = "-c governance.ledger_maintenance=on"
    elif db["ENGINE"].endswith("sqlite3"):
        # A file, not memory, so a real Celery worker process (tests marked `worker`) can
        # share the test database. The process id keeps concurrent runs in this tree apart.
        sqlite_file = Path(settings.VAR_DIR) / f"test-db-{os.getpid()}.sqlite3"
        db.setdefault("TEST", {})["NAME"] = str(sqlite_file)
        # SQLite's counterpart of the session setting above: this process's connections may
        # empty the ledger tables (see governance/ledger/append_only.py); connections opened
        # elsewhere, a worker's included, still refuse.
        connection_created.connect(_allow_ledger_maintenance, dispatch_uid="test_ledger_maint")
    yield
    if sqlite_file is not None:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{sqlite_file}{suffix}").unlink(missing_ok=True)


@pytest.fixture(autouse=True)
def _isolated_media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path / "media"
    # Verification reads the checkpoint log; one left by another test or by development use
    # would not match this test's database.
    settings.LEDGER_CHECKPOINT_DIR = tmp_path / "ledger-checkpoints"


@pytest.fixture(autouse=True)
def _no_kept_gate_answers() -> Iterator[None]:
    # Kept gate answers live in the process; each test starts and ends without any.
    from governance.approvals import gate_replay

    gate_replay.forget_all()
    yield
    gate_replay.forget_all()


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    # Rate limits and login slow-downs count in the cache; each test starts from zero.
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def rf() -> RequestFactory:
    return RequestFactory()


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    return user_with_roles


@pytest.fixture
def requester(db: None) -> User:
    return user_with_roles(Role.REQUESTER, username="req")


@pytest.fixture
def reviewer(db: None) -> User:
    return user_with_roles(Role.REVIEWER, username="rev")


@pytest.fixture
def compliance_officer(db: None) -> User:
    return user_with_roles(Role.COMPLIANCE_OFFICER, username="comp")


@pytest.fixture
def auditor(db: None) -> User:
    return user_with_roles(Role.AUDITOR, username="aud")


@pytest.fixture
def admin_user(db: None) -> User:
    return user_with_roles(Role.ADMIN, username="adm", is_staff=True, is_superuser=True)


@pytest.fixture
def api() -> Callable[[User | None], APIClient]:
    def make(user: User | None = None) -> APIClient:
        client = APIClient()
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing() -> None:
    # PBKDF2 at production strength costs ~0.3 s a user; tests hash hundreds of passwords.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
