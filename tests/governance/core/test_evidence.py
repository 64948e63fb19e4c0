"""`verify_evidence` re-hashes every registered evidence file against its record."""

from __future__ import annotations

import io
import logging
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command

from governance.core.evidence import registered_evidence
from governance.core.tasks import verify_evidence_task
from tests.factories.bias import BiasAuditFactory

pytestmark = pytest.mark.django_db


def _run() -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("verify_evidence", stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_bias_data_reports_and_exports_are_registered() -> None:
    labels = {source.label for source in registered_evidence()}
    assert {"bias.BiasAudit.data_file", "reports.Report.file", "reports.Export.file"} <= labels


def test_intact_files_pass() -> None:
    BiasAuditFactory()
    BiasAuditFactory()
    out, _ = _run()
    assert "evidence intact: 2 files checked" in out


def test_an_altered_file_is_named_and_exits_1() -> None:
    intact, altered = BiasAuditFactory(), BiasAuditFactory()
    path = Path(altered.data_file.path)
    path.write_bytes(path.read_bytes() + b"1,extra,row\n")
    err = io.StringIO()
    with pytest.raises(CommandError, match="1 of 2 files missing or altered") as raised:
        call_command("verify_evidence", stderr=err)
    assert raised.value.returncode == 1
    assert f"ALTERED bias.BiasAudit.data_file {altered.pk}" in err.getvalue()
    assert f"recorded SHA-256 {altered.file_sha256}" in err.getvalue()
    assert str(intact.pk) not in err.getvalue()


def test_a_missing_file_is_named() -> None:
    audit = BiasAuditFactory()
    Path(audit.data_file.path).unlink()
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("verify_evidence", stderr=err)
    assert f"MISSING bias.BiasAudit.data_file {audit.pk} ({audit.data_file.name})" in err.getvalue()


def test_the_weekly_task_logs_each_problem(caplog: Any) -> None:
    audit = BiasAuditFactory()
    Path(audit.data_file.path).unlink()
    with caplog.at_level(logging.INFO, logger="governance.core.tasks"):
        verify_evidence_task()
        verify_evidence_task()  # reads only: a second run reports the same, changes nothing
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 2 and all(str(audit.pk) in message for message in errors)


def test_the_task_is_scheduled_weekly(settings: Any) -> None:
    entry = settings.CELERY_BEAT_SCHEDULE["evidence-verify-weekly"]
    assert entry == {"task": "core.verify_evidence", "schedule": 7 * 86400.0}
