"""The risk register: entries, acceptance (executive from 15 up), closing, reopening."""

from __future__ import annotations

from typing import Any

import pytest

from governance.accounts.roles import Role
from governance.core.errors import Conflict, InvalidInput, PermissionRefused, TransitionNotAllowed
from governance.core.models import ImmutableRecordError
from governance.ledger.models import LedgerEvent
from governance.risk.models import Risk, RiskAcceptance
from governance.risk.selectors import heat_map_counts
from governance.risk.services import (
    risk_accept,
    risk_close,
    risk_create,
    risk_delete,
    risk_reopen,
    risk_update,
)
from tests.factories import DeploymentFactory, RiskFactory, user_with_roles

pytestmark = pytest.mark.django_db


def _fields(owner: Any, **overrides: Any) -> dict[str, Any]:
    fields = {
        "category": "privacy",
        "title": "Re-identification from model outputs",
        "description": "Scores could be joined with public data.",
        "inherent_likelihood": 4,
        "inherent_impact": 5,
        "treatment": "mitigate",
        "control_description": "Coarsen scores; rate-limit the API.",
        "residual_likelihood": 3,
        "residual_impact": 5,
        "owner": owner,
        "due_date": None,
    }
    fields.update(overrides)
    return fields


@pytest.fixture
def executive() -> Any:
    return user_with_roles(Role.EXECUTIVE, username="exec")


def test_create_records_scores_and_a_ledger_event(requester: Any) -> None:
    deployment = DeploymentFactory()
    risk = risk_create(deployment=deployment, actor=requester, **_fields(requester))
    assert (risk.inherent_score, risk.residual_score) == (20, 15)
    event = LedgerEvent.objects.get(action="risk.created")
    assert event.deployment_id == str(deployment.pk)
    assert event.payload["residual_score"] == 15 and event.payload["owner"] == str(requester.pk)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"inherent_likelihood": 6}, "inherent_likelihood"),
        ({"residual_impact": 0}, "residual_impact"),
        ({"category": "vibes"}, "category"),
        ({"treatment": "ignore"}, "treatment"),
    ],
)
def test_out_of_range_values_are_refused_with_field_messages(
    requester: Any, overrides: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInput) as caught:
        risk_create(
            deployment=DeploymentFactory(), actor=requester, **_fields(requester, **overrides)
        )
    assert field in caught.value.fields
    assert not Risk.objects.exists()


def test_residual_cannot_exceed_inherent_and_controls_must_be_described(requester: Any) -> None:
    with pytest.raises(InvalidInput, match="cannot exceed the inherent"):
        risk_create(
            deployment=DeploymentFactory(),
            actor=requester,
            **_fields(requester, residual_likelihood=5, inherent_likelihood=2),
        )
    with pytest.raises(InvalidInput, match="Describe the control"):
        risk_create(
            deployment=DeploymentFactory(),
            actor=requester,
            **_fields(requester, control_description=""),
        )
    accepted_as_is = risk_create(
        deployment=DeploymentFactory(),
        actor=requester,
        **_fields(requester, treatment="accept", control_description=""),
    )
    assert accepted_as_is.treatment == "accept"


def test_accepting_a_residual_of_fifteen_needs_the_executive_role(
    requester: Any, compliance_officer: Any, executive: Any
) -> None:
    risk = RiskFactory(residual_likelihood=3, residual_impact=5, inherent_impact=5)
    with pytest.raises(PermissionRefused, match="executive role"):
        risk_accept(risk=risk, actor=compliance_officer, rationale="Fine by me")
    refused = LedgerEvent.objects.get(action="risk.acceptance_refused")
    assert refused.payload["residual_score"] == 15
    assert Risk.objects.get(pk=risk.pk).status == "open"
    acceptance = risk_accept(
        risk=risk, actor=executive, rationale="Business need; reviewed monthly"
    )
    assert acceptance.executive_required and acceptance.residual_score == 15
    assert acceptance.accepted_by_name == executive.display_name
    assert Risk.objects.get(pk=risk.pk).status == "accepted"
    event = LedgerEvent.objects.get(action="risk.accepted")
    assert event.payload["executive_required"] is True and event.payload["residual_score"] == 15
    assert event.actor_id == str(executive.pk)


