"""API v1 of the liability room."""

from __future__ import annotations

import pytest

from governance.accounts.roles import Role
from governance.ledger.models import LedgerEvent
from governance.liability.models import AccountabilityAssignment, Ownership, Party
from tests.factories import (
    ContractFactory,
    DeploymentFactory,
    OwnershipOfferFactory,
    PartyFactory,
    user_with_roles,
)
from tests.factories.accounts import PASSWORD
from tests.factories.liability import make_owner

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():  # type: ignore[no-untyped-def]
    return user_with_roles(Role.COMPLIANCE_OFFICER)


def test_parties_crud(api, officer) -> None:  # type: ignore[no-untyped-def]
    client = api(officer)
    created = client.post(
        "/api/v1/parties/",
        {"kind": "vendor", "name": "TalentSift Inc.", "email": "legal@talentsift.example"},
        format="json",
    )
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    assert client.get(f"/api/v1/parties/{pk}/").json()["name"] == "TalentSift Inc."
    patched = client.patch(f"/api/v1/parties/{pk}/", {"phone": "+1 555"}, format="json")
    assert patched.status_code == 200 and patched.json()["phone"] == "+1 555"
    refused = client.patch(f"/api/v1/parties/{pk}/", {"kind": "insurer"}, format="json")
    assert refused.status_code == 400 and "kind" in refused.json()
    listing = client.get("/api/v1/parties/", {"kind": "vendor"})
    assert listing.json()["count"] == 1
    assert client.delete(f"/api/v1/parties/{pk}/").status_code == 204
    assert not Party.objects.exists()
    assert [e.action for e in LedgerEvent.objects.order_by("seq")][-3:] == [
        "party.created",
        "party.updated",
        "party.deleted",
    ]


def test_deleting_a_party_in_use_is_a_conflict(api, officer) -> None:  # type: ignore[no-untyped-def]
    contract = ContractFactory()
    response = api(officer).delete(f"/api/v1/parties/{contract.party.pk}/")
    assert response.status_code == 409


