"""README "Running in production", followed literally on a database that `migrate` built.

No demo data and no test factories: the people come from `add_user`, the pipeline's tokens
from `create_api_token`, the risk methodology and the approval policies from the migrations,
and everything else from the API, up to an open gate.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

pytestmark = pytest.mark.django_db

PASSWORD = "a-long-unusual-passphrase-42"

# Answers to the shipped impact and EU AI Act questionnaires for a low-impact internal tool.
ANSWERS = {
    "autonomy": "advisory",
    "reversibility": "reversible",
    "domain": "internal",
    "people_affected": "under_1k",
    "vulnerability": ["none"],
    "data": ["none"],
    "data_source": "first_party",
    "opacity": "interpretable",
    "third_party_model": "in_house",
    "learning": "static",
    "human_review": "adverse",
    "recourse": "appeal",
    "bias_testing": "ongoing",
    "monitoring": "outcomes",
    "documentation": "technical_file",
    "rollback": "tested",
    "consultation": "external",
    "eu_prohibited": ["none"],
    "annex_iii_area": "none",
    "annex_i_product": "no",
    "profiling": "no",
    "art6_3_exemption": "not_applicable",
    "eu_transparency": ["none"],
}


def _add_user(monkeypatch: Any, username: str, role: str) -> None:
    monkeypatch.setenv("NEW_USER_PASSWORD", PASSWORD)
    call_command("add_user", username, "--role", role, stdout=io.StringIO())


def _token(username: str, *scopes: str) -> APIClient:
    out = io.StringIO()
    arguments = [part for scope in scopes for part in ("--scope", scope)]
    call_command("create_api_token", username, *arguments, stdout=out, stderr=io.StringIO())
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {out.getvalue().strip()}")
    return client


def _person(username: str) -> APIClient:
    """Someone logged in through the login page, as in the browser."""
    client = APIClient()
    response = client.post(reverse("accounts:login"), {"username": username, "password": PASSWORD})
    assert response.status_code == 302, response.content
    return client


def _ok(response: Any, status: int = 201) -> Any:
    assert response.status_code == status, response.content
    return response.json()


def test_a_fresh_install_following_the_readme_reaches_an_open_gate(monkeypatch: Any) -> None:
    # Step 7: people, and tokens for the pipeline.
    for username, role in [
        ("ci-bot", "requester"),
        ("olga", "requester"),
        ("rita", "reviewer"),
        ("carl", "compliance_officer"),
        ("ed", "executive"),
        ("lena", "legal"),
    ]:
        _add_user(monkeypatch, username, role)
    pipeline = _token("ci-bot", "read", "write")
    gate_only = _token("ci-bot", "gate:read")

    # The pipeline registers what it is about to deploy.
    system = _ok(
        pipeline.post(
            "/api/v1/systems/",
            {
                "name": "Ticket router",
                "purpose": "Route support tickets to the right team",
                "annex_iii_area": "none",
                "profiles_natural_persons": False,
            },
            format="json",
        )
    )
    version = _ok(
        pipeline.post(
            "/api/v1/model-versions/",
            {
                "system": system["id"],
                "version_label": "1.0",
                "artifact_uri": "s3://models/ticket-router/1.0",
                "artifact_sha256": "ab" * 32,
            },
            format="json",
        )
    )
    deployment = _ok(
        pipeline.post(
            "/api/v1/deployments/",
            {
                "model_version": version["id"],
                "environment": "prod-eu",
                "hosting": "cloud",
                "region": "eu-west-1",
                "rollout_pattern": "canary",
                "traffic_percent": 10,
            },
            format="json",
        )
    )
    base = f"/api/v1/deployments/{deployment['id']}"
    gate_url = f"{base}/gate/"
    assert _ok(gate_only.get(gate_url), 200)["allowed"] is False

    # The shipped methodology, loaded by `migrate`.
    assessment = _ok(
        pipeline.post(
            f"{base}/risk-assessments/",
            {"methodology": "impact", "version": "1", "answers": ANSWERS, "submit": True},
            format="json",
        )
    )
    assert assessment["status"] == "submitted" and assessment["tier"]

    # An accountable owner: offered by compliance, accepted with a signature.
    offer = _ok(
        _person("carl").post(
            f"{base}/ownership-offers/",
            {"to_user": _ok(_person("olga").get("/api/v1/me/"), 200)["id"], "reason": "Runs it"},
            format="json",
        )
    )
    _ok(
        _person("olga").post(
            f"/api/v1/ownership-offers/{offer['id']}/accept/",
            {"statement": "I accept accountability.", "password": PASSWORD},
            format="json",
        ),
        200,
    )

    # Approval under the shipped policy of the assessed tier, each stage signed in turn.
    request = _ok(pipeline.post(f"{base}/approval-requests/", {"reason": "1.0"}, format="json"))
    signers = [_person(name) for name in ("rita", "carl", "lena", "ed")]
    for _ in range(8):
        if request["status"] != "pending":
            break
        signer = next(
            client
            for client in signers
            if client.get(f"/api/v1/approval-requests/{request['id']}/").json()["you_may_sign"]
        )
        detail = signer.get(f"/api/v1/approval-requests/{request['id']}/").json()
        _ok(
            signer.post(
                f"/api/v1/approval-requests/{request['id']}/signoffs/",
                {
                    "decision": "approve",
                    "meaning": detail["meanings"]["approve"],
                    "password": PASSWORD,
                },
                format="json",
            )
        )
        request = signer.get(f"/api/v1/approval-requests/{request['id']}/").json()
    assert request["status"] == "approved", request

    gate = _ok(gate_only.get(gate_url), 200)
    assert gate["allowed"] is True, gate["reasons"]
    assert gate["approval"]["tier"] == assessment["tier"]
