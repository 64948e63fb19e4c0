"""A material edit says what it voids before it is saved, and the API answers with it."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from governance.approvals import services as approvals
from governance.approvals.models import RequestStatus
from tests.factories.approvals import approve_fully, ready_deployment

pytestmark = pytest.mark.django_db

FORM = {
    "environment": "production",
    "description": "",
    "hosting": "cloud",
    "region": "eu-central-1",
    "data_residency": "",
    "rollout_pattern": "full",
    "traffic_percent": "",
}


def _approved() -> tuple[object, object]:
    deployment, requester, _ = ready_deployment("II")
    approve_fully(approvals.approval_request_create(deployment=deployment, actor=requester))
    deployment.refresh_from_db()
    return deployment, requester


def _form(deployment: object) -> dict[str, str]:
    return {**FORM, "environment": deployment.environment}  # type: ignore[attr-defined]


def test_a_material_edit_lists_what_it_voids_and_saves_nothing_first(client) -> None:  # type: ignore[no-untyped-def]
    deployment, requester = _approved()
    client.force_login(requester)
    url = reverse("inventory:deployment_edit", args=[deployment.pk])
    first = client.post(url, _form(deployment))
    page = first.content.decode()
    assert first.status_code == 200
    assert "saving it voids what was approved" in page
    assert "approved approval request" in page and "2 signatures no longer count" in page
    assert "risk assessment submitted on" in page
    deployment.refresh_from_db()
    assert deployment.region != "eu-central-1"
    assert deployment.approval_requests.get().status == RequestStatus.APPROVED


def test_the_confirmed_second_submit_saves_and_says_what_was_voided(client) -> None:  # type: ignore[no-untyped-def]
    deployment, requester = _approved()
    client.force_login(requester)
    url = reverse("inventory:deployment_edit", args=[deployment.pk])
    second = client.post(url, {**_form(deployment), "confirm_voiding": "yes"}, follow=True)
    deployment.refresh_from_db()
    assert deployment.region == "eu-central-1"
    assert deployment.approval_requests.get().status == RequestStatus.INVALIDATED
    assert "Voided: The approved approval request" in second.content.decode()


def test_a_non_material_edit_saves_at_once(client) -> None:  # type: ignore[no-untyped-def]
    deployment, requester = _approved()
    client.force_login(requester)
    url = reverse("inventory:deployment_edit", args=[deployment.pk])
    form = {**_form(deployment), "region": deployment.region, "description": "notes"}
    form["rollout_pattern"] = deployment.rollout_pattern
    form["traffic_percent"] = deployment.traffic_percent or ""
    form["hosting"] = deployment.hosting
    assert client.post(url, form).status_code == 302


def test_the_api_answers_a_material_update_with_what_it_voided() -> None:
    deployment, requester = _approved()
    api = APIClient()
    api.force_authenticate(requester)
    response = api.patch(
        f"/api/v1/deployments/{deployment.pk}/", {"region": "eu-central-1"}, format="json"
    )
    assert response.status_code == 200
    voided = response.json()["voided"]
    assert len(voided) == 2
    assert "2 signatures no longer count" in voided[0]
    assert "turns stale" in voided[1]
    unchanged = api.patch(f"/api/v1/deployments/{deployment.pk}/", {"description": "x"})
    assert unchanged.json()["voided"] == []


def test_a_material_edit_of_a_live_deployment_is_refused_before_any_confirmation(client) -> None:  # type: ignore[no-untyped-def]
    from governance.inventory.services import deployment_transition

    deployment, requester = _approved()
    deployment_transition(deployment=deployment, to_status="active", actor=requester)
    client.force_login(requester)
    url = reverse("inventory:deployment_edit", args=[deployment.pk])
    first = client.post(url, _form(deployment))
    page = first.content.decode()
    assert first.status_code == 200
    assert "material configuration" in page and "cannot change" in page
    assert "saving it voids what was approved" not in page
    deployment.refresh_from_db()
    assert deployment.region != "eu-central-1"


def test_a_canary_without_a_share_is_refused_before_any_confirmation(client) -> None:  # type: ignore[no-untyped-def]
    deployment, requester = _approved()
    client.force_login(requester)
    url = reverse("inventory:deployment_edit", args=[deployment.pk])
    form = {**_form(deployment), "region": deployment.region, "rollout_pattern": "canary"}
    page = client.post(url, form).content.decode()
    assert "need a traffic percentage" in page
    assert "saving it voids what was approved" not in page
