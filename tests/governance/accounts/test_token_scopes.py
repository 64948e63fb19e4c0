"""A token acts for its owner only within its scopes and until its expiry."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework.views import APIView

from governance.accounts.models import ApiToken
from governance.accounts.permissions import TokenScopes
from governance.accounts.roles import Role
from governance.accounts.scopes import Scope, accepted_scopes
from governance.accounts.services import api_token_create
from governance.approvals import services as approval_services
from governance.approvals.models import GateDecision
from governance.core.errors import PermissionRefused
from governance.ledger.models import LedgerEvent
from tests.factories import user_with_roles
from tests.factories.approvals import approve_fully, ready_deployment

pytestmark = pytest.mark.django_db

NEW_SYSTEM = {
    "name": "Loan scorer",
    "purpose": "Score loans",
    "annex_iii_area": "essential_services",
    "profiles_natural_persons": True,
}


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def _approved_deployment() -> Any:
    deployment, requester, _ = ready_deployment("II")
    approve_fully(approval_services.approval_request_create(deployment=deployment, actor=requester))
    return deployment


def test_a_gate_only_token_asks_the_gate_and_is_refused_everywhere_else() -> None:
    deployment = _approved_deployment()
    pipeline = _client(api_token_create(user=user_with_roles(Role.REQUESTER), scopes=["gate:read"]))
    assert pipeline.get(f"/api/v1/deployments/{deployment.pk}/gate/").json()["allowed"] is True
    lookup = {
        "system": deployment.model_version.system.name,
        "version": deployment.model_version.version_label,
        "environment": deployment.environment,
    }
    assert pipeline.get("/api/v1/gate/", lookup).status_code == 200
    for method, url in [
        ("get", "/api/v1/deployments/"),
        ("get", f"/api/v1/deployments/{deployment.pk}/"),
        ("get", "/api/v1/me/"),
        ("post", "/api/v1/systems/"),
    ]:
        response = getattr(pipeline, method)(url, NEW_SYSTEM if method == "post" else None)
        assert response.status_code == 403, (method, url)
        assert response["Content-Type"] == "application/json"
        needed = "read" if method == "get" else "write"
        assert f"({needed})" in response.json()["detail"], response.json()


def test_a_read_token_reads_but_cannot_write_even_for_an_owner_who_may() -> None:
    requester = user_with_roles(Role.REQUESTER)
    reader = _client(api_token_create(user=requester, scopes=["read"]))
    assert reader.get("/api/v1/deployments/").status_code == 200
    refused = reader.post("/api/v1/systems/", NEW_SYSTEM, format="json")
    assert refused.status_code == 403
    assert "(write)" in refused.json()["detail"]
    writer = _client(api_token_create(user=requester, scopes=["read", "write"]))
    assert writer.post("/api/v1/systems/", NEW_SYSTEM, format="json").status_code == 201


def test_a_write_token_cannot_do_more_than_its_owners_roles() -> None:
    reviewer = user_with_roles(Role.REVIEWER)
    writer = _client(api_token_create(user=reviewer, scopes=["read", "write"]))
    assert writer.post("/api/v1/systems/", NEW_SYSTEM, format="json").status_code == 403


def test_session_requests_are_not_limited_by_scopes(api) -> None:  # type: ignore[no-untyped-def]
    browser = api(user_with_roles(Role.REQUESTER))
    assert browser.post("/api/v1/systems/", NEW_SYSTEM, format="json").status_code == 201
    assert browser.get("/api/v1/me/").json()["token_scopes"] is None


def test_a_view_declares_the_scope_its_writes_need() -> None:
    class Ingestion(APIView):
        required_scope = Scope.OBSERVATIONS_WRITE

    assert accepted_scopes("POST", Ingestion()) == ("observations:write",)
    assert accepted_scopes("GET", Ingestion()) == ("read",)
    assert accepted_scopes("PUT", APIView()) == ("write",)


def _api_views(patterns: list[Any], prefix: str = "") -> list[tuple[str, type]]:
    found: list[tuple[str, type]] = []
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _api_views(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None)
            if view is not None and issubclass(view, APIView):
                found.append((route, view))
    return found


def test_every_data_api_view_checks_token_scopes() -> None:
    # The schema and its docs (/api/schema/, /api/docs/) describe the API and hold no data.
    views = [
        view
        for route, view in _api_views(get_resolver().url_patterns)
        if route.startswith("api/v1/")
    ]
    assert len(views) > 10
    unchecked = [
        view
        for view in views
        if not any(isinstance(p, TokenScopes) for p in view().get_permissions())
    ]
    assert not unchecked, unchecked


def test_an_auditor_can_give_a_token_only_read_scopes(client) -> None:  # type: ignore[no-untyped-def]
    auditor = user_with_roles(Role.AUDITOR, username="audrey")
    with pytest.raises(PermissionRefused, match="only read"):
        api_token_create(user=auditor, scopes=["read", "write"])
    with pytest.raises(CommandError, match="only read"):
        call_command("create_api_token", "audrey", "--scope", "write", stdout=io.StringIO())
    client.force_login(auditor)
    page = client.post(reverse("accounts:token_create"), {"scopes": ["observations:write"]})
    assert page.status_code == 200 and b"only read" in page.content
    assert not auditor.api_tokens.exists()
    assert not LedgerEvent.objects.filter(action="api_token.created").exists()
    # The page offers the auditor only what they may give.
    offered = client.get(reverse("accounts:profile")).content
    assert b'value="gate:read"' in offered and b'value="read"' in offered
    assert b'value="write"' not in offered
    api_token_create(user=auditor, scopes=["read", "gate:read"])
    assert auditor.api_tokens.get().scopes == "gate:read read"


def test_the_command_makes_a_scoped_expiring_token_and_says_so() -> None:
    user_with_roles(Role.REQUESTER, username="ci")
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "create_api_token",
        "ci",
        "--scope",
        "gate:read",
        "--expires-in-days",
        "30",
        stdout=out,
        stderr=err,
    )
    token = ApiToken.objects.get(user__username="ci")
    assert token.scopes == "gate:read"
    assert token.expires_at is not None
    assert dt.timedelta(days=29) < token.expires_at - timezone.now() <= dt.timedelta(days=30)
    assert "scopes: gate:read; expires" in err.getvalue()
    assert _client(out.getvalue().strip()).get("/api/v1/deployments/").status_code == 403
    with pytest.raises(CommandError, match="at least 1"):
        call_command("create_api_token", "ci", "--scope", "read", "--expires-in-days", "0")


def test_the_command_refuses_an_expiry_past_the_calendar() -> None:
    user_with_roles(Role.REQUESTER, username="ci")
    with pytest.raises(CommandError, match="too far ahead"):
        call_command("create_api_token", "ci", "--scope", "read", "--expires-in-days", "99999999")
    assert not ApiToken.objects.exists()


def test_the_token_list_shows_each_tokens_scopes_and_expiry(client) -> None:  # type: ignore[no-untyped-def]
    user = user_with_roles(Role.REQUESTER)
    api_token_create(user=user, scopes=["gate:read"], name="pipeline")
    api_token_create(
        user=user,
        scopes=["read", "write"],
        name="script",
        expires_at=timezone.now() + dt.timedelta(days=3),
    )
    client.force_login(user)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert '<td class="mono">gate:read</td>' in page
    assert '<td class="mono">read write</td>' in page
    assert (timezone.localtime() + dt.timedelta(days=3)).strftime("%Y-%m-%d") in page


def test_the_page_makes_a_token_valid_through_its_last_day(client) -> None:  # type: ignore[no-untyped-def]
    user = user_with_roles(Role.REQUESTER)
    client.force_login(user)
    last_day = timezone.localdate() + dt.timedelta(days=7)
    response = client.post(
        reverse("accounts:token_create"),
        {"name": "ci", "scopes": ["gate:read"], "expires_on": last_day.isoformat()},
    )
    assert response.status_code == 201
    token = user.api_tokens.get()
    assert timezone.localtime(token.expires_at).date() == last_day + dt.timedelta(days=1)
    past = client.post(
        reverse("accounts:token_create"),
        {"scopes": ["gate:read"], "expires_on": "2000-01-01"},
    )
    assert past.status_code == 200 and b"cannot be in the past" in past.content
    assert user.api_tokens.count() == 1


def test_the_page_refuses_a_last_day_with_no_day_after_it(client) -> None:  # type: ignore[no-untyped-def]
    user = user_with_roles(Role.REQUESTER)
    client.force_login(user)
    response = client.post(
        reverse("accounts:token_create"),
        {"scopes": ["gate:read"], "expires_on": dt.date.max.isoformat()},
    )
    assert response.status_code == 200 and b"too far ahead" in response.content
    assert not user.api_tokens.exists()


def test_an_expired_token_is_refused_with_a_401_that_says_so() -> None:
    user = user_with_roles(Role.AUDITOR)
    key = api_token_create(
        user=user, scopes=["read"], expires_at=timezone.now() + dt.timedelta(minutes=5)
    )
    assert _client(key).get("/api/v1/me/").status_code == 200
    ApiToken.objects.filter(user=user).update(expires_at=timezone.now())
    response = _client(key).get("/api/v1/me/")
    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_an_expired_token_is_refused_on_the_gates_replay_too(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    deployment = _approved_deployment()
    auditor = user_with_roles(Role.AUDITOR)
    pipeline = _client(
        api_token_create(
            user=auditor, scopes=["gate:read"], expires_at=timezone.now() + dt.timedelta(days=1)
        )
    )
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    assert pipeline.get(url).status_code == 200
    with django_assert_num_queries(1):  # the replay
        assert pipeline.get(url).status_code == 200
    # Expiry is not a recorded change: the ledger head does not move when it passes.
    ApiToken.objects.filter(user=auditor).update(expires_at=timezone.now())
    response = pipeline.get(url)
    assert response.status_code == 401 and "expired" in response.json()["detail"]
    assert GateDecision.objects.filter(deployment=deployment).count() == 2


def test_a_token_that_lost_the_gate_scope_is_not_replayed() -> None:
    deployment = _approved_deployment()
    auditor = user_with_roles(Role.AUDITOR)
    pipeline = _client(api_token_create(user=auditor, scopes=["gate:read"]))
    url = f"/api/v1/deployments/{deployment.pk}/gate/"
    pipeline.get(url)
    pipeline.get(url)
    ApiToken.objects.filter(user=auditor).update(scopes="write")  # behind the ledger's back
    response = pipeline.get(url)
    assert response.status_code == 403 and "gate:read or read" in response.json()["detail"]
    assert GateDecision.objects.filter(deployment=deployment).count() == 2


def test_the_admin_shows_a_tokens_scopes_and_expiry_but_cannot_change_them(client) -> None:  # type: ignore[no-untyped-def]
    admin = user_with_roles(Role.ADMIN, is_staff=True, is_superuser=True)
    api_token_create(user=admin, scopes=["gate:read"])
    token = ApiToken.objects.get(user=admin)
    client.force_login(admin)
    url = reverse("admin:accounts_apitoken_change", args=[token.pk])
    assert b"gate:read" in client.get(url).content
    client.post(
        url, {"scopes": "read write", "expires_at_0": "2099-01-01", "expires_at_1": "00:00"}
    )
    token.refresh_from_db()
    assert token.scopes == "gate:read" and token.expires_at is None
