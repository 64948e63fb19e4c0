from __future__ import annotations

import ast
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from governance.ledger.describe import (
    UnknownEventKind,
    declared_kinds,
    describe_events,
    registered_kinds,
)
from governance.ledger.models import LedgerEvent
from governance.ledger.services import ledger_append
from tests.factories.accounts import user_with_roles
from tests.factories.inventory import AISystemFactory, DeploymentFactory

ROOT = Path(__file__).resolve().parents[3]


def _emit_sites() -> tuple[set[str], dict[str, list[str]]]:
    """Literal kinds passed to ledger_append, and the modules whose calls compute the kind."""
    literal: set[str] = set()
    computed: dict[str, list[str]] = {}
    for package in ("governance", "audits"):
        for path in (ROOT / package).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                if not isinstance(node, ast.Call):
                    continue
                func = node.func
                name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
                if name != "ledger_append":
                    continue
                for keyword in node.keywords:
                    if keyword.arg != "action":
                        continue
                    value = keyword.value
                    if isinstance(value, ast.Constant) and isinstance(value.value, str):
                        literal.add(value.value)
                    else:
                        computed.setdefault(module, []).append(ast.unparse(value))
    return literal, computed


def test_the_source_scan_finds_the_emit_sites() -> None:
    literal, computed = _emit_sites()
    assert "approval_stage.completed" in literal
    assert "governance.approvals.services.signoffs" in computed


def test_every_literal_event_kind_has_a_sentence() -> None:
    literal, _ = _emit_sites()
    assert sorted(literal - registered_kinds()) == []


def test_every_module_that_computes_event_kinds_declares_them_with_sentences() -> None:
    _, computed = _emit_sites()
    declared = declared_kinds()
    undeclared = sorted(set(computed) - set(declared))
    assert undeclared == [], f"declare the kinds of {undeclared} in the room's events.py"
    for module in computed:
        assert sorted(declared[module] - registered_kinds()) == [], module


@pytest.mark.django_db
def test_ledger_append_refuses_a_kind_without_a_sentence_when_required(settings: Any) -> None:
    settings.LEDGER_REQUIRE_KNOWN_ACTIONS = True
    with pytest.raises(UnknownEventKind, match=r"gizmo\.frobbed"):
        ledger_append(actor=None, action="gizmo.frobbed")
    assert not LedgerEvent.objects.filter(action="gizmo.frobbed").exists()


@pytest.mark.django_db
def test_ledger_append_records_an_unknown_kind_when_not_required(settings: Any) -> None:
    settings.LEDGER_REQUIRE_KNOWN_ACTIONS = False
    event = ledger_append(actor=None, action="gizmo.frobbed")
    assert event.action == "gizmo.frobbed"


@pytest.mark.django_db
def test_an_event_reads_as_a_sentence_with_the_person_and_the_deployment() -> None:
    lena = user_with_roles("reviewer", first_name="Lena", last_name="Novak")
    deployment = DeploymentFactory(
        model_version__system__name="Credit risk scorer",
        model_version__version_label="3.0",
        environment="prod-eu",
    )
    ledger_append(
        actor=lena,
        action="approval_stage.completed",
        deployment_id=deployment.pk,
        data={"stage": 1, "name": "compliance", "quorum": 1},
    )
    [event] = describe_events(LedgerEvent.objects.all())
    assert event.sentence == (
        "Lena Novak completed the compliance review of Credit risk scorer 3.0 → prod-eu"
    )


@pytest.mark.django_db
def test_a_record_outside_any_deployment_is_named_by_its_own_namer() -> None:
    system = AISystemFactory(name="Fraud screen")
    ledger_append(actor=None, action="ai_system.created", subject=system, data={})
    [event] = describe_events(LedgerEvent.objects.all())
    assert event.sentence == "The system registered the AI system Fraud screen"
    assert event.record_type == "AI system"


@pytest.mark.django_db
def test_an_unknown_kind_reads_as_a_generic_sentence(settings: Any) -> None:
    settings.LEDGER_REQUIRE_KNOWN_ACTIONS = False
    deployment = DeploymentFactory(environment="staging")
    ledger_append(actor=None, action="gizmo_part.frobbed_twice", deployment_id=deployment.pk)
    [event] = describe_events(LedgerEvent.objects.all())
    assert event.sentence == f"The system: gizmo part frobbed twice — {deployment}"


@pytest.mark.django_db
def test_a_sentence_missing_its_data_falls_back_to_the_generic_one() -> None:
    ledger_append(actor=None, action="approval_stage.completed", data={})
    [event] = describe_events(LedgerEvent.objects.all())
    assert event.sentence == "The system: approval stage completed"


@pytest.mark.django_db
def test_audit_log_shows_sentences_and_record_types_not_codes(client: Client) -> None:
    auditor = user_with_roles("auditor", first_name="Ada", last_name="Byron")
    deployment = DeploymentFactory(environment="prod-eu")
    ledger_append(
        actor=auditor,
        action="deployment.transitioned",
        subject=deployment,
        deployment_id=deployment.pk,
        data={"from": "draft", "to": "in_review", "reason": ""},
    )
    client.force_login(auditor)
    body = client.get(reverse("ledger:event_list")).content.decode()
    assert f"Ada Byron moved {deployment} from draft to in review" in body
    assert "Deployment</span>" in body
    assert ">inventory.deployment<" not in body and "<code>deployment.transitioned</code>" in body


@pytest.mark.django_db
def test_audit_log_names_subjects_with_a_constant_number_of_queries(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    viewer = user_with_roles("auditor")
    client.force_login(viewer)

    def add_events(n: int) -> None:
        for _ in range(n):
            person = user_with_roles("requester")
            deployment = DeploymentFactory()
            system = AISystemFactory()
            ledger_append(actor=person, action="deployment.created", deployment_id=deployment.pk)
            ledger_append(actor=person, action="ai_system.updated", subject=system)
            ledger_append(actor=None, action="user.created", subject=person, data={})

    add_events(1)
    with django_assert_max_num_queries(30) as small:
        client.get(reverse("ledger:event_list"))
    add_events(10)
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(reverse("ledger:event_list"))
    assert response.status_code == 200


@pytest.mark.django_db
def test_audit_log_filters_have_human_labels_and_record_type_choices(client: Client) -> None:
    client.force_login(user_with_roles("auditor"))
    body = client.get(reverse("ledger:event_list")).content.decode()
    assert "From (UTC)" in body and "To (UTC)" in body
    assert "Record type" in body and '<option value="approvals.approvalrequest">' in body
    assert "Approval request</option>" in body
    assert "greater than" not in body and "Subject type" not in body and "Ts " not in body


@pytest.mark.django_db
def test_audit_log_action_filter_matches_the_words_of_the_sentence(client: Client) -> None:
    viewer = user_with_roles("auditor")
    deployment = DeploymentFactory()
    ledger_append(actor=viewer, action="approval_stage.completed", deployment_id=deployment.pk)
    ledger_append(actor=viewer, action="deployment.created", deployment_id=deployment.pk)
    client.force_login(viewer)
    url = reverse("ledger:event_list")
    by_words = client.get(url, {"action": "completed review"}).context["objects"]
    assert [e.action for e in by_words] == ["approval_stage.completed"]
    by_code = client.get(url, {"action": "deployment."}).context["objects"]
    assert [e.action for e in by_code] == ["deployment.created"]
