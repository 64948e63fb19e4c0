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
