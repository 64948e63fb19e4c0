"""Settings come from the environment; production refuses unsafe configurations."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
STRONG_KEY = "k3y-" + "abcdefghij0123456789ABCDEFGHIJ" * 2


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        check=False,
    )


def test_production_settings_pass_the_deployment_checklist_without_warnings(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_ENV="production",
        DJANGO_SECRET_KEY=STRONG_KEY,
        DJANGO_ALLOWED_HOSTS="governance.example.com",
        GOVERNANCE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr + result.stdout


def test_production_refuses_to_start_without_a_secret_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _manage(
        "check",
        DJANGO_ENV="production",
        DJANGO_ALLOWED_HOSTS="x.example.com",
        GOVERNANCE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY must be set" in result.stderr


def test_production_refuses_debug(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _manage(
        "check",
        DJANGO_ENV="production",
        DJANGO_DEBUG="true",
        DJANGO_SECRET_KEY=STRONG_KEY,
        DJANGO_ALLOWED_HOSTS="x.example.com",
        GOVERNANCE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode != 0 and "DJANGO_DEBUG" in result.stderr


def test_a_malformed_variable_is_named_at_start_up(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _manage("check", LOGIN_FAILURE_LIMIT="many", GOVERNANCE_VAR_DIR=str(tmp_path))
    assert result.returncode != 0 and "LOGIN_FAILURE_LIMIT must be an integer" in result.stderr


def _database_options(tmp_path: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.DATABASES['default'].get('OPTIONS'))",
        GOVERNANCE_VAR_DIR=str(tmp_path),
        **env,
    )


def test_postgresql_prepares_statements_unless_told_not_to(tmp_path) -> None:  # type: ignore[no-untyped-def]
    url = "postgres://governance@db.example.com:5432/governance"
    prepared = _database_options(tmp_path, DATABASE_URL=url)
    assert "'server_side_binding': True" in prepared.stdout, prepared.stderr
    assert "'prepare_threshold': 5" in prepared.stdout
    plain = _database_options(tmp_path, DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="false")
    assert plain.returncode == 0 and "server_side_binding" not in plain.stdout, plain.stderr
    embedded = _database_options(tmp_path)
    assert "server_side_binding" not in embedded.stdout, embedded.stderr
    wrong = _database_options(tmp_path, DATABASE_URL=url, DATABASE_PREPARED_STATEMENTS="maybe")
    assert wrong.returncode != 0 and "DATABASE_PREPARED_STATEMENTS" in wrong.stderr


def test_gate_decisions_wait_for_the_disk_unless_asked_not_to(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # A decision record is evidence of what was allowed: durable unless the operator opts out.
    ask = "from django.conf import settings; print(settings.GATE_DECISIONS_ASYNC_COMMIT)"
    clean = {k: v for k, v in os.environ.items() if k != "GATE_DECISIONS_ASYNC_COMMIT"}
    for env, expected in [({}, "False"), ({"GATE_DECISIONS_ASYNC_COMMIT": "true"}, "True")]:
        result = subprocess.run(
            [sys.executable, "manage.py", "shell", "-c", ask],
            cwd=ROOT,
            env={**clean, "GOVERNANCE_VAR_DIR": str(tmp_path), **env},
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.stdout.strip().splitlines()[-1] == expected, result.stderr
