"""Every API endpoint, found from the OpenAPI schema, answers errors the same way.

Anonymous → 401, auditor writing → 403, malformed JSON → 400, and nothing ever 500s. New
endpoints are covered as soon as they appear in the schema; add a sample object for their
path prefix to SAMPLE_IDS so that detail routes are exercised with a real record.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from governance.accounts.roles import Role
from tests.factories import (
    AISystemFactory,
    BiasAuditFactory,
    DatasetFactory,
    DeploymentFactory,
    ExportFactory,
    ModelVersionFactory,
    ReportFactory,
    user_with_roles,
)
from tests.factories.findings import raise_finding
from tests.factories.liability import liability_sample_ids
from tests.factories.obligations import evidence_document
from tests.factories.risk import load_shipped

WRITE_METHODS = ("post", "put", "patch", "delete")
GARBAGE_BODIES: list[Any] = [
    [],
    "text",
    {"to": 5, "name": {"x": 1}, "id": "not-a-uuid"},
    {"deployment": "00000000-0000-0000-0000-000000000000", "kind": "nope"},
    dict.fromkeys(("name", "environment", "model_version", "decision", "password")),
]


def _endpoints() -> list[tuple[str, str]]:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    return [
        (path, method)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method in operations
        if method in ("get", *WRITE_METHODS)
    ]


ENDPOINTS = _endpoints()


def _sample_ids() -> dict[str, Callable[[], Any]]:
    return {
        "systems": lambda: AISystemFactory().pk,
        "datasets": lambda: DatasetFactory().pk,
        "model-versions": lambda: ModelVersionFactory().pk,
        "deployments": lambda: DeploymentFactory().pk,
        "ledger": lambda: 1,
        "bias-audits": lambda: BiasAuditFactory().pk,
        **liability_sample_ids(),
        "risk-methodologies": lambda: load_shipped().pk,
        "reports": lambda: ReportFactory().pk,
        "exports": lambda: ExportFactory().pk,
        "findings": lambda: raise_finding().pk,
        "evidence": lambda: evidence_document().pk,
    }


def _fill(path: str, ids: dict[str, Any]) -> str:
    prefix = path.removeprefix("/api/v1/").split("/", 1)[0]
    value = ids.get(prefix, uuid.uuid4())
    return re.sub(r"\{[^}]+\}", str(value), path)


@pytest.fixture
def sample_ids(db: None) -> dict[str, Any]:
    from governance.ledger.services import ledger_append

    ledger_append(actor=None, action="test.sample", data={})
    return {prefix: make() for prefix, make in _sample_ids().items()}


def test_schema_lists_the_inventory_endpoints() -> None:
    paths = {path for path, _ in ENDPOINTS}
    for expected in (
        "/api/v1/systems/",
        "/api/v1/datasets/",
        "/api/v1/model-versions/",
        "/api/v1/deployments/",
        "/api/v1/deployments/{id}/transition/",
        "/api/v1/notifications/",
        *OWN_INBOX_POSTS,
    ):
        assert expected in paths


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "method"), ENDPOINTS)
def test_anonymous_requests_get_401(path: str, method: str, sample_ids: dict[str, Any]) -> None:
    response = getattr(APIClient(), method)(_fill(path, sample_ids), {}, format="json")
    assert response.status_code == 401, response.content


# POSTs that only read (checking a document against the records) are open to every reader;
# tests/audits/reports/test_api.py proves auditors may use them.
READ_ONLY_POSTS = {"/api/v1/reports/verify/"}
# POSTs that change only the caller's own inbox (marking their notifications read), which
# auditors may do too (tests/governance/notifications/test_api.py). There is no sample record
# for them: each person sees only their own notifications, so a record made for the contract
# is someone else's, a 404 like the unknown id the contract uses.
OWN_INBOX_POSTS = {"/api/v1/notifications/{id}/read/", "/api/v1/notifications/read-all/"}


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "method"),
    [
        (p, m)
        for p, m in ENDPOINTS
        if m in WRITE_METHODS and p not in READ_ONLY_POSTS | OWN_INBOX_POSTS
    ],
)
def test_auditor_writing_gets_403(path: str, method: str, sample_ids: dict[str, Any]) -> None:
    client = APIClient()
    client.force_authenticate(user_with_roles(Role.AUDITOR))
    response = getattr(client, method)(_fill(path, sample_ids), {}, format="json")
    assert response.status_code == 403, response.content


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(OWN_INBOX_POSTS))
def test_auditor_posting_to_their_own_inbox_is_not_refused(
    path: str, sample_ids: dict[str, Any]
) -> None:
    client = APIClient()
    client.force_authenticate(user_with_roles(Role.AUDITOR))
    response = client.post(_fill(path, sample_ids), {}, format="json")
    assert response.status_code in (200, 404), response.content


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("path", "method"), [(p, m) for p, m in ENDPOINTS if m in ("post", "put", "patch")]
)
def test_malformed_json_gets_400_with_a_message(
    path: str, method: str, sample_ids: dict[str, Any]
) -> None:
    client = APIClient()
    client.force_authenticate(user_with_roles(Role.ADMIN))
    response = getattr(client, method)(
        _fill(path, sample_ids), data='{"broken": ', content_type="application/json"
    )
    prefix = path.removeprefix("/api/v1/").split("/", 1)[0]
    if "{" in path and prefix not in sample_ids:
        # No sample record for this route: the lookup fails before the body is read.
        assert response.status_code == 404, response.content
        return
    assert response.status_code == 400, response.content
    assert response.json()


@pytest.mark.django_db
@pytest.mark.parametrize(("path", "method"), ENDPOINTS)
def test_garbage_input_never_causes_a_server_error(
    path: str, method: str, sample_ids: dict[str, Any]
) -> None:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user_with_roles(Role.ADMIN))
    url = _fill(path, sample_ids)
    bodies = GARBAGE_BODIES if method in WRITE_METHODS else [{}]
    for body in bodies:
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code < 500, (body, response.content)
    if method == "get":
        response = client.get(url, {"page": "x", "status": "bogus", "ordering": "nope"})
        assert response.status_code < 500
