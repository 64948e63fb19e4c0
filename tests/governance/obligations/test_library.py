"""Framework files: loaded by the migration, versioned and hashed, refused with the line named."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from governance.ledger.describe import describe_events
from governance.ledger.models import LedgerEvent
from governance.obligations.library import (
    SHIPPED_DIR,
    FrameworkFileError,
    install_frameworks,
    parse_framework,
    shipped_files,
)
from governance.obligations.models import Framework, Requirement

pytestmark = pytest.mark.django_db

MINIMAL = """\
slug: house-rules
version: "1"
name: House rules
short_name: HOUSE
scope: The house rules apply to every deployment
requirements:
  - id: r-1
    ref: Rule 1
    title: Someone is accountable
    evidence:
      - {kind: accountable_owner, label: An active accountable owner}
    counterparts: ["nist-ai-rmf:GOVERN-2.1"]
  - id: r-2
    ref: Rule 2
    title: Logs are kept
    applies_when: {fact: eu_class, in: [high]}
"""


def _write(tmp_path: Path, text: str, name: str = "house.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _load(path: Path) -> str:
    from io import StringIO

    out = StringIO()
    call_command("load_framework", str(path), stdout=out)
    return out.getvalue()


def _refusal(tmp_path: Path, text: str) -> str:
    with pytest.raises(CommandError) as caught:
        _load(_write(tmp_path, text))
    return str(caught.value)


def test_the_migration_loads_the_four_shipped_frameworks_with_their_file_hash() -> None:
    # The test database is built by `migrate`, as a production install is.
    current = {f.slug: f for f in Framework.objects.filter(is_current=True)}

    assert set(current) == {"eu-ai-act", "nist-ai-rmf", "iso-42001", "nyc-ll144"}
    for name, content in shipped_files():
        parsed = parse_framework(content, name)
        framework = current[parsed.slug]
        assert framework.content_sha256 == hashlib.sha256(content).hexdigest()
        assert framework.requirements.count() == len(parsed.definition["requirements"])
    art27 = Requirement.objects.get(framework=current["eu-ai-act"], identifier="art-27")
    assert art27.ref == "EU-AIA Art 27"
    assert art27.evidence_rules == [
        {"kind": "fria", "label": "Signed fundamental-rights impact assessment"}
    ]
    assert str(art27.applies_from) == "2026-08-02"
    nist = Requirement.objects.filter(framework=current["nist-ai-rmf"])
    assert nist.count() == 72 and nist.filter(identifier="MEASURE-2.11").exists()
    iso = Requirement.objects.filter(framework=current["iso-42001"])
    assert {r.identifier.split(".")[1] for r in iso} == {str(n) for n in range(2, 11)}


def test_the_crosswalk_links_counterparts_in_both_directions() -> None:
    art27 = Requirement.objects.get(framework__slug="eu-ai-act", identifier="art-27")
    refs = {r.ref for r in art27.counterparts.all()}
    assert refs == {"NIST-AI-RMF MAP 5.1", "ISO-42001 A.5.4", "ISO-42001 A.5.5"}
    map51 = Requirement.objects.get(framework__slug="nist-ai-rmf", identifier="MAP-5.1")
    assert "EU-AIA Art 27" in {r.ref for r in map51.counterparts.all()}


def test_loading_the_shipped_files_again_changes_nothing() -> None:
    frameworks, requirements = Framework.objects.count(), Requirement.objects.count()
    events = LedgerEvent.objects.count()

    output = _load(SHIPPED_DIR)

    assert output.count("already loaded, unchanged") == 4
    assert Framework.objects.count() == frameworks
    assert Requirement.objects.count() == requirements
    assert LedgerEvent.objects.count() == events


def test_a_changed_file_under_a_loaded_version_is_refused_naming_the_version_line(
    tmp_path: Path,
) -> None:
    original = (SHIPPED_DIR / "nyc-ll144.yaml").read_text(encoding="utf-8")
    changed = original.replace("An independent bias audit", "A bias audit")
    version_line = 1 + original.splitlines().index('version: "2023.1"')

    message = _refusal(tmp_path, changed)

    assert f"line {version_line}:" in message
    assert "nyc-ll144 version 2023.1 is already loaded with different content" in message
    assert Framework.objects.filter(slug="nyc-ll144").count() == 1


def test_a_new_file_loads_as_current_and_is_ledgered_with_a_sentence(tmp_path: Path) -> None:
    output = _load(_write(tmp_path, MINIMAL))

    assert "house-rules v1 (2 requirements)" in output and ": loaded" in output
    framework = Framework.objects.get(slug="house-rules")
    assert framework.is_current and framework.short_name == "HOUSE"
    rule = framework.requirements.get(identifier="r-1")
    assert {r.ref for r in rule.counterparts.all()} == {"NIST-AI-RMF GOVERN 2.1"}
    [event] = describe_events(LedgerEvent.objects.filter(action="framework.loaded"))
    assert event.payload["sha256"] == framework.content_sha256
    assert event.sentence == (
        "The system loaded the framework House rules version 1 (2 requirements)"
    )


def test_a_new_version_supersedes_the_old_and_takes_over_its_crosswalk(tmp_path: Path) -> None:
    _load(_write(tmp_path, MINIMAL))
    second = MINIMAL.replace('version: "1"', 'version: "2"').replace(
        "Someone is accountable", "One person is accountable"
    )
    _load(_write(tmp_path, second, "house-2.yaml"))

    old, new = (Framework.objects.get(slug="house-rules", version=v) for v in ("1", "2"))
    assert new.is_current and not old.is_current
    govern21 = Requirement.objects.get(framework__slug="nist-ai-rmf", identifier="GOVERN-2.1")
    linked = {r.framework_id for r in govern21.counterparts.all()}
    assert new.pk in linked


def test_a_crosswalk_reference_to_an_unknown_article_is_refused_naming_its_line(
    tmp_path: Path,
) -> None:
    text = MINIMAL.replace(
        'counterparts: ["nist-ai-rmf:GOVERN-2.1"]',
        'counterparts:\n      - "nist-ai-rmf:GOVERN-2.1"\n      - "eu-ai-act:art-99"',
    )
    line = 1 + text.splitlines().index('      - "eu-ai-act:art-99"')

    message = _refusal(tmp_path, text)

    assert f"house.yaml, line {line}: crosswalk reference 'eu-ai-act:art-99'" in message
    assert "eu-ai-act has no requirement 'art-99'" in message
    assert not Framework.objects.filter(slug="house-rules").exists()


def test_a_crosswalk_reference_to_a_framework_never_loaded_is_refused(tmp_path: Path) -> None:
    message = _refusal(tmp_path, MINIMAL.replace("nist-ai-rmf:GOVERN-2.1", "sox:404"))

    assert "line 12: crosswalk reference 'sox:404': no framework 'sox' loaded" in message


def test_an_applicability_rule_naming_an_unknown_field_is_refused_naming_its_line(
    tmp_path: Path,
) -> None:
    text = MINIMAL.replace(
        "applies_when: {fact: eu_class, in: [high]}",
        "applies_when:\n      all:\n        - {fact: eu_class, in: [high]}\n"
        "        - {fact: headcount, in: [large]}",
    )
    line = 1 + text.splitlines().index("        - {fact: headcount, in: [large]}")

    message = _refusal(tmp_path, text)

    assert f"line {line}: applicability rule names unknown field 'headcount'" in message
    assert not Framework.objects.filter(slug="house-rules").exists()


def test_a_rule_with_a_value_its_fact_cannot_take_is_refused(tmp_path: Path) -> None:
    message = _refusal(tmp_path, MINIMAL.replace("in: [high]", "in: [very_high]"))

    assert "line 16: eu_class: unknown value(s) 'very_high'" in message


def test_a_duplicate_identifier_is_refused_naming_both_lines(tmp_path: Path) -> None:
    message = _refusal(tmp_path, MINIMAL.replace("id: r-2", "id: r-1"))

    assert "line 13: duplicate identifier 'r-1' (first used on line 7)" in message


def test_every_problem_of_a_file_is_reported_at_once() -> None:
    text = MINIMAL.replace("kind: accountable_owner", "kind: horoscope").replace(
        "    ref: Rule 2\n", "    ref: Rule 2\n    colour: blue\n"
    )
    with pytest.raises(FrameworkFileError) as caught:
        parse_framework(text.encode(), "house.yaml")

    assert caught.value.lines() == [
        "house.yaml, line 11: unknown evidence kind 'horoscope'; known: "
        "risk_assessment, bias_audit, approval, ledger, accountable_owner, raci, dossier, "
        "monitoring_plan, incident_reporting, document, fria, dpia",
        "house.yaml, line 15: unknown requirement field 'colour'; known: applies_from, "
        "applies_from_when, applies_to, applies_when, assertion_validity_days, counterparts, "
        "evidence, group, id, ref, summary, title",
    ]


def test_invalid_yaml_is_refused_with_the_line_of_the_problem() -> None:
    text = MINIMAL.replace("    title: Logs are kept", "    title: [Logs are kept")
    with pytest.raises(FrameworkFileError) as caught:
        parse_framework(text.encode(), "house.yaml")

    [(name, line, message)] = caught.value.errors
    assert name == "house.yaml" and line >= 15 and message.startswith("not valid YAML")


def test_a_batch_loads_all_files_or_none(tmp_path: Path) -> None:
    good = _write(tmp_path, MINIMAL)
    bad = _write(
        tmp_path,
        MINIMAL.replace("house-rules", "other-rules").replace("id: r-2", "id: r-1"),
        "other.yaml",
    )
    with pytest.raises(CommandError):
        call_command("load_framework", str(good), str(bad))

    assert not Framework.objects.filter(slug__in=["house-rules", "other-rules"]).exists()


def test_the_shipped_loader_takes_a_models_registry_and_is_idempotent() -> None:
    from django.apps import apps

    from governance.obligations.library import load_shipped_frameworks

    assert load_shipped_frameworks(apps) == []
    assert [r.created for r in install_frameworks(shipped_files(), apps)] == [False] * 4


def test_the_command_exits_non_zero_naming_the_line(tmp_path: Path) -> None:
    path = _write(tmp_path, MINIMAL.replace("id: r-2", "id: r-1"))
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite3'}"}

    result = subprocess.run(
        [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "load_framework", str(path)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )

    assert result.returncode != 0
    assert "line 13: duplicate identifier 'r-1'" in result.stderr
