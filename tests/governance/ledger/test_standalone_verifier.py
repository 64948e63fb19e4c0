"""The verifier handed to outsiders: Python's standard library only, run as they would run it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from audits.reports.sections.ledger import Scope, slice_csv
from governance.ledger import standalone_verifier
from governance.ledger.checkpoints import ledger_checkpoint_take, log_path
from governance.ledger.models import LedgerHead
from governance.ledger.services import ledger_append
from tests.governance.ledger.test_checkpoints import _ec_pair, _rewrite_from

pytestmark = pytest.mark.django_db

SCRIPT = Path(standalone_verifier.__file__)


@pytest.fixture(autouse=True)
def _signing_key(settings: Any, tmp_path: Path) -> None:
    settings.REPORT_SIGNING_KEY, settings.REPORT_SIGNING_CERT = _ec_pair(tmp_path / "org", "Org")


def _run(*args: Any) -> subprocess.CompletedProcess[str]:
    # -I -S: no environment, no site-packages; only the standard library can be imported.
    return subprocess.run(
        [sys.executable, "-I", "-S", str(SCRIPT), *map(str, args)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def _ledger(capture: Any) -> None:
    for i in range(5):
        ledger_append(actor=None, action="test.event", data={"n": i, "text": 'é"\\,\n€'})
    with capture(execute=True):
        ledger_checkpoint_take()  # event 6
    ledger_append(actor=None, action="test.event", data={"n": 99}, actor_name='Zoë, "QA"')


def _whole_slice(path: Path) -> Path:
    head = LedgerHead.objects.get(pk=1).seq
    path.write_bytes(b"".join(slice_csv(Scope("action", "", prefix=True), head)))
    return path


def test_standalone_verifier_accepts_a_genuine_slice_and_checkpoint_and_openssl_confirms_it(
    django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    _ledger(django_capture_on_commit_callbacks)
    result = _run(
        _whole_slice(tmp_path / "ledger-slice.csv"),
        "--checkpoints",
        log_path(),
        "--openssl-dir",
        tmp_path / "openssl",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("OK: 7 events") and "agree: #6" in result.stdout
    commands = [line.strip() for line in result.stdout.splitlines() if "openssl " in line]
    assert len(commands) == 3
    # The printed commands, run as printed, check the signature.
    # A shell, because the first command redirects its output; the paths are the test's own.
    checked = subprocess.run(  # noqa: S602
        " && ".join(commands[:2]), shell=True, capture_output=True, text=True, check=False
    )
    assert "Verified OK" in checked.stdout, checked.stderr
    fingerprint = json.loads(log_path().read_text())["certificate_sha256"]
    shown = subprocess.run(  # noqa: S602
        commands[2], shell=True, capture_output=True, text=True, check=True
    )
    assert fingerprint.upper() in shown.stdout.replace(":", "")


def test_standalone_verifier_names_the_line_after_a_one_byte_edit(
    django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    _ledger(django_capture_on_commit_callbacks)
    path = _whole_slice(tmp_path / "ledger-slice.csv")
    lines = path.read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b'""n"":2', b'""n"":3')  # event 3 is on line 4
    path.write_bytes(b"\n".join(lines))
    result = _run(path)
    assert result.returncode == 1
    assert "line 4 (event 3)" in result.stdout and "altered" in result.stdout


def test_standalone_verifier_finds_a_rewritten_ledger_through_an_earlier_checkpoint(
    django_capture_on_commit_callbacks: Any, tmp_path: Path
) -> None:
    _ledger(django_capture_on_commit_callbacks)
    _rewrite_from(2, '{"n":-1}')
    path = _whole_slice(tmp_path / "ledger-slice.csv")
    assert _run(path).returncode == 0  # consistent on its own
    result = _run(path, "--checkpoints", log_path())
    assert result.returncode == 1
    assert "checkpoint #6" in result.stdout and "rewritten" in result.stdout


def test_standalone_verifier_allows_gaps_in_a_slice_but_not_reordered_lines(
    tmp_path: Path,
) -> None:
    for i in range(3):
        ledger_append(actor=None, action="test.event", data={"n": i})
    path = _whole_slice(tmp_path / "ledger-slice.csv")
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + lines[1] + lines[3])  # event 2 removed
    assert _run(path).returncode == 0  # a slice may skip events
    ledger_append(actor=None, action="test.event", data={})
    lines = _whole_slice(path).read_text().splitlines(keepends=True)
    lines[2], lines[3] = lines[3], lines[2]
    path.write_text("".join(lines))
    result = _run(path)
    assert result.returncode == 1 and "line 4 (event 2)" in result.stdout
    assert "out of order" in result.stdout


def test_standalone_verifier_says_when_a_file_is_not_a_ledger_slice(tmp_path: Path) -> None:
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    result = _run(path)
    assert result.returncode == 2 and "first line must be" in result.stdout


def test_the_product_hashes_with_the_standalone_verifiers_code() -> None:
    from governance.ledger import chain

    assert chain.event_canonical is standalone_verifier.event_canonical
    assert chain.event_hash is standalone_verifier.event_hash
