"""Tokens made before scopes existed keep what they could do after the upgrade."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor


@pytest.mark.django_db(transaction=True)
def test_tokens_from_before_scopes_get_read_write_and_gate_read_and_no_expiry() -> None:
    executor = MigrationExecutor(connection)
    before = [("accounts", "0001_initial")]
    latest = executor.loader.graph.leaf_nodes()
    try:
        executor.migrate(before)
        old = executor.loader.project_state(before).apps
        user = old.get_model("accounts", "User").objects.create(username="ci")
        old.get_model("accounts", "ApiToken").objects.create(
            user=user, prefix="abcdefgh", key_hash="0" * 64
        )
        executor = MigrationExecutor(connection)
        executor.loader.build_graph()
        executor.migrate(latest)
        new = executor.loader.project_state(latest).apps
        token = new.get_model("accounts", "ApiToken").objects.get(prefix="abcdefgh")
        assert token.scopes == "gate:read read write" and token.expires_at is None
    finally:
        MigrationExecutor(connection).migrate(latest)
