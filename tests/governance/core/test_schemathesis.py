"""Every API operation answers what the OpenAPI schema at /api/schema/ says it answers.

Schemathesis reads the live schema from the Django application in-process (WSGI, no server)
and sends generated requests to every operation, as a requester and as an auditor, against
the demo portfolio. Each answer must be no server error, carry a status code the operation
lists, and have a body that validates against the schema of that status code.

The run is bounded so it fits in `make test`: a fixed number of generated examples per
operation, a fixed seed, derandomized generation, no shrinking and no example database.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections, transaction
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi import checks

from governance.accounts.models import User
from governance.accounts.permissions import mintable_scopes
from governance.accounts.services import api_token_create

EXAMPLES_PER_OPERATION = 5
SEED = 20240601

CONFIG = SchemathesisConfig.from_dict(
    {
        "seed": SEED,
        # Health checks time data generation, which on a loaded two-core machine is noise.
        "suppress-health-check": ["all"],
        "generation": {
            "mode": "positive",
            "max-examples": EXAMPLES_PER_OPERATION,
            "deterministic": True,
            "no-shrink": True,
            "database": "none",
        },
        # Only generated examples: the schema has no explicit ones, and the coverage phase's
        # exhaustive boundary cases would multiply the run's length.
        "phases": {
            "examples": {"enabled": False},
            "coverage": {"enabled": False},
            "stateful": {"enabled": False},
        },
    }
)

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application(), config=CONFIG)

CHECKS = [
    not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]
ROLES = ("requester", "auditor")
PARAMETER = re.compile(r"\{([^}]+)\}")

# Each operation's generated writes are rolled back before the next operation runs.
pytestmark = pytest.mark.django_db


def _first_id(client: Any, collection: str, key: str) -> Any:
    response = client.get(collection, {"page_size": 200})
    if response.status_code == 404:
        return None
    assert response.status_code == 200, (collection, response.content)
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    return rows[0][key] if rows else None


class World:
    """The seeded records each path parameter is filled from, found through the API itself.

    Nested routes use the deployment with the most nested records; a detail route uses the
    first record its list shows.
    """

    def __init__(self, admin: User) -> None:
        from rest_framework.test import APIClient

        self.client = APIClient()
        self.client.force_authenticate(admin)
        self.deployment = self._richest_deployment()
        # Resolved up front: the test client reconnects the connection-closing signal handlers
        # after each of its requests, which must not happen while an operation is exercised.
        self.values = {template: self._resolve(template) for template in schema.raw_schema["paths"]}

    def _richest_deployment(self) -> Any:
        rows = self.client.get("/api/v1/deployments/", {"page_size": 200}).json()["results"]
        nested = (
            "risk-assessments",
            "risks",
            "assignments",
            "ownership-offers",
            "approval-requests",
        )

        def richness(row: dict[str, Any]) -> int:
            return sum(
                bool(_first_id(self.client, f"/api/v1/deployments/{row['id']}/{name}/", "id"))
                for name in nested
            )

        return max(rows, key=richness)["id"]

    def _resolve(self, template: str) -> dict[str, Any]:
        values: dict[str, Any] = {}
        path = template
        for match in PARAMETER.finditer(template):
            name = match.group(1)
            collection = path[: path.index(match.group(0))]
            if name == "deployment_pk" or collection == "/api/v1/deployments/":
                value = self.deployment
            else:
                key = "seq" if name == "seq" else "id"
                value = _first_id(self.client, collection, key)
                if value is None and collection.count("/") == 4:
                    # Records with no top-level list (/assignments/{id}/) are listed under
                    # their deployment.
                    nested = collection.replace(
                        "/api/v1/", f"/api/v1/deployments/{self.deployment}/"
                    )
                    value = _first_id(self.client, nested, key)
            if value is None:
                break
            values[name] = value
            path = path.replace(match.group(0), str(value), 1)
        return values


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    # One demo portfolio for the whole module, rolled back at the end like a test's data.
    with django_db_blocker.unblock():
        atomic = transaction.atomic()
        atomic.__enter__()
        try:
            call_command("seed_demo", stdout=io.StringIO())
            users = {u.username: u for u in User.objects.filter(username__in=[*ROLES, "admin"])}
            tokens = {
                # Every scope the role may give, so the roles' own permissions are what is tested.
                role: api_token_create(
                    user=users[role], name="schemathesis", scopes=mintable_scopes(users[role])
                )
                for role in ROLES
            }
            yield {"tokens": tokens, "world": World(users["admin"])}
        finally:
            transaction.set_rollback(True)
            atomic.__exit__(None, None, None)


@pytest.fixture(autouse=True)
def _connection_kept_open() -> Iterator[None]:
    # The WSGI handler closes the connection around each request, as in production; here the
    # connection holds the test's transaction, so it stays open (Django's test client does the
    # same for its own requests).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


def _exercise(case: Any, world: dict[str, Any], role: str) -> None:
    # Path parameters name seeded records, so answers carry real data (nulls, blanks, nested
    # rows) rather than 404s; unknown ids are the contract tests' subject.
    case.path_parameters = {
        **(case.path_parameters or {}),
        **world["world"].values[case.path],
    }
    case.call_and_validate(
        headers={"Authorization": f"Token {world['tokens'][role]}"}, checks=CHECKS
    )


@schema.parametrize()
def test_api_answers_the_requester_as_the_schema_says(case: Any, world: dict[str, Any]) -> None:
    _exercise(case, world, "requester")


@schema.parametrize()
def test_api_answers_the_auditor_as_the_schema_says(case: Any, world: dict[str, Any]) -> None:
    _exercise(case, world, "auditor")
