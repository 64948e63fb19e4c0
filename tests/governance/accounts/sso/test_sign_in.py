from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client

from governance.accounts.models import User
from governance.accounts.sessions import sessions_end_for_user
from governance.accounts.sso.models import OidcIdentity
from governance.ledger.models import LedgerEvent
from tests.factories import user_with_roles
from tests.governance.accounts.sso.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db


def test_login_page_offers_the_provider_when_configured(oidc: Any, client: Client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Test Identity" in page
    assert 'name="password"' in page  # local sign-in stays on by default


def test_login_page_has_no_provider_link_without_configuration(client: Client) -> None:
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with" not in page and 'name="password"' in page
    assert client.get("/oidc/login/").status_code == 404


def test_sign_in_asks_for_a_code_with_pkce_nonce_and_state(oidc: Any, client: Client) -> None:
    start = client.get("/oidc/login/")
    query = parse_qs(urlsplit(start["Location"]).query)
    assert start["Location"].startswith(f"{oidc.issuer}/auth?")
    assert query["response_type"] == ["code"] and query["code_challenge_method"] == ["S256"]
    assert query["code_challenge"] and query["nonce"] and query["state"]
    assert query["redirect_uri"] == ["http://testserver/oidc/callback/"]


def test_sign_in_creates_the_user_with_the_roles_their_groups_map_to(
    oidc: Any, client: Client, caplog: Any
) -> None:
    with caplog.at_level(logging.INFO, logger="governance.accounts.sso.services"):
        answer = sign_in(client, oidc, "alice")
    assert answer.status_code == 302 and answer["Location"] == "/"
    alice = User.objects.get(username="alice")
    assert alice.roles == {"reviewer"}
    assert (alice.email, alice.first_name, alice.last_name) == (
        "alice@example.com",
        "Alice",
        "Archer",
    )
    assert not alice.has_usable_password()
    identity = OidcIdentity.objects.get(user=alice)
    assert (identity.issuer, identity.subject) == (oidc.issuer, "alice")
    # The unknown group is ignored, and said so in the log.
    assert "marketing" in caplog.text
    actions = list(
        LedgerEvent.objects.filter(subject_id=str(alice.pk)).values_list("action", flat=True)
    )
    assert actions == ["user.created", "sso.user_linked", "user.roles_changed"]
    assert client.get("/").status_code == 200


def test_roles_follow_the_groups_at_every_sign_in(oidc: Any, client: Client) -> None:
    sign_in(client, oidc, "alice")
    oidc.set_account(
        "alice", password=PASSWORD, groups=["gov-reviewers", "gov-compliance"], email="a@x.org"
    )
    sign_in(Client(), oidc, "alice")
    alice = User.objects.get(username="alice")
    assert alice.roles == {"reviewer", "compliance_officer"} and alice.email == "a@x.org"
    change = LedgerEvent.objects.filter(action="user.roles_changed").last()
    assert change is not None and change.payload["after"] == ["compliance_officer", "reviewer"]
    assert User.objects.filter(username="alice").count() == 1


def test_a_user_whose_groups_no_longer_map_loses_every_role_and_session(
    oidc: Any, client: Client
) -> None:
    laptop, phone = Client(), Client()
    sign_in(laptop, oidc, "alice")
    sign_in(phone, oidc, "alice")
    assert laptop.get("/").status_code == 200
    oidc.set_account("alice", password=PASSWORD, groups=["marketing"])
    refused = sign_in(client, oidc, "alice")
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "in no group that gives access" in page and "roles here have been removed" in page
    alice = User.objects.get(username="alice")
    assert alice.roles == frozenset()
    # Every session of hers has ended: each browser is sent to the login page.
    for browser in (laptop, phone, client):
        home = browser.get("/")
        assert home.status_code == 302 and "/accounts/login/" in home["Location"]
    change = LedgerEvent.objects.filter(action="user.roles_changed").last()
    assert change is not None and change.payload == {"before": ["reviewer"], "after": []}
    refusal = LedgerEvent.objects.get(action="sso.sign_in_refused")
    assert refusal.payload["reason"] == "no group maps to a role"


def test_someone_with_only_unknown_groups_is_refused_and_no_account_made(
    oidc: Any, client: Client
) -> None:
    refused = sign_in(client, oidc, "mallory")
    assert refused.status_code == 403
    assert "in no group that gives access to Model Governance" in refused.content.decode()
    assert not User.objects.filter(username="mallory").exists()
    assert client.get("/").status_code == 302


def test_a_local_account_of_the_same_name_is_not_taken_over(oidc: Any, client: Client) -> None:
    user_with_roles("admin", username="alice")
    refused = sign_in(client, oidc, "alice")
    assert refused.status_code == 403
    assert "already exists here and is not linked" in refused.content.decode()
    assert not OidcIdentity.objects.exists()


@pytest.mark.parametrize(
    ("mode", "message"),
    [
        ("audience", "issued for another application"),
        ("issuer", "issued by someone other than"),
        ("nonce", "does not belong to this sign-in attempt"),
        ("signature", "signature does not match the provider"),
        ("expired", "has expired"),
    ],
)
def test_an_id_token_that_fails_a_check_is_refused_on_the_login_page(
    oidc: Any, client: Client, mode: str, message: str
) -> None:
    oidc.tamper_next_id_token(mode)
    refused = sign_in(client, oidc, "alice")
    assert refused.status_code == 403
    page = refused.content.decode()
    assert "The sign-in was refused" in page and message in page
    assert not User.objects.filter(username="alice").exists()
    assert client.get("/").status_code == 302


def test_a_callback_without_a_started_sign_in_is_refused_clearly(oidc: Any, client: Client) -> None:
    answer = client.get("/oidc/callback/?code=abc&state=made-up")
    assert answer.status_code == 400
    assert "does not match a sign-in started here" in answer.content.decode()


def test_an_error_from_the_provider_is_shown_on_the_login_page(oidc: Any, client: Client) -> None:
    start = client.get("/oidc/login/")
    state = parse_qs(urlsplit(start["Location"]).query)["state"][0]
    answer = client.get(f"/oidc/callback/?error=access_denied&state={state}")
    assert (
        answer.status_code == 403 and "Test Identity said: access_denied" in answer.content.decode()
    )


def test_password_sign_in_can_be_switched_off(oidc: Any, client: Client, settings: Any) -> None:
    settings.LOCAL_LOGIN_ENABLED = False
    user_with_roles("admin", username="root", password="a-long-password-1")
    page = client.get("/accounts/login/").content.decode()
    assert "Sign in with Test Identity" in page and 'name="password"' not in page
    refused = client.post("/accounts/login/", {"username": "root", "password": "a-long-password-1"})
    assert refused.status_code == 403
    assert "Sign-in with a password is switched off" in refused.content.decode()
    assert client.get("/").status_code == 302


def test_ending_a_users_sessions_leaves_others_signed_in(client: Client) -> None:
    one = user_with_roles("reviewer", username="one", password="a-long-password-1")
    other = user_with_roles("reviewer", username="other", password="a-long-password-1")
    first, second, others = Client(), Client(), Client()
    first.force_login(one)
    second.force_login(one)
    others.force_login(other)
    assert sessions_end_for_user(user=one) == 2
    assert first.get("/").status_code == 302 and second.get("/").status_code == 302
    assert others.get("/").status_code == 200
