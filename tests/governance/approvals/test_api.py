from __future__ import annotations

import pytest

from governance.accounts.roles import Role
from governance.approvals import services
from governance.approvals.models import GateDecision
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.approvals import approve_fully, ready_deployment, sign

pytestmark = pytest.mark.django_db


def test_request_sign_and_gate_through_the_api(api) -> None:  # type: ignore[no-untyped-def]
    deployment, requester, _ = ready_deployment("I")
    response = api(requester).post(
        f"/api/v1/deployments/{deployment.pk}/approval-requests/", {"reason": "v2"}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "pending" and body["tier"] == "I" and len(body["dossier_hash"]) == 64
    assert body["you_may_sign"] is False and "You asked" in body["why_not"]

    reviewer = user_with_roles(Role.REVIEWER)
    client = api(reviewer)
    detail = client.get(f"/api/v1/approval-requests/{body['id']}/").json()
    assert detail["you_may_sign"] is True
    meaning = detail["meanings"]["approve"]
    gate = client.get(f"/api/v1/deployments/{deployment.pk}/gate/").json()
    assert gate["allowed"] is False and gate["reasons"]

    wrong = client.post(
        f"/api/v1/approval-requests/{body['id']}/signoffs/",
        {
            "decision": "approve",
            "meaning": meaning,
            "password": "nope",
        },
        format="json",
    )
    assert wrong.status_code == 403 and "password" in wrong.json()["detail"]

    signed = client.post(
        f"/api/v1/approval-requests/{body['id']}/signoffs/",
        {
            "decision": "approve",
            "meaning": meaning,
            "password": PASSWORD,
            "conditions": "canary at most 5 % for two weeks",
            "stage": 1,
        },
        format="json",
    )
    assert signed.status_code == 201, signed.content
    assert signed.json()["printed_name"] == reviewer.get_full_name()

    again = api(user_with_roles(Role.REVIEWER)).post(
        f"/api/v1/approval-requests/{body['id']}/signoffs/",
        {"decision": "approve", "meaning": meaning, "password": PASSWORD},
        format="json",
    )
    assert again.status_code == 409

    gate = client.get(f"/api/v1/deployments/{deployment.pk}/gate/").json()
    assert gate["allowed"] is True, gate["reasons"]
    assert gate["conditions"] == ["canary at most 5 % for two weeks"]
    assert gate["approval"]["tier"] == "I" and gate["expires_at"]
    system = deployment.model_version.system.name
    lookup = client.get(
        "/api/v1/gate/",
        {
            "system": system,
            "version": deployment.model_version.version_label,
            "environment": deployment.environment,
        },
    )
    assert lookup.status_code == 200 and lookup.json()["deployment"] == str(deployment.pk)
    assert GateDecision.objects.filter(deployment=deployment).count() == 3
    assert GateDecision.objects.filter(allowed=True, asked_by=reviewer).count() == 2


def test_segregation_refusal_is_403_with_the_reason(api) -> None:  # type: ignore[no-untyped-def]
    deployment, requester, _ = ready_deployment("I")
    approval = services.approval_request_create(deployment=deployment, actor=requester)
    legal = user_with_roles(Role.LEGAL, Role.REVIEWER)
    sign(approval, legal)
    other = user_with_roles(Role.LEGAL)
    response = api(other).post(
        f"/api/v1/approval-requests/{approval.pk}/signoffs/",
        {
            "decision": "approve",
            "meaning": "x",
            "password": PASSWORD,
        },
        format="json",
    )
    assert response.status_code in (403, 409)


def test_signoff_input_errors_are_400(api) -> None:  # type: ignore[no-untyped-def]
    deployment, requester, _ = ready_deployment("I")
    approval = services.approval_request_create(deployment=deployment, actor=requester)
    client = api(user_with_roles(Role.REVIEWER))
    url = f"/api/v1/approval-requests/{approval.pk}/signoffs/"
    assert (
        client.post(url, {"decision": "maybe", "password": "x"}, format="json").status_code == 400
    )
    response = client.post(
        url, {"decision": "reject", "meaning": "x", "password": PASSWORD}, format="json"
    )
    assert response.status_code == 400 and "comment" in response.json()


def test_gate_lookup_needs_all_parameters_and_a_known_deployment(api) -> None:  # type: ignore[no-untyped-def]
    client = api(user_with_roles(Role.AUDITOR))
    response = client.get("/api/v1/gate/", {"system": "x"})
    assert response.status_code == 400 and "version" in response.json()
    response = client.get("/api/v1/gate/", {"system": "x", "version": "1", "environment": "e"})
    assert response.status_code == 404


def test_gate_query_count_is_constant(api, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    from django.core.cache import cache

    deployment, requester, _ = ready_deployment("II")
    approve_fully(services.approval_request_create(deployment=deployment, actor=requester))
    client = api(user_with_roles(Role.AUDITOR))
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    client.get(url)
    cache.clear()
    with django_assert_max_num_queries(20) as first:
        assert client.get(url).json()["allowed"] is True
    other, other_requester, _ = ready_deployment("IV")
    approve_fully(services.approval_request_create(deployment=other, actor=other_requester))
    for _ in range(5):
        DeploymentFactory()
    cache.clear()
    with django_assert_max_num_queries(len(first.captured_queries)):
        assert client.get(f"/api/v1/deployments/{other.pk}/gate/").json()["allowed"] is True
    # Asked again with nothing recorded in between, the answer is reused.
    with django_assert_max_num_queries(len(first.captured_queries) - 3):
        assert client.get(f"/api/v1/deployments/{other.pk}/gate/").json()["allowed"] is True


def test_a_known_answer_costs_four_queries_on_the_full_path(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    # The ledger head (to keep the answer for a replay); the token with its user and roles;
    # the deployment with the ledger head; the decision. (Asked again, the same pipeline
    # gets a replay: test_gate_replay.py.)
    from rest_framework.test import APIClient

    from governance.accounts.services import api_token_create
    from governance.approvals import gate_replay

    deployment, requester, _ = ready_deployment("II")
    approve_fully(services.approval_request_create(deployment=deployment, actor=requester))
    client = APIClient()
    key = api_token_create(user=user_with_roles(Role.AUDITOR), scopes=["gate:read"])
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    assert client.get(url).json()["allowed"] is True
    gate_replay.forget_all()
    with django_assert_num_queries(4):
        assert client.get(url).json()["allowed"] is True
    assert GateDecision.objects.filter(deployment=deployment).count() == 2


def test_the_gate_refuses_unknown_deployments_and_users_without_roles(api) -> None:  # type: ignore[no-untyped-def]
    import uuid

    deployment, requester, _ = ready_deployment("I")
    approve_fully(services.approval_request_create(deployment=deployment, actor=requester))
    auditor = api(user_with_roles(Role.AUDITOR))
    assert auditor.get(f"/api/v1/deployments/{uuid.uuid4()}/gate/").status_code == 404
    roleless = api(user_with_roles())
    assert roleless.get(f"/api/v1/deployments/{deployment.pk}/gate/").status_code == 403
    assert not GateDecision.objects.exists()


def test_a_reused_gate_answer_never_outlives_a_recorded_change(api) -> None:  # type: ignore[no-untyped-def]
    from governance.inventory.services import deployment_update

    deployment, requester, _ = ready_deployment("I")
    approve_fully(services.approval_request_create(deployment=deployment, actor=requester))
    client = api(user_with_roles(Role.AUDITOR))
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    assert client.get(url).json()["allowed"] is True
    assert client.get(url).json()["allowed"] is True
    deployment_update(deployment=deployment, actor=requester, fields={"region": "us-east-1"})
    body = client.get(url).json()
    assert body["allowed"] is False and body["reasons"]
    assert GateDecision.objects.filter(deployment=deployment).count() == 3


def test_only_admins_version_policies(api) -> None:  # type: ignore[no-untyped-def]
    from governance.approvals.defaults import ensure_default_policies

    ensure_default_policies()
    stages = [
        {
            "name": "Review",
            "required_role": "reviewer",
            "quorum": 1,
            "sla_hours": 24,
            "escalation_role": "compliance_officer",
        }
    ]
    body = {"tier": "II", "recertification_months": 6, "stages": stages}
    assert (
        api(user_with_roles(Role.COMPLIANCE_OFFICER))
        .post("/api/v1/approval-policies/", body, format="json")
        .status_code
        == 403
    )
    response = api(user_with_roles(Role.ADMIN)).post(
        "/api/v1/approval-policies/", body, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["version"] == 2 and response.json()["is_current"] is True
    bad = {**body, "stages": [{**stages[0], "required_role": "wizard"}]}
    response = api(user_with_roles(Role.ADMIN)).post(
        "/api/v1/approval-policies/", bad, format="json"
    )
    assert response.status_code == 400 and "stages" in response.json()


def test_withdraw_through_the_api(api) -> None:  # type: ignore[no-untyped-def]
    deployment, requester, _ = ready_deployment("I")
    approval = services.approval_request_create(deployment=deployment, actor=requester)
    other = user_with_roles(Role.REQUESTER)
    assert (
        api(other)
        .post(f"/api/v1/approval-requests/{approval.pk}/withdraw/", {}, format="json")
        .status_code
        == 403
    )
    response = api(requester).post(
        f"/api/v1/approval-requests/{approval.pk}/withdraw/", {"reason": "rebuild"}, format="json"
    )
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
