"""The Annex III point of an AI system: recorded, kept consistent with its area."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse

from governance.core.errors import InvalidInput
from governance.inventory import services
from governance.inventory.choices import AREA_OF_POINT, AnnexIIIPoint, annex_iii_point_label
from governance.inventory.models import AISystem
from governance.ledger.models import LedgerEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def as_requester(client, requester):  # type: ignore[no-untyped-def]
    client.force_login(requester)
    return client


def _system(**fields: Any) -> AISystem:
    return services.ai_system_create(
        actor=UserFactory(), name="Scorer", purpose="Score applicants", **fields
    )


def test_every_point_belongs_to_one_area_and_reads_as_cited() -> None:
    assert set(AREA_OF_POINT) == set(AnnexIIIPoint.values)
    assert AREA_OF_POINT["5b"] == "essential_services" and AREA_OF_POINT["4a"] == "employment"
    assert annex_iii_point_label("5b") == "5(b)" and annex_iii_point_label("2") == "2"


def test_a_point_given_without_an_area_sets_the_area() -> None:
    system = _system(annex_iii_point="5b")

    system.refresh_from_db()
    assert system.annex_iii_area == "essential_services"
    event = LedgerEvent.objects.get(action="ai_system.created")
    assert event.payload["annex_iii_point"] == "5b"


def test_a_point_of_another_area_is_refused_and_nothing_changes() -> None:
    system = _system(annex_iii_area="employment", annex_iii_point="4a")

    with pytest.raises(InvalidInput) as caught:
        services.ai_system_update(
            system=system, actor=UserFactory(), fields={"annex_iii_point": "5b"}
        )

    assert "annex_iii_point" in caught.value.fields
    assert "belongs to the area Essential private and public services" in caught.value.message
    system.refresh_from_db()
    assert system.annex_iii_point == "4a"


def test_the_api_records_the_point_and_refuses_a_contradiction_with_400(api, requester) -> None:  # type: ignore[no-untyped-def]
    client = api(requester)
    created = client.post(
        "/api/v1/systems/",
        {
            "name": "Credit scorer",
            "purpose": "Score loan applicants",
            "annex_iii_point": "5b",
            "public_service": False,
            "nyc_employment_decisions": False,
        },
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["annex_iii_area"] == "essential_services"

    refused = client.patch(
        f"/api/v1/systems/{created.json()['id']}/",
        {"annex_iii_area": "education"},
        format="json",
    )
    assert refused.status_code == 400
    assert "annex_iii_point" in str(refused.json())
    assert AISystem.objects.get(name="Credit scorer").annex_iii_area == "essential_services"

    unknown = client.patch(
        f"/api/v1/systems/{created.json()['id']}/", {"annex_iii_point": "9z"}, format="json"
    )
    assert unknown.status_code == 400 and "annex_iii_point" in str(unknown.json())


def test_the_form_shows_a_contradiction_as_an_error_and_saves_nothing(as_requester) -> None:  # type: ignore[no-untyped-def]
    response = as_requester.post(
        reverse("inventory:system_create"),
        {
            "name": "Screening",
            "purpose": "Rank applicants",
            "sourcing": "in_house",
            "annex_iii_area": "education",
            "annex_iii_point": "4a",
        },
    )

    assert response.status_code == 200
    assert b"belongs to the area Employment and workers management" in response.content
    assert not AISystem.objects.filter(name="Screening").exists()


def test_the_system_page_shows_the_point_and_the_use_facts(as_requester) -> None:  # type: ignore[no-untyped-def]
    system = _system(annex_iii_point="4a", nyc_employment_decisions=True)

    page = as_requester.get(reverse("inventory:system_detail", args=[system.pk]))

    assert b"4(a) Recruitment and selection" in page.content
    assert b"Hiring or promotion in New York City</dt><dd>yes" in page.content


def test_systems_can_be_listed_by_point_and_by_new_york_city_hiring_use(api, requester) -> None:  # type: ignore[no-untyped-def]
    _system(annex_iii_point="4a", nyc_employment_decisions=True)
    services.ai_system_create(
        actor=UserFactory(), name="Lender", purpose="Score loans", annex_iii_point="5b"
    )
    client = api(requester)

    by_point = client.get("/api/v1/systems/", {"annex_iii_point": "5b"}).json()
    by_nyc = client.get("/api/v1/systems/", {"nyc_employment_decisions": "true"}).json()

    assert [s["name"] for s in by_point["results"]] == ["Lender"]
    assert [s["name"] for s in by_nyc["results"]] == ["Scorer"]