def test_accepting_below_fifteen_is_open_to_register_editors(compliance_officer: Any) -> None:
    risk = RiskFactory(residual_likelihood=2, residual_impact=5, inherent_impact=5)
    acceptance = risk_accept(risk=risk, actor=compliance_officer, rationale="Low residual")
    assert acceptance.residual_score == 10 and not acceptance.executive_required


def test_acceptance_needs_a_rationale_and_an_open_risk(executive: Any) -> None:
    risk = RiskFactory()
    with pytest.raises(InvalidInput, match="Say why"):
        risk_accept(risk=risk, actor=executive, rationale="  ")
    risk_accept(risk=risk, actor=executive, rationale="ok")
    with pytest.raises(TransitionNotAllowed):
        risk_accept(risk=risk, actor=executive, rationale="again")


def test_changing_what_was_accepted_reopens_the_risk(requester: Any, executive: Any) -> None:
    risk = RiskFactory()
    risk_accept(risk=risk, actor=executive, rationale="ok")
    same = risk_update(risk=risk, actor=requester, fields={"due_date": None, "title": "Renamed"})
    assert same.status == "accepted"
    changed = risk_update(risk=risk, actor=requester, fields={"residual_impact": 4})
    assert changed.status == "open" and changed.residual_score == 8
    event = LedgerEvent.objects.filter(action="risk.updated").last()
    assert event is not None and event.payload["acceptance_lapsed"] is True
    assert event.payload["changes"]["residual_impact"] == {"before": 3, "after": 4}
    assert RiskAcceptance.objects.get(risk=risk).residual_impact == 3  # evidence kept


def test_acceptances_are_immutable(executive: Any) -> None:
    acceptance = risk_accept(risk=RiskFactory(), actor=executive, rationale="ok")
    acceptance.rationale = "changed"
    with pytest.raises(ImmutableRecordError):
        acceptance.save()
    with pytest.raises(ImmutableRecordError):
        RiskAcceptance.objects.filter(pk=acceptance.pk).delete()


def test_close_and_reopen_follow_the_allowed_transitions(requester: Any) -> None:
    risk = RiskFactory()
    closed = risk_close(risk=risk, actor=requester, reason="Feature removed")
    assert closed.status == "closed"
    with pytest.raises(Conflict, match="reopen"):
        risk_update(risk=risk, actor=requester, fields={"title": "x"})
    with pytest.raises(TransitionNotAllowed):
        risk_close(risk=risk, actor=requester)
    assert risk_reopen(risk=risk, actor=requester, reason="Back").status == "open"
    actions = list(
        LedgerEvent.objects.filter(subject_id=str(risk.pk)).values_list("action", flat=True)
    )
    assert actions == ["risk.closed", "risk.reopened"]


def test_only_never_accepted_open_risks_can_be_deleted(requester: Any, executive: Any) -> None:
    mistake = RiskFactory()
    risk_delete(risk=mistake, actor=requester)
    assert not Risk.objects.filter(pk=mistake.pk).exists()
    assert LedgerEvent.objects.get(action="risk.deleted").subject_id == str(mistake.pk)
    accepted = RiskFactory()
    risk_accept(risk=accepted, actor=executive, rationale="ok")
    risk_reopen(risk=accepted, actor=requester)
    with pytest.raises(Conflict, match="close it instead"):
        risk_delete(risk=accepted, actor=requester)


def test_deactivated_people_cannot_own_risks(requester: Any) -> None:
    gone = user_with_roles(Role.REVIEWER, is_active=False)
    with pytest.raises(InvalidInput) as caught:
        risk_create(deployment=DeploymentFactory(), actor=requester, **_fields(gone))
    assert "owner" in caught.value.fields


def test_heat_map_counts_open_and_accepted_risks_by_cell(django_assert_num_queries: Any) -> None:
    deployment = DeploymentFactory()
    RiskFactory.create_batch(3, deployment=deployment, residual_likelihood=2, residual_impact=3)
    RiskFactory(deployment=deployment, residual_likelihood=4, residual_impact=4, status="accepted")
    RiskFactory(deployment=deployment, residual_likelihood=1, residual_impact=1, status="closed")
    with django_assert_num_queries(1):
        residual = heat_map_counts(Risk.objects.all())
    assert residual == {(2, 3): 3, (4, 4): 1}
    assert heat_map_counts(Risk.objects.all(), basis="inherent") == {(4, 4): 4}
