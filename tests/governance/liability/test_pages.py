"""Pages: the matrix, the accountability tab, offers, vendors and contracts."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from governance.accounts.roles import Role
from governance.inventory.models import Deployment
from governance.ledger.models import LedgerEvent
from governance.liability import services
from governance.liability.models import (
    AccountabilityAssignment,
    Ownership,
    OwnershipOffer,
    Party,
)
from tests.factories import (
    AISystemFactory,
    ContractFactory,
    DeploymentFactory,
    ModelVersionFactory,
    OwnershipOfferFactory,
    PartyFactory,
    PersonPartyFactory,
    user_with_roles,
)
from tests.factories.accounts import PASSWORD
from tests.factories.liability import make_owner

pytestmark = pytest.mark.django_db


@pytest.fixture
def officer():  # type: ignore[no-untyped-def]
    return user_with_roles(Role.COMPLIANCE_OFFICER)


@pytest.fixture
def as_officer(client, officer):  # type: ignore[no-untyped-def]
    client.force_login(officer)
    return client


@pytest.fixture
def as_auditor(client, auditor):  # type: ignore[no-untyped-def]
    client.force_login(auditor)
    return client


def _bulk_portfolio(count: int, owner) -> list[Deployment]:  # type: ignore[no-untyped-def]
    """`count` deployments with owners, system defaults and deployment overrides, quickly."""
    system = AISystemFactory()
    version = ModelVersionFactory(system=system)
    start = len(Deployment.objects.all())
    deployments = Deployment.objects.bulk_create(
        [
            Deployment(
                model_version=version,
                environment=f"env-{start + i}",
                hosting="cloud",
                region="eu",
                rollout_pattern="full",
                fingerprint="0" * 64,
                created_by=owner,
            )
            for i in range(count)
        ]
    )
    now = timezone.now()
    offers = OwnershipOffer.objects.bulk_create(
        [
            OwnershipOffer(
                deployment=d,
                to_user=owner,
                offered_by=owner,
                reason="bulk",
                status="accepted",
                decided_at=now,
            )
            for d in deployments[::2]
        ]
    )
    Ownership.objects.bulk_create(
        [
            Ownership(
                deployment=o.deployment,
                user=owner,
                offer=o,
                statement="I accept.",
                printed_name=owner.display_name,
                accepted_at=now,
                fingerprint="0" * 64,
                signature_hash="0" * 64,
            )
            for o in offers
        ]
    )
    team, vendor = PartyFactory(kind="team"), PartyFactory()
    today = timezone.localdate()
    AccountabilityAssignment.objects.bulk_create(
        [
            AccountabilityAssignment(
                system=system, party=team, raci="responsible", scope=s, effective_from=today
            )
            for s in ("model_performance", "security", "fairness")
        ]
        + [
            AccountabilityAssignment(
                deployment=d,
                party=vendor,
                raci="responsible",
                scope="security",
                effective_from=today,
            )
            for d in deployments[::3]
        ]
    )
    return deployments


def test_matrix_for_a_thousand_deployments_keeps_a_constant_query_count(
    client, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    owner = user_with_roles(Role.REQUESTER)
    PersonPartyFactory(user=owner)
    client.force_login(owner)
    _bulk_portfolio(10, owner)
    url = reverse("liability:matrix")
    with django_assert_max_num_queries(20) as small:
        response = client.get(url)
    assert response.status_code == 200
    small_count = len(small.captured_queries)
    _bulk_portfolio(990, owner)
    assert Deployment.objects.count() == 1000
    with django_assert_max_num_queries(small_count):
        response = client.get(url)
    assert response.status_code == 200
    assert b"Page 1 of 20" in response.content
    # Filtering by person and "orphaned only" stays constant too.
    with django_assert_max_num_queries(small_count + 1):
        mine = client.get(url, {"person": str(owner.pk), "raci": "accountable"})
    assert b"500 in all" in mine.content
    with django_assert_max_num_queries(small_count + 1):
        orphans = client.get(url, {"orphaned": "yes"})
    assert b"500 in all" in orphans.content
    with django_assert_max_num_queries(small_count):
        by_owner = client.get(url, {"sort": "-owner"})
    assert b"Page 1 of 20" in by_owner.content


def test_matrix_sorts_by_owner_with_orphans_first_and_ignores_unknown_keys(
    as_officer, officer
) -> None:  # type: ignore[no-untyped-def]
    zoe = user_with_roles(Role.REQUESTER, first_name="Zoe", last_name="Young")
    adam = user_with_roles(Role.REQUESTER, first_name="Adam", last_name="Abbott")
    by_zoe, by_adam, orphan = DeploymentFactory(), DeploymentFactory(), DeploymentFactory()
    make_owner(by_zoe, zoe, offered_by=officer)
    make_owner(by_adam, adam, offered_by=officer)
    url = reverse("liability:matrix")

    def order(**params: str) -> list[str]:
        body = as_officer.get(url, params).content.decode()
        found = {d.environment: body.index(d.environment) for d in (by_zoe, by_adam, orphan)}
        return sorted(found, key=found.__getitem__)

    envs = {by_zoe.environment: "zoe", by_adam.environment: "adam", orphan.environment: "orphan"}
    assert [envs[e] for e in order(sort="owner")] == ["orphan", "adam", "zoe"]
    assert [envs[e] for e in order(sort="-owner")] == ["zoe", "adam", "orphan"]
    page = as_officer.get(url, {"sort": "owner"}).content.decode()
    assert 'aria-sort="ascending"' in page and "sort=-owner" in page
    unknown = as_officer.get(url, {"sort": "password"})
    assert unknown.status_code == 200 and b"aria-sort" not in unknown.content


def test_matrix_shows_owner_scopes_and_inherited_parties(as_officer, officer) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    maya = user_with_roles(Role.REQUESTER, first_name="Maya", last_name="Patel")
    make_owner(deployment, maya, offered_by=officer)
    team = PartyFactory(kind="team", name="ML Platform team")
    services.assignment_create(
        actor=officer,
        system=deployment.model_version.system,
        party=team,
        raci="responsible",
        scope="security",
        effective_from=timezone.localdate(),
    )
    page = as_officer.get(reverse("liability:matrix"))
    body = page.content.decode()
    assert "Maya Patel" in body
    assert "ML Platform team" in body and "inherited" in body
    assert "Data protection" in body  # every configured scope is a column


def test_what_am_i_accountable_for(client, officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    mine, via_team, other = DeploymentFactory(), DeploymentFactory(), DeploymentFactory()
    make_owner(mine, maya, offered_by=officer)
    team = PartyFactory(kind="team")
    team.members.add(maya)
    services.assignment_create(
        actor=officer,
        system=via_team.model_version.system,
        party=team,
        raci="accountable",
        scope="fairness",
        effective_from=timezone.localdate(),
    )
    client.force_login(maya)
    page = client.get(reverse("liability:matrix"), {"person": str(maya.pk), "raci": "accountable"})
    body = page.content.decode()
    assert mine.environment in body and via_team.environment in body
    assert other.environment not in body
    # Informed only: the owner link and the accountable team do not count.
    informed = client.get(reverse("liability:matrix"), {"person": str(maya.pk), "raci": "informed"})
    assert mine.environment not in informed.content.decode()


def test_matrix_csv_is_safe_against_formula_injection(as_auditor, officer) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    evil = PartyFactory(name='=HYPERLINK("http://evil.example")')
    services.assignment_create(
        actor=officer,
        deployment=deployment,
        party=evil,
        raci="informed",
        scope="security",
        effective_from=timezone.localdate(),
    )
    response = as_auditor.get(reverse("liability:matrix"), {"format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode()
    assert "model_performance" in body.splitlines()[0]
    # The cell starts with the RACI letter; a party name that opens a cell is prefixed too.
    assert "I: =HYPERLINK" in body
    parties_csv = b"".join(
        as_auditor.get(reverse("liability:parties"), {"format": "csv"}).streaming_content
    ).decode()
    assert "'=HYPERLINK" in parties_csv


def test_deployment_tab_shows_owner_history_and_the_orphan_warning(as_officer, officer) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    url = reverse("liability:deployment_accountability", args=[deployment.pk])
    page = as_officer.get(url)
    assert page.status_code == 200
    assert b"No accepted accountable owner" in page.content
    assert b'aria-current="page">Accountability' in page.content
    maya = user_with_roles(Role.REQUESTER, first_name="Maya", last_name="Patel")
    make_owner(deployment, maya, offered_by=officer)
    page = as_officer.get(url)
    body = page.content.decode()
    assert "No accepted accountable owner" not in body
    assert "Maya Patel" in body and "Signature hash" in body
    assert "ownership.accepted" in body  # the events table


def test_offer_through_the_page_then_accept_in_the_inbox(client, officer) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    maya = user_with_roles(Role.REQUESTER)
    client.force_login(officer)
    response = client.post(
        reverse("liability:offer_create", args=[deployment.pk]),
        {"to_user": str(maya.pk), "reason": "Runs it"},
    )
    assert response.status_code == 302
    offer = OwnershipOffer.objects.get()
    client.force_login(maya)
    inbox = client.get(reverse("liability:inbox"))
    assert reverse("liability:offer_detail", args=[offer.pk]).encode() in inbox.content
    detail = client.get(reverse("liability:offer_detail", args=[offer.pk]))
    assert b"Sign and accept" in detail.content
    wrong = client.post(
        reverse("liability:offer_accept", args=[offer.pk]),
        {"statement": "I accept", "password": "wrong"},
    )
    assert wrong.status_code == 403
    assert b"The password is not correct" in wrong.content
    assert LedgerEvent.objects.filter(action="security.reauthentication_failed").exists()
    ok = client.post(
        reverse("liability:offer_accept", args=[offer.pk]),
        {"statement": "I accept", "password": PASSWORD},
    )
    assert ok.status_code == 302
    assert Ownership.objects.get().user == maya


def test_someone_else_cannot_answer_an_offer_on_the_page(client) -> None:  # type: ignore[no-untyped-def]
    offer = OwnershipOfferFactory()
    intruder = user_with_roles(Role.REQUESTER)
    client.force_login(intruder)
    detail = client.get(reverse("liability:offer_detail", args=[offer.pk]))
    assert b"Sign and accept" not in detail.content
    response = client.post(
        reverse("liability:offer_accept", args=[offer.pk]),
        {"statement": "mine", "password": PASSWORD},
    )
    assert response.status_code == 403
    assert not Ownership.objects.exists()


def test_someone_else_declining_an_offer_is_refused_before_the_form_is_read(client) -> None:  # type: ignore[no-untyped-def]
    offer = OwnershipOfferFactory()
    client.force_login(user_with_roles(Role.AUDITOR))
    url = reverse("liability:offer_decline", args=[offer.pk])
    for body in ({}, {"reason": "Not mine to keep"}):
        response = client.post(url, body)
        assert response.status_code == 403, body
        assert b"only they can answer it" in response.content
    offer.refresh_from_db()
    assert offer.status == "pending"


def test_decline_on_the_page(client) -> None:  # type: ignore[no-untyped-def]
    offer = OwnershipOfferFactory()
    client.force_login(offer.to_user)
    empty = client.post(reverse("liability:offer_decline", args=[offer.pk]), {"reason": ""})
    assert empty.status_code == 400
    response = client.post(reverse("liability:offer_decline", args=[offer.pk]), {"reason": "No"})
    assert response.status_code == 302
    offer.refresh_from_db()
    assert offer.status == "declined"


def test_assignment_form_errors_name_the_field(as_officer) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    response = as_officer.post(
        reverse("liability:assignment_create", args=[deployment.pk]),
        {
            "party": str(PartyFactory().pk),
            "raci": "responsible",
            "scope": "security",
            "effective_from": "2026-05-01",
            "effective_to": "2026-04-01",
        },
    )
    assert response.status_code == 400
    assert b"before the start" in response.content or b"before effective_from" in response.content
    assert not AccountabilityAssignment.objects.exists()


def test_art25_marking_on_the_page_shows_the_obligations(as_officer) -> None:  # type: ignore[no-untyped-def]
    system = AISystemFactory(sourcing="vendor", vendor_name="TalentSift Inc.")
    deployment = DeploymentFactory(model_version=ModelVersionFactory(system=system))
    response = as_officer.post(
        reverse("liability:role_shift_create", args=[deployment.pk]),
        {"trigger": "substantially_modified", "explanation": "Retrained", "high_risk_area": ""},
        follow=True,
    )
    body = response.content.decode()
    assert "is the provider of this deployment" in body
    assert "Conformity assessment" in body and "Post-market monitoring" in body


def test_vendors_page_highlights_contracts_expiring_within_sixty_days(as_auditor) -> None:  # type: ignore[no-untyped-def]
    today = timezone.localdate()
    ContractFactory(reference="SOON-1", ends_on=today + dt.timedelta(days=30))
    ContractFactory(reference="LATER-1", ends_on=today + dt.timedelta(days=200))
    page = as_auditor.get(reverse("liability:parties"))
    body = page.content.decode()
    soon_row = body[body.index("SOON-1") - 200 : body.index("SOON-1")]
    later_row = body[body.index("LATER-1") - 200 : body.index("LATER-1")]
    assert 'class="expiring"' in soon_row and 'class="expiring"' not in later_row
    assert "expires soon" in body
    assert "Add party" not in body  # auditors change nothing


def test_auditor_cannot_open_write_pages(as_auditor) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    page = as_auditor.get(reverse("liability:deployment_accountability", args=[deployment.pk]))
    assert page.status_code == 200 and b"Offer accountability" not in page.content
    assert as_auditor.get(reverse("liability:party_create")).status_code == 403
    response = as_auditor.post(
        reverse("liability:offer_create", args=[deployment.pk]), {"reason": "x"}
    )
    assert response.status_code == 403
    assert not Party.objects.exists()


def test_party_and_contract_forms_save_through_services(as_officer) -> None:  # type: ignore[no-untyped-def]
    response = as_officer.post(
        reverse("liability:party_create"),
        {"kind": "insurer", "name": "Harbourline Insurance plc", "website": "harbourline.example"},
    )
    assert response.status_code == 302, response.content
    insurer = Party.objects.get()
    vendor = PartyFactory()
    response = as_officer.post(
        reverse("liability:contract_create"),
        {
            "party": str(vendor.pk),
            "reference": "MSA-9",
            "title": "Services",
            "starts_on": "2026-01-01",
            "ends_on": "2025-01-01",
            "cap_currency": "EUR",
        },
    )
    assert response.status_code == 200 and b"cannot end before it starts" in response.content
    response = as_officer.post(
        reverse("liability:contract_create"),
        {
            "party": str(vendor.pk),
            "reference": "MSA-9",
            "title": "Services",
            "starts_on": "2026-01-01",
            "ends_on": "2027-01-01",
            "cap_currency": "EUR",
            "insurer": str(insurer.pk),
            "insurance_policy_number": "P-1",
        },
    )
    assert response.status_code == 302
    assert LedgerEvent.objects.filter(action="contract.created").count() == 1


def test_system_defaults_page(as_officer) -> None:  # type: ignore[no-untyped-def]
    system = AISystemFactory()
    url = reverse("liability:system_accountability", args=[system.pk])
    assert as_officer.get(url).status_code == 200
    response = as_officer.post(
        url,
        {
            "party": str(PartyFactory().pk),
            "raci": "consulted",
            "scope": "fairness",
            "effective_from": "2026-01-01",
        },
    )
    assert response.status_code == 302
    assert AccountabilityAssignment.objects.get().system == system


def test_tab_inbox_and_vendor_pages_keep_constant_query_counts(
    client, officer, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    maya = user_with_roles(Role.REQUESTER)
    client.force_login(maya)
    pages = [
        reverse("liability:deployment_accountability", args=[deployment.pk]),
        reverse("liability:inbox"),
        reverse("liability:parties"),
    ]

    def grow() -> None:
        person = user_with_roles(Role.LEGAL)
        contract = ContractFactory()
        services.assignment_create(
            actor=officer,
            deployment=deployment,
            party=contract.party,
            contract=contract,
            raci="consulted",
            scope="security",
            effective_from=timezone.localdate(),
        )
        make_owner(deployment, person, offered_by=officer)
        OwnershipOfferFactory(deployment=DeploymentFactory(), to_user=maya)
        services.ownership_offer_create(
            deployment=deployment, to_user=user_with_roles(Role.LEGAL), reason="x", actor=officer
        )

    grow()
    counts = []
    for url in pages:
        with django_assert_max_num_queries(40) as captured:
            assert client.get(url).status_code == 200
        counts.append(len(captured.captured_queries))
    for _ in range(4):
        grow()
    for url, count in zip(pages, counts, strict=True):
        with django_assert_max_num_queries(count):
            client.get(url)