def test_assignments_get_and_post(api, officer) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    contract = ContractFactory()
    client = api(officer)
    url = f"/api/v1/deployments/{deployment.pk}/assignments/"
    created = client.post(
        url,
        {
            "party": str(contract.party.pk),
            "raci": "accountable",
            "scope": "model_performance",
            "ai_act_role": "provider",
            "contract": str(contract.pk),
            "effective_from": "2026-01-01",
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["contract_reference"] == contract.reference
    listing = client.get(url).json()
    assert [a["party_name"] for a in listing] == [contract.party.name]
    assert listing[0]["inherited"] is False
    second = client.post(
        url,
        {"party": str(PartyFactory().pk), "raci": "accountable", "scope": "model_performance"},
        format="json",
    )
    assert second.status_code == 409
    assert "already accountable" in second.json()["detail"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"party": "00000000-0000-0000-0000-000000000000"}, "party"),
        ({"scope": "astrology"}, "scope"),
        ({"effective_from": "2026-05-01", "effective_to": "2026-04-30"}, "effective_to"),
        ({"raci": "boss"}, "raci"),
    ],
)
def test_bad_assignment_input_is_400_naming_the_field(api, officer, body, field) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    payload = {"party": str(PartyFactory().pk), "raci": "responsible", "scope": "security"}
    payload.update(body)
    response = api(officer).post(
        f"/api/v1/deployments/{deployment.pk}/assignments/", payload, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not AccountabilityAssignment.objects.exists()


def test_system_defaults_through_the_api(api, officer) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    system = deployment.model_version.system
    client = api(officer)
    created = client.post(
        f"/api/v1/systems/{system.pk}/assignments/",
        {"party": str(PartyFactory().pk), "raci": "informed", "scope": "fairness"},
        format="json",
    )
    assert created.status_code == 201, created.content
    inherited = client.get(f"/api/v1/deployments/{deployment.pk}/assignments/").json()
    assert inherited[0]["inherited"] is True
    ended = client.post(f"/api/v1/assignments/{created.json()['id']}/end/", {}, format="json")
    assert ended.status_code == 200 and ended.json()["ended_at"]
    assert client.get(f"/api/v1/deployments/{deployment.pk}/assignments/").json() == []


def test_offer_accept_flow(api, officer) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    maya = user_with_roles(Role.REQUESTER)
    offered = api(officer).post(
        f"/api/v1/deployments/{deployment.pk}/ownership-offers/",
        {"to_user": str(maya.pk), "reason": "Runs it"},
        format="json",
    )
    assert offered.status_code == 201, offered.content
    offer_id = offered.json()["id"]
    client = api(maya)
    accepted = client.post(
        f"/api/v1/ownership-offers/{offer_id}/accept/",
        {"statement": "I accept accountability.", "password": PASSWORD},
        format="json",
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["printed_name"] == maya.display_name
    summary = client.get(f"/api/v1/deployments/{deployment.pk}/accountability/").json()
    assert summary["accountable_owner"]["id"] == str(maya.pk)
    again = api(officer).post(
        f"/api/v1/deployments/{deployment.pk}/ownership-offers/",
        {"to_user": str(maya.pk), "reason": "Runs it"},
        format="json",
    )
    assert again.status_code == 409


def test_accepting_someone_elses_offer_is_403(api) -> None:  # type: ignore[no-untyped-def]
    offer = OwnershipOfferFactory()
    intruder = user_with_roles(Role.REQUESTER)
    response = api(intruder).post(
        f"/api/v1/ownership-offers/{offer.pk}/accept/",
        {"statement": "mine now", "password": PASSWORD},
        format="json",
    )
    assert response.status_code == 403
    assert not Ownership.objects.exists()


def test_wrong_password_is_403_and_logged(api) -> None:  # type: ignore[no-untyped-def]
    offer = OwnershipOfferFactory()
    response = api(offer.to_user).post(
        f"/api/v1/ownership-offers/{offer.pk}/accept/",
        {"statement": "I accept", "password": "nope"},
        format="json",
    )
    assert response.status_code == 403
    assert response.json()["password"] == ["incorrect"]
    event = LedgerEvent.objects.get(action="security.reauthentication_failed")
    assert event.payload["purpose"] == "ownership_accept"
    assert not Ownership.objects.exists()


def test_decline_needs_a_reason(api) -> None:  # type: ignore[no-untyped-def]
    offer = OwnershipOfferFactory()
    client = api(offer.to_user)
    assert client.post(f"/api/v1/ownership-offers/{offer.pk}/decline/", {}).status_code == 400
    declined = client.post(
        f"/api/v1/ownership-offers/{offer.pk}/decline/", {"reason": "On leave"}, format="json"
    )
    assert declined.status_code == 200 and declined.json()["status"] == "declined"
    assert LedgerEvent.objects.filter(action="ownership.declined").exists()


def test_status_fields_are_read_only(api, officer) -> None:  # type: ignore[no-untyped-def]
    offer = OwnershipOfferFactory()
    response = api(officer).patch(
        f"/api/v1/ownership-offers/{offer.pk}/", {"status": "accepted"}, format="json"
    )
    assert response.status_code in (403, 405)
    offer.refresh_from_db()
    assert offer.status == "pending"


def test_art25_role_shift_through_the_api(api, officer) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import AISystemFactory, ModelVersionFactory

    system = AISystemFactory(sourcing="vendor", vendor_name="TalentSift Inc.")
    deployment = DeploymentFactory(model_version=ModelVersionFactory(system=system))
    response = api(officer).post(
        f"/api/v1/deployments/{deployment.pk}/ai-act-role-shifts/",
        {"trigger": "rebranded", "explanation": "Sold under our brand"},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert "Conformity assessment" in response.json()["warning"]
    assert response.json()["to_role"] == "provider"


def test_transfer_history_is_in_the_deployment_summary(api, officer) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    maya, laura = user_with_roles(Role.REQUESTER), user_with_roles(Role.LEGAL)
    make_owner(deployment, maya, offered_by=officer)
    make_owner(deployment, laura, offered_by=officer)
    summary = api(officer).get(f"/api/v1/deployments/{deployment.pk}/accountability/").json()
    assert [h["owner"]["id"] for h in summary["ownership_history"]] == [
        str(laura.pk),
        str(maya.pk),
    ]
    assert summary["ownership_history"][1]["end_cause"] == "transferred"
