"""The hourly check verifies only the events since the last intact check; a full check (the
command, the button, the daily job) still re-reads everything and the signed checkpoints."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from governance.ledger.models import LedgerCheck, LedgerEvent
from governance.ledger.services import ledger_append, ledger_check_record
from governance.ledger.tasks import verify_ledger_task
from tests.factories import user_with_roles

pytestmark = pytest.mark.django_db


def _append(n: int) -> list[LedgerEvent]:
    return [ledger_append(actor=None, action="test.event", data={"n": i}) for i in range(n)]


def _raw(sql: str, params: list[object]) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL governance.ledger_maintenance = 'on'")
        cursor.execute(sql, params)


def test_an_incremental_check_starts_after_the_last_intact_check() -> None:
    _append(5)
    first = ledger_check_record()
    assert first.ok and first.full and first.event_count == 5
    events = _append(3)
    check = ledger_check_record(full=False)
    assert check.ok and not check.full
    assert check.verified_from_seq == 6 and check.event_count == 8
    assert check.head_hash == events[-1].hash


def test_an_incremental_check_finds_an_event_altered_after_the_last_check() -> None:
    _append(5)
    ledger_check_record()
    _append(3)
    _raw("UPDATE ledger_ledgerevent SET data = %s WHERE seq = 7", ['{"n":99}'])
    check = ledger_check_record(full=False)
    assert not check.ok and check.first_bad_seq == 7 and "altered" in check.message


def test_an_incremental_check_notices_its_starting_event_was_replaced() -> None:
    _append(5)
    ledger_check_record()
    _append(2)
    _raw("UPDATE ledger_ledgerevent SET hash = %s WHERE seq = 5", ["f" * 64])
    check = ledger_check_record(full=False)
    assert (
        not check.ok
        and check.first_bad_seq == 5
        and "since it was last verified" in (check.message)
    )


def test_an_edit_behind_the_starting_point_is_left_to_the_full_check() -> None:
    _append(5)
    ledger_check_record()
    _raw("UPDATE ledger_ledgerevent SET data = %s WHERE seq = 2", ['{"n":99}'])
    assert ledger_check_record(full=False).ok  # hashes unchanged: only a full re-read sees it
    full = ledger_check_record(full=True)
    assert not full.ok and full.first_bad_seq == 2


def test_without_an_intact_check_to_start_from_the_hourly_check_runs_in_full() -> None:
    _append(3)
    check = ledger_check_record(full=False)
    assert check.ok and check.full and check.verified_from_seq == 1
    _raw("UPDATE ledger_ledgerevent SET data = %s WHERE seq = 2", ['{"n":99}'])
    assert not ledger_check_record(full=True).ok
    assert ledger_check_record(full=False).full  # the last check was broken: start again


def test_the_hourly_job_is_incremental_and_a_daily_job_is_full() -> None:
    _append(2)
    ledger_check_record()
    _append(1)
    verify_ledger_task()
    latest = LedgerCheck.objects.order_by("-id").first()
    assert latest is not None and not latest.full and latest.verified_from_seq == 3
    schedule = settings.CELERY_BEAT_SCHEDULE
    assert schedule["ledger-verify-hourly"].get("kwargs", {}).get("full", False) is False
    assert schedule["ledger-verify-full-daily"]["kwargs"] == {"full": True}


def test_the_verify_button_queues_a_full_check(client: Any, monkeypatch: Any) -> None:
    queued: list[dict[str, Any]] = []
    monkeypatch.setattr(verify_ledger_task, "delay", lambda **kw: queued.append(kw))
    client.force_login(user_with_roles("compliance_officer"))
    client.post(reverse("dashboard:ledger_verify_now"))
    assert queued == [{"full": True}]


def test_the_integrity_card_counts_the_events_added_since_the_check(client: Any) -> None:
    _append(4)
    ledger_check_record()
    client.force_login(user_with_roles("requester"))
    page = client.get(reverse("dashboard:status")).content.decode()
    assert "Intact: 4 events verified" in page and "No event added since." in page
    _append(3)
    page = client.get(reverse("dashboard:status")).content.decode()
    assert "3 events added since, not yet verified" in page
    assert "Last full check (every event and the signed checkpoints): 0" in page
