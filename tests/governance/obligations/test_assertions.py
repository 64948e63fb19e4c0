"""Assertions are re-authenticated signatures, by compliance officers only, and ledgered."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import RequestFactory

from governance.core.errors import InvalidInput, PermissionRefused
from governance.ledger.models import LedgerEvent
from governance.obligations.models import Assertion
from governance.obligations.services import assertion_sign, assertion_withdraw, obligations_refresh
from tests.factories import RequirementFactory, evidence_document
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db


def _sign(deployment: Any, requirement: Any, signer: Any, **kwargs: Any) -> Assertion:
    fields: dict[str, Any] = {
        "verdict": "not_applicable",
        "justification": "The system is not placed on the EU market.",
        "password": PASSWORD,
        **kwargs,
    }
    return assertion_sign(
        deployment=deployment,
        requirement=requirement,
        signer=signer,
        http_request=RequestFactory().post("/"),
        **fields,
    )


def test_wrong_password_refuses_and_ledgers_the_failure(deployment: Any, officer: Any) -> None:
    requirement = RequirementFactory()
    with pytest.raises(PermissionRefused) as refused:
        _sign(deployment, requirement, officer, password="not-it")
    assert refused.value.fields == {"password": ["incorrect"]}
    assert not Assertion.objects.exists()
    event = LedgerEvent.objects.get(action="security.reauthentication_failed")
    assert event.deployment_id == str(deployment.pk)
    assert '"purpose":"obligation_assertion"' in event.data


def test_missing_password_is_a_field_error(deployment: Any, officer: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        _sign(deployment, RequirementFactory(), officer, password="")
    assert "password" in refused.value.fields


def test_only_compliance_officers_assert(deployment: Any, auditor: Any, requester: Any) -> None:
    requirement = RequirementFactory()
    for person in (auditor, requester):
        with pytest.raises(PermissionRefused):
            _sign(deployment, requirement, person)
    assert not Assertion.objects.exists()


def test_met_needs_evidence_and_every_assertion_a_justification(
    deployment: Any, officer: Any
) -> None:
    requirement = RequirementFactory()
    with pytest.raises(InvalidInput) as no_documents:
        _sign(deployment, requirement, officer, verdict="met")
    assert "documents" in no_documents.value.fields
    with pytest.raises(InvalidInput) as no_reason:
        _sign(deployment, requirement, officer, justification="  ")
    assert "justification" in no_reason.value.fields


def test_signed_assertion_is_ledgered_with_its_meaning_and_hash(
    deployment: Any, officer: Any
) -> None:
    requirement = RequirementFactory(ref="EU-AIA Art 27")
    document = evidence_document(officer)
    assertion = _sign(
        deployment,
        requirement,
        officer,
        verdict="met",
        justification="FRIA done.",
        documents=[document],
    )
    assert assertion.reauthenticated_by == "password"
    assert "EU-AIA Art 27" in assertion.signature_meaning
    assert len(assertion.signature_hash) == 64
    event = LedgerEvent.objects.get(action="obligation.asserted")
    assert event.deployment_id == str(deployment.pk)
    assert assertion.signature_hash in event.data
    assert document.sha256 in event.data


def test_not_applicable_assertion_sets_the_status(deployment: Any, officer: Any) -> None:
    requirement = RequirementFactory(evidence_rules=[{"kind": "ledger"}])
    _sign(deployment, requirement, officer)
    obligations_refresh(deployment_ids=[deployment.pk])
    row = deployment.obligations.get(requirement=requirement)
    assert row.status == "not_applicable"
    assert row.applies  # the engine says it applies; the signed reason says why it does not


def test_withdrawn_assertion_stops_counting(deployment: Any, officer: Any) -> None:
    requirement = RequirementFactory()
    assertion = _sign(deployment, requirement, officer)
    assertion_withdraw(assertion=assertion, actor=officer, reason="Now sold in the EU.")
    obligations_refresh(deployment_ids=[deployment.pk])
    assert deployment.obligations.get(requirement=requirement).status == "missing"
    assert LedgerEvent.objects.filter(action="obligation.assertion_withdrawn").count() == 1


def test_assertion_on_a_requirement_that_does_not_apply_is_refused(
    deployment: Any, officer: Any
) -> None:
    from governance.core.errors import Conflict

    requirement = RequirementFactory(
        applicability={"when": {"fact": "nyc_employment", "is": True}, "scope": "NYC hiring"}
    )
    obligations_refresh(deployment_ids=[deployment.pk])
    with pytest.raises(Conflict):
        _sign(deployment, requirement, officer)
