"""Every failure under /api/ answers JSON `{"detail": ...}` with the right status."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from governance.accounts.roles import Role
from governance.core.parsers import MAX_JSON_DEPTH, nested_deeper_than
from tests.factories import DeploymentFactory, user_with_roles
from tests.governance.core.error_urls import SECRET

pytestmark = pytest.mark.django_db

ERROR_URLS = pytest.mark.urls("tests.governance.core.error_urls")


def _nested(levels: int) -> str:
    return '{"name": ' + "[" * levels + "]" * levels + "}"


def _client(role: str) -> APIClient:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user_with_roles(role))
    return client


def _assert_json_error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"].startswith("application/json"), response["Content-Type"]
    body: dict[str, Any] = json.loads(response.content)
    assert isinstance(body.get("detail"), str) and body["detail"], body
    return body


@pytest.mark.parametrize(
    ("role", "path"),
    [
        (Role.AUDITOR, "/api/v1/reports/verify/"),
        (Role.REQUESTER, "/api/v1/systems/"),
        (Role.REQUESTER, "/api/v1/bias-audits/"),
        (Role.COMPLIANCE_OFFICER, "/api/v1/reports/"),
        (Role.ADMIN, "/api/v1/parties/"),
    ],
)
def test_json_nested_thousands_deep_is_a_400_not_a_crash(role: str, path: str) -> None:
    response = _client(role).post(path, _nested(2000), content_type="application/json")
    body = _assert_json_error(response, 400)
    assert f"nested deeper than {MAX_JSON_DEPTH} levels" in body["detail"]


def test_json_that_decodes_but_nests_too_deep_is_refused_before_any_serializer() -> None:
    deployment = DeploymentFactory()
    answers = "[" * 300 + "]" * 300
    response = _client(Role.REQUESTER).post(
        f"/api/v1/deployments/{deployment.pk}/risk-assessments/",
        f'{{"methodology": "x", "version": "1", "answers": {answers}}}',
        content_type="application/json",
    )
    body = _assert_json_error(response, 400)
    assert "nested deeper than" in body["detail"]


def test_a_form_field_holding_deep_json_gets_a_field_error() -> None:
    deployment = DeploymentFactory()
    response = _client(Role.REQUESTER).post(
        f"/api/v1/deployments/{deployment.pk}/risk-assessments/",
        {"methodology": "x", "version": "1", "answers": "[" * 2000 + "]" * 2000},
        format="multipart",
    )
    assert response.status_code == 400, response.content[:300]
    assert response.json()["answers"] == [f"JSON nested deeper than {MAX_JSON_DEPTH} levels."]


def test_nesting_depth_is_counted_in_lists_and_objects() -> None:
    at_limit: Any = 1
    for level in range(MAX_JSON_DEPTH):
        at_limit = [at_limit] if level % 2 else {"k": at_limit}
    assert not nested_deeper_than(at_limit)
    assert nested_deeper_than([at_limit])
    assert not nested_deeper_than("[[[")


def test_a_body_over_the_upload_limit_is_a_json_413(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"sha256": "a" * 2000})
    response = _client(Role.AUDITOR).post(
        "/api/v1/reports/verify/", body, content_type="application/json"
    )
    detail = _assert_json_error(response, 413)["detail"]
    assert "larger than the limit of 1,000 bytes" in detail


def test_a_form_body_over_the_upload_limit_is_a_json_413(settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    response = _client(Role.REQUESTER).post(
        "/api/v1/systems/",
        "name=" + "a" * 2000,
        content_type="application/x-www-form-urlencoded",
    )
    _assert_json_error(response, 413)


def test_unknown_api_paths_are_a_json_404_and_pages_keep_html(client: Client) -> None:
    body = _assert_json_error(_client(Role.REQUESTER).get("/api/v1/no-such-thing/"), 404)
    assert body == {"detail": "Not found."}
    _assert_json_error(APIClient().get("/api/v2/"), 404)
    page = client.get("/no-such-page/")
    assert page.status_code == 404 and page["Content-Type"].startswith("text/html")


def test_unknown_api_paths_are_json_in_debug_mode_too(settings: Any) -> None:
    settings.DEBUG = True
    _assert_json_error(APIClient().get("/api/v1/no-such-thing/"), 404)


def test_a_wrong_method_is_a_json_405_with_allow() -> None:
    body = _assert_json_error(_client(Role.REQUESTER).delete("/api/v1/me/"), 405)
    assert body["detail"] == 'Method "DELETE" not allowed.'


@ERROR_URLS
def test_a_plain_view_refusing_the_method_answers_json_405_with_allow() -> None:
    response = APIClient().get("/api/v1/test/post-only/")
    assert _assert_json_error(response, 405)["detail"] == 'Method "GET" not allowed.'
    assert response["Allow"] == "POST"


@ERROR_URLS
@pytest.mark.parametrize("path", ["/api/v1/test/raises/", "/api/v1/test/drf-raises/"])
def test_an_unhandled_exception_is_a_json_500_without_details(path: str) -> None:
    response = Client(raise_request_exception=False).get(path)
    body = _assert_json_error(response, 500)
    assert body == {"detail": "Server error. It has been logged; nothing was half-saved."}
    assert b"hunter2" not in response.content and b"Traceback" not in response.content
    assert SECRET not in response.content.decode()


@ERROR_URLS
def test_an_unhandled_exception_on_a_page_keeps_the_html_page() -> None:
    response = Client(raise_request_exception=False).get("/test/raises/")
    assert response.status_code == 500 and response["Content-Type"].startswith("text/html")


@ERROR_URLS
def test_a_csrf_failure_under_the_api_is_json() -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(user_with_roles(Role.REQUESTER))
    body = _assert_json_error(client.post("/api/v1/test/post-only/"), 403)
    assert body["detail"].startswith("CSRF Failed:")


@ERROR_URLS
def test_a_json_429_passes_through_and_an_html_one_becomes_json() -> None:
    kept = APIClient().get("/api/v1/test/json-429/")
    assert kept.status_code == 429 and kept.json() == {
        "detail": "Account locked.",
        "retry_after": 60,
    }
    converted = APIClient().get("/api/v1/test/html-429/")
    assert _assert_json_error(converted, 429)["detail"] == "Too many requests; try again later."
    assert converted["Retry-After"] == "60"
