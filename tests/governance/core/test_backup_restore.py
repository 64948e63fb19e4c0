"""The documented backup and restore (docs/operations.md) gives a copy that passes both checks."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.factories.bias import BiasAuditFactory

pytestmark = pytest.mark.postgres
ROOT = Path(__file__).resolve().parents[3]


def _pg(tool: str, *args: str) -> None:
    db = connection.settings_dict
    subprocess.run(
        [f"/usr/bin/{tool}", "-h", db["HOST"], "-p", str(db["PORT"]), "-U", db["USER"], *args],
        check=True,
        capture_output=True,
        env={**os.environ, "PGPASSWORD": db.get("PASSWORD") or ""},
    )


def _manage(command: str, database: str, media: Path, tmp_path: Path) -> Any:
    db = connection.settings_dict
    url = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{database}"
    if db.get("PASSWORD"):
        url = f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT']}/{database}"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DATABASE"))}
    env.update(DATABASE_URL=url, MEDIA_ROOT=str(media), GOVERNANCE_VAR_DIR=str(tmp_path / "var"))
    return subprocess.run(
        [sys.executable, "manage.py", command],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.django_db(transaction=True)
def test_a_restored_dump_and_media_copy_pass_the_ledger_and_evidence_checks(
    settings: Any, tmp_path: Path
) -> None:
    audits = [BiasAuditFactory(), BiasAuditFactory(finalize=True)]
    source = connection.settings_dict["NAME"]
    restored = f"{source}_restored"
    dump = tmp_path / "governance.dump"
    _pg("pg_dump", "--format=custom", "--no-owner", "--file", str(dump), source)
    media = tmp_path / "media-restored"
    shutil.copytree(settings.MEDIA_ROOT, media)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{restored}"')
        cursor.execute(f'CREATE DATABASE "{restored}"')
    try:
        _pg("pg_restore", "--no-owner", "--exit-on-error", "--dbname", restored, str(dump))
        ledger = _manage("verify_audit_log", restored, media, tmp_path)
        assert ledger.returncode == 0, ledger.stderr
        assert "ledger intact" in ledger.stdout
        evidence = _manage("verify_evidence", restored, media, tmp_path)
        assert evidence.returncode == 0, evidence.stderr
        assert "evidence intact: 2 files checked" in evidence.stdout
        # The copy is checked for real: a file lost from the media backup is named.
        (media / audits[0].data_file.name).unlink()
        broken = _manage("verify_evidence", restored, media, tmp_path)
        assert broken.returncode == 1 and str(audits[0].pk) in broken.stderr
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
