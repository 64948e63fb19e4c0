"""API tokens: who they authenticate, with which roles, and what a call costs."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from governance.accounts import services
from governance.accounts.models import ApiToken
from governance.accounts.roles import Role
from tests.factories import user_with_roles

pytestmark = pytest.mark.django_db


def _client(key: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


def test_a_token_brings_every_role_of_its_user() -> None:
    user = user_with_roles(Role.REVIEWER, Role.LEGAL, Role.EXECUTIVE)
    body = _client(services.api_token_create(user=user, scopes=["read"])).get("/api/v1/me/").json()
    assert body["roles"] == ["executive", "legal", "reviewer"]
    assert "approvals.sign" in body["permissions"]


def test_a_user_without_roles_is_authenticated_but_sees_nothing() -> None:
    user = user_with_roles()
    client = _client(services.api_token_create(user=user, scopes=["read"]))
    body = client.get("/api/v1/me/").json()
    assert body["roles"] == [] and body["permissions"] == []
    assert client.get("/api/v1/deployments/").status_code == 403


def test_a_revoked_token_or_an_inactive_user_is_refused() -> None:
    admin = user_with_roles(Role.ADMIN)
    user = user_with_roles(Role.AUDITOR)
    revoked = services.api_token_create(user=user, name="old", scopes=["read"])
    services.api_token_revoke(token=user.api_tokens.get(name="old"), actor=admin)
    response = _client(revoked).get("/api/v1/me/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]

    live = services.api_token_create(user=user, name="live", scopes=["read"])
    assert _client(live).get("/api/v1/me/").status_code == 200
    # An account switched off outside the service (which also revokes its tokens) still
    # cannot use a token it holds.
    type(user).objects.filter(pk=user.pk).update(is_active=False)
    response = _client(live).get("/api/v1/me/")
    assert response.status_code == 401 and "inactive" in response.json()["detail"]


def test_deactivation_revokes_the_persons_tokens() -> None:
    admin = user_with_roles(Role.ADMIN)
    user = user_with_roles(Role.AUDITOR)
    live = services.api_token_create(user=user, name="live", scopes=["read"])
    services.user_deactivate(user=user, actor=admin, reason="left the company")
    response = _client(live).get("/api/v1/me/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_a_call_asks_one_query_for_the_token_its_user_and_roles(
    django_assert_num_queries,  # type: ignore[no-untyped-def]
) -> None:
    user = user_with_roles(Role.REQUESTER, Role.REVIEWER)
    client = _client(services.api_token_create(user=user, scopes=["read"]))
    client.get("/api/v1/me/")  # the first use records last_used_at
    with django_assert_num_queries(1):
        assert client.get("/api/v1/me/").status_code == 200


def test_last_use_is_recorded_at_most_once_an_hour() -> None:
    user = user_with_roles(Role.AUDITOR)
    client = _client(services.api_token_create(user=user, scopes=["read"]))
    token = ApiToken.objects.get(user=user)
    assert token.last_used_at is None
    client.get("/api/v1/me/")
    token.refresh_from_db()
    first = token.last_used_at
    assert first is not None
    client.get("/api/v1/me/")
    token.refresh_from_db()
    assert token.last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - dt.timedelta(hours=2))
    client.get("/api/v1/me/")
    token.refresh_from_db()
    assert token.last_used_at is not None and token.last_used_at > timezone.now() - dt.timedelta(
        minutes=1
    )


def test_fields_not_read_with_the_token_load_when_used() -> None:
    from governance.accounts.authentication import HashedTokenAuthentication

    user = user_with_roles(Role.AUDITOR, email="auditor@example.org")
    key = services.api_token_create(user=user, scopes=["read"])
    found, token = HashedTokenAuthentication().authenticate_credentials(key)
    assert found.pk == user.pk and token.user_id == user.pk
    assert found.email == "auditor@example.org"
    assert found.date_joined == user.date_joined
    assert found.roles == frozenset({Role.AUDITOR})
