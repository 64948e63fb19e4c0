"""Signed checkpoints: what exposes a chain that was edited and consistently re-hashed."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from django.core import mail
from django.core.management import call_command
from django.db import connection

from governance.core.canonical import format_timestamp
from governance.core.signing_key import ECDSA_SHA256, RSA_SHA256, signature_valid
from governance.ledger.chain import event_canonical, event_hash
from governance.ledger.checkpoints import ledger_checkpoint_take, log_path, payload
from governance.ledger.models import GENESIS_HASH, LedgerCheckpoint, LedgerEvent
from governance.ledger.services import ledger_append
from governance.ledger.tasks import checkpoint_ledger_task

pytestmark = pytest.mark.django_db


def _ec_pair(folder: Path, name: str) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    folder.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return str(key_path), str(cert_path)


@pytest.fixture(scope="module")
def organisation_pair(tmp_path_factory: Any) -> tuple[str, str]:
    return _ec_pair(tmp_path_factory.mktemp("org"), "Acme Lending Ltd ledger")


@pytest.fixture(scope="module")
def intruder_pair(tmp_path_factory: Any) -> tuple[str, str]:
    return _ec_pair(tmp_path_factory.mktemp("intruder"), "Acme Lending Ltd ledger")


@pytest.fixture(autouse=True)
def _signing_key(settings: Any, organisation_pair: tuple[str, str]) -> None:
    settings.REPORT_SIGNING_KEY, settings.REPORT_SIGNING_CERT = organisation_pair


@pytest.fixture
def take(django_capture_on_commit_callbacks: Any) -> Callable[[], LedgerCheckpoint | None]:
    def run() -> LedgerCheckpoint | None:
        # As the task and the command run it: committed, then written to the log.
        with django_capture_on_commit_callbacks(execute=True):
            return ledger_checkpoint_take()

    return run


def _append(n: int) -> None:
    for i in range(n):
        ledger_append(actor=None, action="test.event", data={"n": i})


def _raw(sql: str, params: list[Any]) -> None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _rewrite_from(seq: int, data: str) -> None:
    """What an intruder with write access to the database does: edit event `seq` and
    re-hash it and every later event, then move the head. (The suite's connection may
    change ledger rows, as one that dropped the append-only triggers could.)"""
    events = list(LedgerEvent.objects.order_by("seq"))
    prev = GENESIS_HASH
    for event in events:
        if event.seq >= seq:
            content = data if event.seq == seq else event.data
            digest = event_hash(
                prev,
                event_canonical(
                    seq=event.seq,
                    ts=format_timestamp(event.ts),
                    actor_id=event.actor_id,
                    actor_name=event.actor_name,
                    action=event.action,
                    subject_type=event.subject_type,
                    subject_id=event.subject_id,
                    deployment_id=event.deployment_id,
                    data=content,
                ),
            )
            _raw(
                "UPDATE ledger_ledgerevent SET data = %s, prev_hash = %s, hash = %s WHERE seq = %s",
                [content, prev, digest, event.seq],
            )
            prev = digest
        else:
            prev = event.hash
    _raw("UPDATE ledger_ledgerhead SET hash = %s WHERE id = 1", [prev])


def _verify(capsys: Any) -> tuple[int, str]:
    try:
        call_command("verify_audit_log")
    except Exception as exc:  # CommandError raised when called in-process
        return getattr(exc, "returncode", 1), str(exc)
    return 0, capsys.readouterr().out


def _log_lines() -> list[dict[str, Any]]:
    path = log_path()
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def _write_log(lines: list[dict[str, Any]]) -> None:
    log_path().write_text("".join(json.dumps(line) + "\n" for line in lines))


def test_a_checkpoint_signs_the_head_and_is_kept_in_the_database_and_the_log(take: Any) -> None:
    _append(4)
    checkpoint = take()
    assert checkpoint is not None and checkpoint.seq == 5
    event = LedgerEvent.objects.get(seq=5)
    assert event.action == "ledger.checkpoint"
    assert event.payload["certificate_sha256"] == checkpoint.certificate_sha256
    assert checkpoint.head_hash == event.hash and checkpoint.algorithm == ECDSA_SHA256
    signed = payload(seq=5, head_hash=event.hash, ts=format_timestamp(checkpoint.ts))
    assert signature_valid(
        certificate_pem=checkpoint.certificate,
        algorithm=checkpoint.algorithm,
        data=signed,
        signature=checkpoint.signature,
    )
    [line] = _log_lines()
    assert (line["seq"], line["head_hash"], line["signature"]) == (
        5,
        event.hash,
        checkpoint.signature,
    )


def test_checkpoint_task_run_twice_without_new_events_does_nothing_the_second_time(
    django_capture_on_commit_callbacks: Any,
) -> None:
    _append(3)
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            checkpoint_ledger_task()
    assert list(LedgerCheckpoint.objects.values_list("seq", flat=True)) == [4]
    assert LedgerEvent.objects.count() == 4
    assert [line["seq"] for line in _log_lines()] == [4]


def test_a_new_checkpoint_is_taken_once_events_were_appended_since_the_last(take: Any) -> None:
    _append(2)
    take()
    _append(1)
    assert take() is not None and take() is None
    assert [line["seq"] for line in _log_lines()] == [3, 5]


def test_an_empty_ledger_gets_no_checkpoint(take: Any) -> None:
    assert take() is None and not LedgerCheckpoint.objects.exists()


def test_consistent_rewrite_passes_verification_when_no_checkpoint_was_taken(capsys: Any) -> None:
    _append(8)
    _rewrite_from(3, '{"n":999}')
    code, output = _verify(capsys)
    assert code == 0, output  # the hash chain alone cannot tell


def test_consistent_rewrite_fails_verification_naming_the_checkpoint_taken_before_it(
    take: Any, capsys: Any
) -> None:
    _append(6)
    take()  # event 7 is the checkpoint
    _append(3)
    _rewrite_from(3, '{"n":999}')
    code, output = _verify(capsys)
    assert code == 1
    assert "sequence 7" in output and "checkpoint #7" in output and "rewritten" in output


def test_checkpoints_after_the_rewritten_events_do_not_mask_the_earlier_one(
    take: Any, capsys: Any
) -> None:
    _append(2)
    take()  # 3
    _append(2)
    take()  # 6
    _rewrite_from(5, '{"n":999}')
    code, output = _verify(capsys)
    assert code == 1 and "checkpoint #6" in output and "checkpoint #3" not in output


def test_a_checkpoint_whose_signature_does_not_verify_is_reported(take: Any, capsys: Any) -> None:
    _append(3)
    checkpoint = take()
    assert checkpoint is not None
    _rewrite_from(2, '{"n":999}')
    # The intruder also moves both copies of the checkpoint to the new hash.
    forged = LedgerEvent.objects.get(seq=4).hash
    _raw("UPDATE ledger_ledgercheckpoint SET head_hash = %s WHERE seq = 4", [forged])
    _write_log([{**_log_lines()[0], "head_hash": forged}])
    code, output = _verify(capsys)
    assert code == 1
    assert "checkpoint #4" in output and "signature does not verify" in output


def test_a_checkpoint_signed_by_another_key_is_not_trusted(
    take: Any, capsys: Any, settings: Any, intruder_pair: tuple[str, str]
) -> None:
    _append(3)
    take()
    _rewrite_from(2, '{"n":999}')
    # A valid signature over the forged head, but with the intruder's own key.
    _raw("DELETE FROM ledger_ledgercheckpoint", [])
    log_path().unlink()
    organisation = settings.REPORT_SIGNING_KEY, settings.REPORT_SIGNING_CERT
    settings.REPORT_SIGNING_KEY, settings.REPORT_SIGNING_CERT = intruder_pair
    take()
    settings.REPORT_SIGNING_KEY, settings.REPORT_SIGNING_CERT = organisation
    code, output = _verify(capsys)
    assert code == 1
    assert "checkpoint #5" in output and "does not trust" in output


def _hash(seq: int) -> str:
    return LedgerEvent.objects.get(seq=seq).hash


def test_earlier_certificates_listed_as_trusted_still_vouch_for_their_checkpoints(
    take: Any, capsys: Any, settings: Any, intruder_pair: tuple[str, str]
) -> None:
    _append(2)
    take()
    old = _log_lines()[0]["certificate_sha256"]
    settings.REPORT_SIGNING_KEY, settings.REPORT_SIGNING_CERT = intruder_pair  # a new key
    assert "does not trust" in _verify(capsys)[1]
    settings.LEDGER_TRUSTED_CERT_SHA256 = [old.upper()]
    assert _verify(capsys)[0] == 0


def test_a_checkpoint_deleted_from_the_database_is_reported(take: Any, capsys: Any) -> None:
    _append(2)
    take()
    _raw("DELETE FROM ledger_ledgercheckpoint WHERE seq = 3", [])
    code, output = _verify(capsys)
    assert code == 1 and "checkpoint #3" in output and "missing from the database" in output


def test_a_checkpoint_missing_from_the_log_is_reported_and_the_next_run_restores_it(
    take: Any, capsys: Any
) -> None:
    _append(2)
    take()
    log_path().write_text("")
    code, output = _verify(capsys)
    assert code == 1 and "checkpoint #3" in output and "missing from the checkpoint log" in output
    assert take() is None  # nothing new to sign, but the log gets its line back
    assert [line["seq"] for line in _log_lines()] == [3]
    assert _verify(capsys)[0] == 0


def test_copies_that_differ_between_database_and_log_are_reported(take: Any, capsys: Any) -> None:
    _append(2)
    take()
    _write_log([{**_log_lines()[0], "ts": "2020-01-01T00:00:00.000000Z"}])
    code, output = _verify(capsys)
    assert code == 1 and "checkpoint #3" in output and "differs" in output


def test_an_unreadable_log_line_is_reported_by_its_number(take: Any, capsys: Any) -> None:
    _append(2)
    take()
    with log_path().open("a") as handle:
        handle.write('{"seq": 9, "head_ha\n')
    code, output = _verify(capsys)
    assert code == 1 and "line 2 of" in output and "not JSON" in output


def test_a_checkpoint_beyond_the_end_of_the_chain_reveals_removed_events(
    take: Any, capsys: Any
) -> None:
    _append(4)
    take()
    _raw("DELETE FROM ledger_ledgerevent WHERE seq >= 4", [])
    _raw("UPDATE ledger_ledgerhead SET seq = 3, hash = %s WHERE id = 1", [_hash(3)])
    code, output = _verify(capsys)
    assert code == 1 and "checkpoint #5" in output and "beyond the end" in output


def test_the_hourly_check_records_a_checkpoint_mismatch(take: Any) -> None:
    from governance.ledger.services import ledger_check_record

    _append(3)
    take()
    _rewrite_from(2, '{"n":999}')
    check = ledger_check_record()
    assert not check.ok and check.first_bad_seq == 4 and "checkpoint #4" in check.message


def test_each_checkpoint_is_emailed_to_the_configured_address(take: Any, settings: Any) -> None:
    settings.LEDGER_CHECKPOINT_EMAIL = ["ledger-archive@example.org"]
    _append(2)
    checkpoint = take()
    take()
    [message] = mail.outbox
    assert message.to == ["ledger-archive@example.org"]
    assert checkpoint is not None and checkpoint.signature in message.body


def test_checkpoints_are_signed_with_an_rsa_key_too(
    take: Any, settings: Any, tmp_path: Path
) -> None:
    from audits.reports.devcert import create_development_pair
    from governance.core.signing_key import DEV_CERT_NAME, DEV_KEY_NAME

    folder = create_development_pair(tmp_path / "rsa", "Acme Lending Ltd")
    settings.REPORT_SIGNING_KEY = str(folder / DEV_KEY_NAME)
    settings.REPORT_SIGNING_CERT = str(folder / DEV_CERT_NAME)
    _append(1)
    checkpoint = take()
    assert checkpoint is not None and checkpoint.algorithm == RSA_SHA256
    assert call_command("verify_audit_log") is None


def test_checkpoint_command_without_a_key_fails_saying_what_to_set(settings: Any) -> None:
    from django.core.management.base import CommandError

    settings.REPORT_SIGNING_KEY = settings.REPORT_SIGNING_CERT = ""
    settings.REPORT_DEV_SIGNING_DIR = "/nonexistent"
    _append(1)
    with pytest.raises(CommandError, match="ensure_signing_certificate"):
        call_command("checkpoint_audit_log")
    assert not LedgerCheckpoint.objects.exists() and LedgerEvent.objects.count() == 1


def test_checkpoint_command_reports_what_it_signed_and_then_that_nothing_is_new(
    capsys: Any,
) -> None:
    _append(1)
    call_command("checkpoint_audit_log")
    assert "Checkpoint #2 signed" in capsys.readouterr().out
    call_command("checkpoint_audit_log")
    assert "No event since checkpoint #2" in capsys.readouterr().out
