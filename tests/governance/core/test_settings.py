"""Settings come from the environment; production refuses unsafe configurations."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
# Made once with secrets.token_urlsafe(48); a fixed value keeps the runs reproducible.
STRONG_KEY = "tq3V8pZxR0b7LwYc2NfK9sHjD4mE6uAgQ1iOyT5rBnXvCk_-aWlMe8Fd0GhJs7Pz"


def _signing_pair(folder: Path) -> dict[str, str]:
    """A key and self-signed certificate that the reports start-up check accepts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Example report signing")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return {"REPORT_SIGNING_KEY": str(key_path), "REPORT_SIGNING_CERT": str(cert_path)}


def _production(tmp_path: Path, **overrides: str) -> dict[str, str]:
    """A complete production configuration; tests take one piece away or spoil it."""
    env = {
        "DJANGO_ENV": "production",
        "DJANGO_SECRET_KEY": STRONG_KEY,
        "DJANGO_ALLOWED_HOSTS": "governance.example.com",
        "SITE_URL": "https://governance.example.com",
        "GOVERNANCE_VAR_DIR": str(tmp_path),
        **_signing_pair(tmp_path),
        **overrides,
    }
    return {name: value for name, value in env.items() if value is not None}


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
    result = _manage("check", "--deploy", "--fail-level", "WARNING", **_production(tmp_path))
    assert result.returncode == 0, result.stderr + result.stdout


@pytest.mark.parametrize(
    ("key", "reason"),
    [
        ("django-insecure-" + STRONG_KEY, "starts with 'django-insecure-'"),
        ("a" * 50, "different characters"),
        ("abcdefghijklmnopqrstuvwxyz" * 2, "repeats itself"),
        (STRONG_KEY[:40], "is 40 characters long"),
    ],
)
def test_production_refuses_a_weak_secret_key(tmp_path, key, reason) -> None:  # type: ignore[no-untyped-def]
    result = _manage("check", **_production(tmp_path, DJANGO_SECRET_KEY=key))
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr and reason in result.stderr


def test_production_refuses_to_start_without_a_report_signing_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    env = _production(tmp_path)
    del env["REPORT_SIGNING_KEY"]
    result = _manage("check", "--deploy", **env)
    assert result.returncode != 0
    assert "REPORT_SIGNING_KEY and REPORT_SIGNING_CERT must be set" in result.stderr


@pytest.mark.parametrize(
    ("site_url", "reason"),
    [
        ("http://127.0.0.1:8000", "points to this machine (127.0.0.1)"),
        ("http://localhost:8000", "points to this machine (localhost)"),
        ("https://[::1]/", "points to this machine (::1)"),
        ("", "must be an absolute http(s) URL"),
        ("governance.example.com", "must be an absolute http(s) URL"),
    ],
)
def test_production_refuses_a_site_url_readers_cannot_reach(tmp_path, site_url, reason) -> None:  # type: ignore[no-untyped-def]
    result = _manage("check", "--deploy", **_production(tmp_path, SITE_URL=site_url))
    assert result.returncode != 0
    assert "SITE_URL" in result.stderr and reason in result.stderr


def test_development_keeps_the_loopback_site_url_and_needs_no_signing_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = _manage(
        "shell",
        "-c",
        "from django.conf import settings; print(settings.SITE_URL)",
        GOVERNANCE_VAR_DIR=str(tmp_path),
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == "http://127.0.0.1:8000"


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


def test_site_url_follows_the_served_port_when_not_set(tmp_path) -> None:  # type: ignore[no-untyped-def]
    result = subprocess.run(
        [sys.executable, "-c", "from django.conf import settings; print(settings.SITE_URL)"],
        cwd=ROOT,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("SITE_URL", "WEB_PORT")},
            "DJANGO_SETTINGS_MODULE": "governance.settings",
            "WEB_PORT": "8101",
            "GOVERNANCE_VAR_DIR": str(tmp_path),
        },
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "http://127.0.0.1:8101"


def test_make_run_hands_its_port_to_the_site_url() -> None:
    # The worker renders PDFs, so the URL must reach every process honcho starts, not only
    # the web server's settings. `make -n` prints the commands without running them.
    env = {k: v for k, v in os.environ.items() if k != "SITE_URL"}
    result = subprocess.run(
        ["make", "-n", "run", "PORT=8101"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    honcho = next(line for line in result.stdout.splitlines() if "honcho" in line)
    assert "WEB_PORT=8101" in honcho
    assert 'SITE_URL="${SITE_URL:-http://127.0.0.1:8101}"' in honcho


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
