"""Methodology files: validation, versioned immutable loading, and the load_methodology command."""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from governance.core.models import ImmutableRecordError
from governance.ledger.models import LedgerEvent
from governance.risk.methodology import MethodologyFormatError, parse_methodology
from governance.risk.models import Methodology
from tests.factories.risk import (
    METHODOLOGY_DIR,
    load_shipped,
    methodology_definition,
    methodology_yaml,
)

pytestmark = pytest.mark.django_db


def _write(tmp_path: Path, document: dict[str, Any], name: str = "m.yaml") -> Path:
    path = tmp_path / name
    path.write_bytes(methodology_yaml(document))
    return path


def _errors(document: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(MethodologyFormatError) as caught:
        parse_methodology(methodology_yaml(document))
    return dict(caught.value.errors)


def test_migrations_load_the_shipped_methodologies_with_their_file_hash() -> None:
    # The test database is built by `migrate`, as a production install is.
    impact = Methodology.objects.get(slug="impact", version="1")
    eu = impact.eu_classification
    assert eu is not None and (eu.slug, eu.version, eu.kind) == (
        "eu-ai-act",
        "1",
        "eu_classification",
    )
    raw = (METHODOLOGY_DIR / "impact-1.yaml").read_bytes()
    assert impact.sha256 == hashlib.sha256(raw).hexdigest()
    assert impact.source.encode() == raw and impact.file_name == "impact-1.yaml"
    assert impact.spec.max_raw == 43 and impact.spec.max_mitigation == 14
    assert impact.definition == parse_methodology(raw)


def test_the_shipped_loader_is_idempotent_and_takes_a_models_registry() -> None:
    from django.apps import apps

    from governance.risk.shipped import load_shipped_methodologies

    assert load_shipped_methodologies(apps) == []
    Methodology.objects.all()._raw_delete(Methodology.objects.db)  # an emptied database
    assert load_shipped_methodologies(apps) == ["eu-ai-act v1", "dpia v1", "fria v1", "impact v1"]
    assert load_shipped_methodologies() == []
    assert load_shipped().eu_classification is not None


def test_loading_a_new_methodology_is_ledgered(tmp_path: Path) -> None:
    document = methodology_definition(slug="fair", version="1")
    call_command("load_methodology", str(_write(tmp_path, document)))
    loaded = Methodology.objects.get(slug="fair")
    (event,) = LedgerEvent.objects.filter(action="risk_methodology.loaded")
    assert event.payload["slug"] == "fair" and event.payload["sha256"] == loaded.sha256


def test_command_reloading_the_shipped_files_is_a_no_op(capsys: Any) -> None:
    events = LedgerEvent.objects.count()
    call_command("load_methodology", str(METHODOLOGY_DIR))
    assert capsys.readouterr().out.count("already loaded, unchanged") == 4
    call_command("load_methodology", str(METHODOLOGY_DIR / "impact-1.yaml"))
    assert "already loaded, unchanged" in capsys.readouterr().out
    assert Methodology.objects.count() == 4
    assert LedgerEvent.objects.count() == events


def test_a_changed_file_under_a_loaded_version_is_refused(tmp_path: Path) -> None:
    document = methodology_definition(slug="fair", version="1")
    call_command("load_methodology", str(_write(tmp_path, document)))
    document["title"] = "Quietly edited"
    with pytest.raises(CommandError, match="give the file a new version"):
        call_command("load_methodology", str(_write(tmp_path, document)))
    assert Methodology.objects.get(slug="fair").title != "Quietly edited"
    document["version"] = "2"
    call_command("load_methodology", str(_write(tmp_path, document)))
    assert Methodology.objects.filter(slug="fair").count() == 2


def _broken(mutate: Any) -> dict[str, Any]:
    document = methodology_definition(questions=4, mitigation_questions=1)
    mutate(document)
    return document


BROKEN = [
    ("duplicate question id", lambda d: d["questions"][1].update(id="q000"), "questions[1].id"),
    (
        "duplicate option id",
        lambda d: d["questions"][0]["options"].append({"id": "o0", "label": "x", "points": 1}),
        "questions[0].options[2].id",
    ),
    (
        "negative points",
        lambda d: d["questions"][2]["options"][0].update(points=-1),
        "questions[2].options[0].points",
    ),
    (
        "fractional points",
        lambda d: d["questions"][2]["options"][0].update(points=1.5),
        "questions[2].options[0].points",
    ),
    ("non-increasing levels", lambda d: d["levels"][2].update(max_pct=50), "levels[2].max_pct"),
    ("levels not ending at 100", lambda d: d["levels"][3].update(max_pct=90), "levels[3].max_pct"),
    ("levels out of order", lambda d: d["levels"][1].update(level="IV"), "levels[2].level"),
    ("bad slug", lambda d: d.update(slug="bad slug!"), "slug"),
    ("unquoted float version", lambda d: d.update(version=1.1), "version"),
    ("unknown field", lambda d: d.update(colour="blue"), "colour"),
    ("bad question type", lambda d: d["questions"][0].update(type="ranked"), "questions[0].type"),
    ("missing scores", lambda d: d["questions"][0].pop("scores"), "questions[0].scores"),
    (
        "deduction factor above 1",
        lambda d: d.update(mitigation_deduction={"threshold": 0.8, "factor": 1.5}),
        "mitigation_deduction.factor",
    ),
    (
        "nothing to score",
        lambda d: [o.update(points=0) for q in d["questions"] for o in q["options"]],
        "questions",
    ),
]


@pytest.mark.parametrize(("case", "mutate", "field"), BROKEN, ids=[b[0] for b in BROKEN])
def test_broken_files_are_refused_naming_the_field(case: str, mutate: Any, field: str) -> None:
    assert field in _errors(_broken(mutate)), case


@pytest.mark.parametrize(("case", "mutate", "field"), BROKEN[:8], ids=[b[0] for b in BROKEN[:8]])
def test_command_exits_non_zero_naming_the_field_and_loads_nothing(
    tmp_path: Path, case: str, mutate: Any, field: str
) -> None:
    good = _write(tmp_path, methodology_definition(slug="good"), "a-good.yaml")
    bad = _write(tmp_path, _broken(mutate), "b-bad.yaml")
    with pytest.raises(CommandError) as caught:
        call_command("load_methodology", str(good), str(bad))
    assert field in str(caught.value) and "Nothing was loaded" in str(caught.value)
    assert not Methodology.objects.filter(slug="good").exists()
    assert not LedgerEvent.objects.filter(action="risk_methodology.loaded").exists()


def test_command_reports_unreadable_and_invalid_yaml(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("load_methodology", str(tmp_path / "missing.yaml"))
    broken = tmp_path / "broken.yaml"
    broken.write_text("slug: [unclosed")
    with pytest.raises(CommandError, match="not valid YAML"):
        call_command("load_methodology", str(broken))
    with pytest.raises(CommandError, match="no active user"):
        call_command("load_methodology", str(broken), "--user", "ghost")


def _eu_document() -> dict[str, Any]:
    import yaml

    return yaml.safe_load((METHODOLOGY_DIR / "eu-ai-act-1.yaml").read_bytes())


def test_classification_rules_must_run_from_most_to_least_severe() -> None:
    document = _eu_document()
    document["rules"].insert(0, copy.deepcopy(document["rules"][-1]))
    document["rules"][0]["id"] = "early-minimal"
    assert "rules[1].class" in _errors(document)


def test_classification_conditions_must_name_real_questions_and_options() -> None:
    document = _eu_document()
    document["rules"][0]["when"] = {"question": "eu_prohibited", "any_of": ["telepathy"]}
    document["rules"][1]["when"] = {"question": "ghost", "any_of": ["x"]}
    document["rules"][2]["when"] = {"sometimes": []}
    errors = _errors(document)
    assert {"rules[0].when.any_of", "rules[1].when.question", "rules[2].when"} <= set(errors)


def test_prefilled_questions_must_offer_every_inventory_value() -> None:
    document = _eu_document()
    area = next(q for q in document["questions"] if q["id"] == "annex_iii_area")
    area["options"] = [o for o in area["options"] if o["id"] != "justice"]
    index = document["questions"].index(area)
    assert "justice" in _errors(document)[f"questions[{index}].options"]


def test_an_impact_methodology_needs_its_classification_loaded_first(tmp_path: Path) -> None:
    document = methodology_definition(slug="linked", eu=("eu-ai-act", "9"))
    with pytest.raises(CommandError, match="eu-ai-act v9 is not loaded"):
        call_command("load_methodology", str(_write(tmp_path, document)))
    assert not Methodology.objects.filter(slug="linked").exists()


def test_loaded_methodologies_cannot_be_changed_or_deleted() -> None:
    impact = load_shipped()
    impact.title = "Edited"
    with pytest.raises(ImmutableRecordError):
        impact.save()
    with pytest.raises(ImmutableRecordError):
        impact.delete()
    with pytest.raises(ImmutableRecordError):
        Methodology.objects.filter(pk=impact.pk).update(title="Edited")
