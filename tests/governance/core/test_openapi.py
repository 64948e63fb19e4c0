"""The OpenAPI schema describes what the API answers: empty values, blank choices, errors."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from governance.accounts.roles import Role
from governance.approvals import services as approvals
from governance.liability.services.ai_act import ai_act_role_shift_record
from tests.factories import (
    AISystemFactory,
    BiasAuditFactory,
    DeploymentFactory,
    ReportFactory,
    user_with_roles,
)
from tests.factories.approvals import assess, ready_deployment
from tests.factories.liability import AssignmentFactory
from tests.helpers.openapi import openapi_schema, response_component, schema_errors

pytestmark = pytest.mark.django_db

WRITE_METHODS = ("post", "put", "patch", "delete")


def _read(api: Any, url: str, role: str = Role.ADMIN) -> Any:
    response = api(user_with_roles(role)).get(url)
    assert response.status_code == 200, response.content
    return response.json()


def test_report_that_supersedes_nothing_matches_the_schema(api: Any) -> None:
    report = ReportFactory()
    body = _read(api, f"/api/v1/reports/{report.pk}/")
    assert body["supersedes"] is None
    assert body["superseded_by"] is None
    assert schema_errors(body, "Report") == []


def test_latest_assessment_matches_the_schema(api: Any, requester: Any) -> None:
    assessment = assess(DeploymentFactory(), "II", requester)
    body = _read(
        api, f"/api/v1/deployments/{assessment.deployment_id}/risk-assessments/{assessment.pk}/"
    )
    assert body["superseded_by"] is None
    assert schema_errors(body, "Assessment") == []


def test_assignment_without_contract_or_ai_act_role_matches_the_schema(api: Any) -> None:
    assignment = AssignmentFactory(contract=None, ai_act_role="")
    body = _read(api, f"/api/v1/assignments/{assignment.pk}/")
    assert body["ai_act_role"] == ""
    for name in ("contract_reference", "indemnity", "liability_cap", "insurance_expires_on"):
        assert body[name] is None
    assert schema_errors(body, "Assignment") == []


def test_role_shift_without_high_risk_area_matches_the_schema(api: Any, admin_user: Any) -> None:
    # A bought-in model: the organisation is its deployer until a shift makes it the provider.
    deployment = DeploymentFactory(
        model_version__system__sourcing="vendor", model_version__system__vendor_name="Acme"
    )
    ai_act_role_shift_record(
        deployment=deployment, trigger="rebranded", explanation="Sold as ours.", actor=admin_user
    )
    (body,) = _read(api, f"/api/v1/deployments/{deployment.pk}/ai-act-role-shifts/")
    assert body["high_risk_area"] == ""
    assert schema_errors(body, "RoleShift") == []


def test_draft_bias_audit_without_finaliser_matches_the_schema(api: Any) -> None:
    audit = BiasAuditFactory()
    body = _read(api, f"/api/v1/bias-audits/{audit.pk}/")
    assert body["finalised_by"] is None
    assert schema_errors(body, "BiasAudit") == []


def _operations() -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in openapi_schema()["paths"].items()
        if path.startswith("/api/v1/")
        for method, operation in item.items()
        if method in ("get", *WRITE_METHODS)
    ]


def test_every_operation_lists_its_error_answers() -> None:
    missing = []
    for path, method, operation in _operations():
        expected = {"401", "403"}
        if method in WRITE_METHODS:
            expected |= {"400", "409"}
        if "{" in path:
            expected.add("404")
        if "requestBody" in operation:
            expected.add("413")
        absent = expected - set(operation["responses"])
        if absent:
            missing.append((method, path, sorted(absent)))
    assert missing == []


def _assert_documented(response: Any, path: str, method: str) -> None:
    component = response_component(path, method, response.status_code)
    assert schema_errors(response.json(), component) == [], response.content


def test_error_answers_match_their_documented_components(api: Any) -> None:
    system = AISystemFactory()
    deployment = DeploymentFactory()
    auditor = api(user_with_roles(Role.AUDITOR))
    admin = api(user_with_roles(Role.ADMIN))

    answers = [
        (api().get("/api/v1/systems/"), "/api/v1/systems/", "get", 401),
        (auditor.post("/api/v1/systems/", {}, format="json"), "/api/v1/systems/", "post", 403),
        (admin.post("/api/v1/systems/", {}, format="json"), "/api/v1/systems/", "post", 400),
        (auditor.get(f"/api/v1/systems/{uuid.uuid4()}/"), "/api/v1/systems/{id}/", "get", 404),
        (
            admin.post(
                f"/api/v1/deployments/{deployment.pk}/transition/", {"to": "draft"}, format="json"
            ),
            "/api/v1/deployments/{id}/transition/",
            "post",
            409,
        ),
    ]
    assert system.pk
    for response, path, method, status in answers:
        assert response.status_code == status, (path, response.content)
        _assert_documented(response, path, method)


def test_a_refusal_not_tied_to_a_field_is_an_object_with_its_messages(api: Any) -> None:
    # A null character in the search term is refused by a filter before any field is read.
    response = api(user_with_roles(Role.AUDITOR)).get(
        "/api/v1/risk-methodologies/", {"search": "a\x00b"}
    )
    assert response.status_code == 400
    assert response.json() == {"detail": ["Null characters are not allowed."]}
    _assert_documented(response, "/api/v1/risk-methodologies/", "get")


def test_a_signature_lockout_matches_its_documented_429(api: Any, settings: Any) -> None:
    deployment, requester, _ = ready_deployment("I")
    approval = approvals.approval_request_create(deployment=deployment, actor=requester)
    client = api(user_with_roles(Role.REVIEWER))
    url = f"/api/v1/approval-requests/{approval.pk}/signoffs/"
    body = {"decision": "approve", "meaning": "x", "password": "wrong-guess"}
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        client.post(url, body, format="json")
    locked = client.post(url, body, format="json")
    assert locked.status_code == 429
    _assert_documented(locked, "/api/v1/approval-requests/{id}/signoffs/", "post")
