from __future__ import annotations

import pytest

from governance.accounts.roles import Role
from governance.ledger.models import LedgerEvent
from tests.factories import AISystemFactory, DeploymentFactory, ModelVersionFactory, user_with_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(api, requester):  # type: ignore[no-untyped-def]
    return api(requester)


def test_create_system_version_and_deployment_through_the_api(client) -> None:  # type: ignore[no-untyped-def]
    system = client.post(
        "/api/v1/systems/",
        {
            "name": "Loan scorer",
            "purpose": "Score loans",
            "annex_iii_area": "essential_services",
            "profiles_natural_persons": True,
        },
        format="json",
    )
    assert system.status_code == 201, system.content
    version = client.post(
        "/api/v1/model-versions/",
        {
            "system": system.json()["id"],
            "version_label": "1.0",
            "artifact_uri": "s3://x",
            "artifact_sha256": "ab" * 32,
            "evaluation_metrics": {"auc": 0.8},
        },
        format="json",
    )
    assert version.status_code == 201, version.content
    deployment = client.post(
        "/api/v1/deployments/",
        {
            "model_version": version.json()["id"],
            "environment": "prod-eu",
            "hosting": "cloud",
            "region": "eu-west-1",
            "rollout_pattern": "canary",
            "traffic_percent": 10,
        },
        format="json",
    )
    assert deployment.status_code == 201, deployment.content
    body = deployment.json()
    assert body["status"] == "draft" and len(body["fingerprint"]) == 64
    assert body["system"]["name"] == "Loan scorer"
    assert LedgerEvent.objects.filter(action="deployment.created").count() == 1


def test_bad_fields_get_400_naming_the_field(client) -> None:  # type: ignore[no-untyped-def]
    version = ModelVersionFactory()
    response = client.post(
        "/api/v1/deployments/",
        {
            "model_version": str(version.pk),
            "environment": "Prod EU!",
            "hosting": "moon",
            "region": "x",
            "rollout_pattern": "canary",
            "traffic_percent": 150,
        },
        format="json",
    )
    assert response.status_code == 400
    assert {"environment", "hosting", "traffic_percent"} <= set(response.json())


def test_status_cannot_be_set_by_update(client) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    response = client.patch(
        f"/api/v1/deployments/{deployment.pk}/", {"status": "approved"}, format="json"
    )
    assert response.status_code == 200
    deployment.refresh_from_db()
    assert deployment.status == "draft"


def test_illegal_transition_gets_409_with_message(client) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    response = client.post(
        f"/api/v1/deployments/{deployment.pk}/transition/",
        {"to": "approved", "reason": "please"},
        format="json",
    )
    assert response.status_code == 409
    assert response.json()["detail"] == "A deployment cannot go from draft to approved."


def test_unknown_status_gets_400(client) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    response = client.post(
        f"/api/v1/deployments/{deployment.pk}/transition/", {"to": "launched"}, format="json"
    )
    assert response.status_code == 400 and "to" in response.json()


def test_allowed_manual_transition_through_the_api(client) -> None:  # type: ignore[no-untyped-def]
    deployment = DeploymentFactory()
    response = client.post(
        f"/api/v1/deployments/{deployment.pk}/transition/",
        {"to": "retired", "reason": "replaced"},
        format="json",
    )
    assert response.status_code == 200 and response.json()["status"] == "retired"


def test_unknown_id_gets_404(client) -> None:  # type: ignore[no-untyped-def]
    assert (
        client.get("/api/v1/deployments/00000000-0000-0000-0000-000000000000/").status_code == 404
    )
    assert client.get("/api/v1/deployments/123/").status_code == 404


def test_list_filters_and_paginates(client) -> None:  # type: ignore[no-untyped-def]
    system = AISystemFactory(name="Chatbot")
    for _ in range(3):
        DeploymentFactory(model_version=ModelVersionFactory(system=system))
    DeploymentFactory(status="retired")
    response = client.get("/api/v1/deployments/", {"system": str(system.pk), "page_size": 2})
    body = response.json()
    assert body["count"] == 3 and len(body["results"]) == 2 and body["next"]
    assert client.get("/api/v1/deployments/", {"status": "retired"}).json()["count"] == 1
    assert client.get("/api/v1/deployments/", {"q": "chatbot"}).json()["count"] == 3
    assert client.get("/api/v1/deployments/", {"status": "bogus"}).status_code == 400


def test_list_query_count_does_not_grow(db, api, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    client = api(user_with_roles(Role.AUDITOR))
    for _ in range(3):
        DeploymentFactory()
    with django_assert_max_num_queries(4) as small:
        client.get("/api/v1/deployments/")
    for _ in range(20):
        DeploymentFactory()
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get("/api/v1/deployments/")


def test_user_without_roles_sees_nothing(db, api) -> None:  # type: ignore[no-untyped-def]
    DeploymentFactory()
    response = api(user_with_roles()).get("/api/v1/deployments/")
    assert response.status_code == 403
