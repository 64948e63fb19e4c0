"""RACI assignments, system defaults, parties, contracts and the Art 25 role shift."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from governance.accounts.roles import Role
from governance.core.errors import Conflict, InvalidInput
from governance.core.models import ImmutableRecordError
from governance.ledger.models import LedgerEvent
from governance.liability import services
from governance.liability.choices import AIActRole
from governance.liability.models import AccountabilityAssignment, Party
from governance.liability.selectors import (
    accountability_snapshot,
    effective_assignments,
    expiry_flags,
    organisation_role,
)
from tests.factories import (
    AISystemFactory,
    ContractFactory,
    DeploymentFactory,
    ModelVersionFactory,
    PartyFactory,
    PersonPartyFactory,
    user_with_roles,
)

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 1)


@pytest.fixture
def officer():  # type: ignore[no-untyped-def]
    return user_with_roles(Role.COMPLIANCE_OFFICER)


def _assign(officer, **fields):  # type: ignore[no-untyped-def]
    fields.setdefault("raci", "responsible")
    fields.setdefault("scope", "security")
    fields.setdefault("effective_from", timezone.localdate() - dt.timedelta(days=1))
    return services.assignment_create(actor=officer, **fields)


def test_deployment_inherits_system_defaults_until_it_overrides_them(officer) -> None:  # type: ignore[no-untyped-def]
    system = AISystemFactory()
    deployment = DeploymentFactory(model_version=ModelVersionFactory(system=system))
    team, vendor, person = PartyFactory(kind="team"), PartyFactory(), PersonPartyFactory()
    _assign(officer, system=system, party=team, scope="security", raci="responsible")
    _assign(officer, system=system, party=vendor, scope="security", raci="consulted")
    effective = effective_assignments(deployment)
    assert [(e.assignment.party, e.inherited) for e in effective] == [
        (team, True),
        (vendor, True),
    ]
    _assign(officer, deployment=deployment, party=person, scope="security", raci="responsible")
    effective = effective_assignments(deployment)
    # The deployment's own "responsible" replaces the default; "consulted" is still inherited.
    assert {(e.assignment.party, e.assignment.raci, e.inherited) for e in effective} == {
        (person, "responsible", False),
        (vendor, "consulted", True),
    }


def test_assignment_is_ledgered_with_the_deployment(officer) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    assignment = _assign(officer, deployment=deployment, party=PartyFactory())
    event = LedgerEvent.objects.get(action="assignment.created")
    assert event.deployment_id == str(deployment.pk)
    assert event.subject_id == str(assignment.pk)
    assert event.payload["scope"] == "security"


def test_a_second_accountable_party_for_a_scope_is_a_conflict(officer) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    _assign(officer, deployment=deployment, party=PartyFactory(), raci="accountable")
    with pytest.raises(Conflict, match="already accountable"):
        _assign(officer, deployment=deployment, party=PartyFactory(), raci="accountable")
    # Another scope, or a non-overlapping period, is fine.
    _assign(
        officer, deployment=deployment, party=PartyFactory(), raci="accountable", scope="fairness"
    )
    assert AccountabilityAssignment.objects.filter(raci="accountable").count() == 2


def test_overlapping_dated_accountable_assignments_conflict(officer) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    _assign(
        officer,
        deployment=deployment,
        party=PartyFactory(),
        raci="accountable",
        effective_from=TODAY,
        effective_to=TODAY + dt.timedelta(days=30),
    )
    with pytest.raises(Conflict):
        _assign(
            officer,
            deployment=deployment,
            party=PartyFactory(),
            raci="accountable",
            effective_from=TODAY + dt.timedelta(days=30),
        )
    _assign(
        officer,
        deployment=deployment,
        party=PartyFactory(),
        raci="accountable",
        effective_from=TODAY + dt.timedelta(days=31),
    )


def test_ending_the_accountable_assignment_frees_the_scope(officer) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    first = _assign(officer, deployment=deployment, party=PartyFactory(), raci="accountable")
    services.assignment_end(assignment=first, actor=officer, reason="vendor replaced")
    assert LedgerEvent.objects.filter(action="assignment.ended").get().payload["reason"] == (
        "vendor replaced"
    )
    _assign(officer, deployment=deployment, party=PartyFactory(), raci="accountable")
    with pytest.raises(Conflict):
        services.assignment_end(assignment=first, actor=officer)


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"scope": "astrology"}, "scope"),
        ({"effective_from": TODAY, "effective_to": TODAY - dt.timedelta(days=1)}, "effective_to"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(officer, fields, field) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as error:
        _assign(officer, deployment=DeploymentFactory(), party=PartyFactory(), **fields)
    assert field in error.value.fields
    assert not AccountabilityAssignment.objects.exists()
    assert not LedgerEvent.objects.filter(action="assignment.created").exists()


def test_scopes_come_from_settings(officer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ACCOUNTABILITY_SCOPES = ["model_performance", "explainability"]
    _assign(officer, deployment=DeploymentFactory(), party=PartyFactory(), scope="explainability")
    with pytest.raises(InvalidInput):
        _assign(officer, deployment=DeploymentFactory(), party=PartyFactory(), scope="security")


def test_contract_must_belong_to_the_assigned_party(officer) -> None:  # type: ignore[no-untyped-def]
    contract = ContractFactory()
    with pytest.raises(InvalidInput) as error:
        _assign(officer, deployment=DeploymentFactory(), party=PartyFactory(), contract=contract)
    assert "contract" in error.value.fields
    ok = _assign(officer, deployment=DeploymentFactory(), party=contract.party, contract=contract)
    assert ok.contract == contract


def test_assignments_are_ended_never_edited(officer) -> None:  # type: ignore[no-untyped-def]
    assignment = _assign(officer, deployment=DeploymentFactory(), party=PartyFactory())
    assignment.scope = "fairness"
    with pytest.raises(ImmutableRecordError):
        assignment.save()
    with pytest.raises(ImmutableRecordError):
        assignment.delete()


# --- Parties and contracts --------------------------------------------------------------


def test_person_party_takes_the_accounts_name_and_is_ledgered(officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER, first_name="Maya", last_name="Patel")
    party = services.party_create(actor=officer, kind="person", user=maya)
    assert party.name == "Maya Patel"
    assert LedgerEvent.objects.filter(action="party.created", subject_id=str(party.pk)).exists()
    with pytest.raises(Conflict):
        services.party_create(actor=officer, kind="person", user=maya)


def test_organisation_cannot_be_linked_to_an_account(officer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput):
        services.party_create(
            actor=officer, kind="vendor", name="Acme", user=user_with_roles(Role.REQUESTER)
        )
    with pytest.raises(InvalidInput) as error:
        services.party_create(actor=officer, kind="person", name="Ghost")
    assert not Party.objects.exists()
    assert error.value.fields


def test_party_in_use_cannot_be_deleted(officer) -> None:  # type: ignore[no-untyped-def]
    party = PartyFactory()
    _assign(officer, deployment=DeploymentFactory(), party=party)
    with pytest.raises(Conflict):
        services.party_delete(party=party, actor=officer)
    unused = PartyFactory()
    services.party_delete(party=unused, actor=officer)
    assert LedgerEvent.objects.filter(action="party.deleted").count() == 1


def test_contracts_are_with_outside_organisations_and_end_after_they_start(officer) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(InvalidInput) as error:
        services.contract_create(
            actor=officer,
            party=PartyFactory(kind="team"),
            reference="X-1",
            title="t",
            starts_on=TODAY,
        )
    assert "party" in error.value.fields
    with pytest.raises(InvalidInput) as error:
        services.contract_create(
            actor=officer,
            party=PartyFactory(),
            reference="X-2",
            title="t",
            starts_on=TODAY,
            ends_on=TODAY - dt.timedelta(days=1),
        )
    assert "ends_on" in error.value.fields
    contract = services.contract_create(
        actor=officer,
        party=PartyFactory(),
        reference="X-3",
        title="t",
        starts_on=TODAY,
        liability_cap=Decimal("1000000.00"),
    )
    updated = services.contract_update(
        contract=contract, actor=officer, fields={"ends_on": TODAY + dt.timedelta(days=365)}
    )
    assert updated.ends_on == TODAY + dt.timedelta(days=365)
    assert LedgerEvent.objects.filter(action="contract.updated").count() == 1


def test_expiry_within_sixty_days_is_flagged() -> None:
    contract = ContractFactory.build(
        ends_on=TODAY + dt.timedelta(days=60),
        insurance_policy_number="P-1",
        insurance_expires_on=TODAY + dt.timedelta(days=61),
    )
    flags = expiry_flags(contract, today=TODAY)
    assert flags.contract_expiring and not flags.contract_expired
    assert not flags.insurance_expiring
    expired = expiry_flags(ContractFactory.build(ends_on=TODAY - dt.timedelta(days=1)), TODAY)
    assert expired.contract_expired and not expired.contract_expiring


# --- EU AI Act Art 25 -------------------------------------------------------------------


def test_substantial_modification_makes_the_deployer_a_provider(officer) -> None:  # type: ignore[no-untyped-def]
    system = AISystemFactory(sourcing="vendor", vendor_name="TalentSift Inc.")
    deployment = DeploymentFactory(model_version=ModelVersionFactory(system=system))
    assert organisation_role(deployment) == (AIActRole.DEPLOYER, None)
    shift = services.ai_act_role_shift_record(
        deployment=deployment,
        trigger="substantially_modified",
        explanation="Retrained on our own data",
        actor=officer,
    )
    assert organisation_role(deployment) == (AIActRole.PROVIDER, shift)
    event = LedgerEvent.objects.get(action="ai_act.role_shifted")
    assert event.deployment_id == str(deployment.pk)
    assert event.payload["from_role"] == "deployer" and event.payload["to_role"] == "provider"
    obligations = " ".join(event.payload["obligations"])
    for duty in (
        "Technical documentation",
        "quality management",
        "Conformity assessment",
        "Registration",
        "Post-market monitoring",
    ):
        assert duty in obligations
    with pytest.raises(Conflict, match="already the provider"):
        services.ai_act_role_shift_record(
            deployment=deployment, trigger="rebranded", explanation="again", actor=officer
        )


def test_repurposing_needs_the_high_risk_area(officer) -> None:  # type: ignore[no-untyped-def]
    system = AISystemFactory(sourcing="open_source")
    deployment = DeploymentFactory(model_version=ModelVersionFactory(system=system))
    with pytest.raises(InvalidInput) as error:
        services.ai_act_role_shift_record(
            deployment=deployment,
            trigger="repurposed_high_risk",
            explanation="Now ranks job applicants",
            actor=officer,
        )
    assert "high_risk_area" in error.value.fields
    shift = services.ai_act_role_shift_record(
        deployment=deployment,
        trigger="repurposed_high_risk",
        explanation="Now ranks job applicants",
        high_risk_area="employment",
        actor=officer,
    )
    assert shift.high_risk_area == "employment"


def test_in_house_systems_make_us_the_provider_already(officer) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()  # in-house by default
    assert organisation_role(deployment)[0] == AIActRole.PROVIDER
    with pytest.raises(Conflict):
        services.ai_act_role_shift_record(
            deployment=deployment, trigger="rebranded", explanation="x", actor=officer
        )


def test_snapshot_for_the_dossier_is_plain_json(officer) -> None:  # type: ignore[no-untyped-def]
    import json

    from tests.factories.liability import make_owner

    deployment = DeploymentFactory()
    contract = ContractFactory(liability_cap=Decimal("10.00"))
    _assign(officer, deployment=deployment, party=contract.party, contract=contract)
    owner = user_with_roles(Role.REQUESTER)
    make_owner(deployment, owner, offered_by=officer)
    snapshot = accountability_snapshot(deployment)
    json.dumps(snapshot)
    assert snapshot["accountable_owner"]["id"] == str(owner.pk)
    assert snapshot["orphaned"] is False
    assert snapshot["assignments"][0]["contract"]["liability_cap"] == "10.00"
    assert snapshot["ownership_history"][0]["signature_hash"]
    assert snapshot["offers"][0]["status"] == "accepted"
