from __future__ import annotations

import random
import string

import pytest
from django.core.management import call_command
from django.db import connection

from governance.core.canonical import canonical_json
from governance.core.models import ImmutableRecordError
from governance.ledger.chain import event_canonical
from governance.ledger.models import GENESIS_HASH, LedgerEvent
from governance.ledger.services import ledger_append
from governance.ledger.verify import verify_chain


def _append(n: int, actor=None) -> list[LedgerEvent]:  # type: ignore[no-untyped-def]
    return [
        ledger_append(actor=actor, action="test.event", data={"n": i, "text": 'é"\\\n'})
        for i in range(n)
    ]


def test_fast_event_encoding_equals_canonical_json_of_the_event() -> None:
    rng = random.Random(7)
    alphabet = string.printable + "éß€😀\u2028\x00"
    for _ in range(300):
        fields = {
            "seq": rng.randint(1, 10**9),
            "ts": "2026-11-28T16:00:05.123456Z",
            "actor_id": "".join(rng.choices(alphabet, k=10)),
            "actor_name": "".join(rng.choices(alphabet, k=12)),
            "action": "".join(rng.choices(alphabet, k=8)),
            "subject_type": "inventory.deployment",
            "subject_id": "".join(rng.choices(alphabet, k=36)),
            "deployment_id": "",
        }
        data = {"k": "".join(rng.choices(alphabet, k=20)), "n": rng.random(), "l": [1, None]}
        expected = canonical_json({**fields, "data": data})
        assert event_canonical(**fields, data=canonical_json(data)) == expected


@pytest.mark.django_db
def test_events_form_a_chain_from_genesis(requester) -> None:  # type: ignore[no-untyped-def]
    events = _append(3, actor=requester)
    assert [e.seq for e in events] == [1, 2, 3]
    assert events[0].prev_hash == GENESIS_HASH
    assert events[1].prev_hash == events[0].hash
    assert events[2].actor_name == requester.username
    result = verify_chain()
    assert result.ok and result.event_count == 3 and result.head_hash == events[-1].hash


@pytest.mark.django_db
def test_orm_refuses_to_update_or_delete_events() -> None:
    event = _append(1)[0]
    with pytest.raises(ImmutableRecordError):
        event.save()
    with pytest.raises(ImmutableRecordError):
        event.delete()
    with pytest.raises(ImmutableRecordError):
        LedgerEvent.objects.filter(seq=1).update(action="x")
    with pytest.raises(ImmutableRecordError):
        LedgerEvent.objects.all().delete()


def _raw(sql: str, params: list[object] | None = None) -> None:
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL governance.ledger_maintenance = 'on'")
        cursor.execute(sql, params or [])


def _verify_exit(capsys) -> tuple[int, str]:  # type: ignore[no-untyped-def]
    try:
        call_command("verify_audit_log")
    except SystemExit as exc:
        return int(exc.code or 0), capsys.readouterr().err
    except Exception as exc:  # CommandError raised when called in-process
        return getattr(exc, "returncode", 1), str(exc)
    return 0, capsys.readouterr().out


@pytest.mark.django_db
def test_verify_reports_intact_chain_with_count_and_head(capsys) -> None:  # type: ignore[no-untyped-def]
    events = _append(5)
    code, output = _verify_exit(capsys)
    assert code == 0
    assert "5 events" in output and events[-1].hash in output


@pytest.mark.django_db
def test_verify_names_the_event_whose_data_was_changed(capsys) -> None:  # type: ignore[no-untyped-def]
    _append(6)
    _raw("UPDATE ledger_ledgerevent SET data = %s WHERE seq = 4", ['{"n":99}'])
    code, output = _verify_exit(capsys)
    assert code == 1
    assert "sequence 4" in output and "altered" in output


@pytest.mark.django_db
def test_verify_names_the_missing_event_when_a_row_is_deleted(capsys) -> None:  # type: ignore[no-untyped-def]
    _append(6)
    _raw("DELETE FROM ledger_ledgerevent WHERE seq = 3")
    code, output = _verify_exit(capsys)
    assert code == 1
    assert "sequence 3" in output and "missing" in output


@pytest.mark.django_db
def test_verify_names_the_first_swapped_event(capsys) -> None:  # type: ignore[no-untyped-def]
    _append(6)
    # Swap rows 2 and 5 by exchanging their sequence numbers.
    _raw("UPDATE ledger_ledgerevent SET seq = 1000 WHERE seq = 2")
    _raw("UPDATE ledger_ledgerevent SET seq = 2 WHERE seq = 5")
    _raw("UPDATE ledger_ledgerevent SET seq = 5 WHERE seq = 1000")
    code, output = _verify_exit(capsys)
    assert code == 1
    assert "sequence 2" in output


@pytest.mark.django_db
def test_verify_detects_a_truncated_tail(capsys) -> None:  # type: ignore[no-untyped-def]
    _append(5)
    _raw("DELETE FROM ledger_ledgerevent WHERE seq = 5")
    code, output = _verify_exit(capsys)
    assert code == 1
    assert "sequence 5" in output


@pytest.mark.django_db
def test_verify_streams_across_pages(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from governance.ledger import verify

    monkeypatch.setattr(verify, "PAGE_SIZE", 7)
    _append(30)
    pages: list[int] = []
    result = verify.verify_chain(progress=pages.append)
    assert result.ok and result.event_count == 30
    assert pages == [7, 14, 21, 28, 30]


@pytest.mark.django_db(transaction=True)
def test_verification_outside_a_transaction_reads_ahead_and_still_names_the_bad_event(
    monkeypatch,  # type: ignore[no-untyped-def]
) -> None:
    import threading

    from django.db import transaction

    from governance.ledger import verify

    monkeypatch.setattr(verify, "PAGE_SIZE", 5)
    calls: list[int] = []
    real = verify.read_ahead

    def counted(produce, *, depth):  # type: ignore[no-untyped-def]
        calls.append(depth)
        return real(produce, depth=depth)

    monkeypatch.setattr(verify, "read_ahead", counted)
    _append(23)
    assert verify.verify_chain().ok and calls == [2]
    with transaction.atomic():
        _raw("UPDATE ledger_ledgerevent SET data = %s WHERE seq = 17", ['{"n":99}'])
    threads = threading.active_count()
    result = verify.verify_chain()
    assert not result.ok and result.first_bad_seq == 17 and "altered" in result.message
    # Stopping at event 17 also stopped the reader, which had pages still to read.
    assert threading.active_count() == threads
