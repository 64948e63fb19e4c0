from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from rest_framework.test import APIClient

from governance.accounts.models import User
from governance.accounts.permissions import PERM_DESCRIPTIONS, Perm, can
from governance.accounts.roles import Role
from governance.accounts.services import reauthenticate, user_deactivate, user_roles_set
from governance.core.errors import PermissionRefused
from governance.ledger.models import LedgerEvent
from tests.factories import user_with_roles
from tests.factories.accounts import PASSWORD


@pytest.mark.django_db
def test_add_user_creates_a_user_with_several_roles(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NEW_USER_PASSWORD", "a-long-unusual-passphrase")
    out = io.StringIO()
    call_command(
        "add_user",
        "alice",
        "--role",
        "reviewer",
        "--role",
        "legal",
        "--email",
        "alice@example.com",
        stdout=out,
    )
    user = User.objects.get(username="alice")
    assert user.roles == {"reviewer", "legal"}
    assert user.check_password("a-long-unusual-passphrase")
    assert LedgerEvent.objects.filter(action="user.created", subject_id=str(user.pk)).exists()


@pytest.mark.django_db
def test_add_user_refuses_a_weak_password(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NEW_USER_PASSWORD", "12345678")
    with pytest.raises(CommandError, match=r"too short|too common|numeric"):
        call_command("add_user", "bob", "--role", "reviewer")
    assert not User.objects.filter(username="bob").exists()


@pytest.mark.django_db
def test_add_user_refuses_an_unknown_role(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NEW_USER_PASSWORD", "a-long-unusual-passphrase")
    with pytest.raises(CommandError, match="invalid choice"):
        call_command("add_user", "bob", "--role", "wizard")


@pytest.mark.django_db
def test_created_api_token_authenticates_and_only_its_hash_is_stored() -> None:
    user = user_with_roles(Role.REQUESTER, username="ci")
    out = io.StringIO()
    call_command("create_api_token", "ci", "--scope", "read", stdout=out, stderr=io.StringIO())
    key = out.getvalue().strip()
    assert len(key) >= 40
    assert not user.api_tokens.filter(key_hash=key).exists()
    client = APIClient()
    response = client.get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key}")
    assert response.status_code == 200
    assert response.json()["roles"] == ["requester"]
    assert client.get("/api/v1/me/", HTTP_AUTHORIZATION="Token wrong").status_code == 401


@pytest.mark.django_db
def test_create_api_token_for_unknown_user_fails() -> None:
    with pytest.raises(CommandError, match="No active user"):
        call_command("create_api_token", "ghost", "--scope", "read")


@pytest.mark.django_db
def test_auditor_can_view_everything_and_change_nothing() -> None:
    auditor = user_with_roles(Role.AUDITOR)
    assert can(auditor, Perm.VIEW)
    assert not any(can(auditor, p) for p in Perm if p != Perm.VIEW)


@pytest.mark.django_db
def test_roles_combine_and_deactivated_users_may_do_nothing() -> None:
    user = user_with_roles(Role.REVIEWER, Role.LEGAL)
    assert can(user, Perm.APPROVAL_SIGN) and can(user, Perm.LIABILITY_EDIT)
    assert not can(user, Perm.INVENTORY_EDIT)
    user_deactivate(user=user, actor=None, reason="left")
    user.refresh_from_db()
    assert not can(user, Perm.VIEW)


@pytest.mark.django_db
def test_role_changes_are_ledgered() -> None:
    user = user_with_roles(Role.REVIEWER)
    user_roles_set(user=user, roles=["reviewer", "executive"], actor=None)
    event = LedgerEvent.objects.get(action="user.roles_changed")
    assert event.payload == {"before": ["reviewer"], "after": ["executive", "reviewer"]}


@pytest.mark.django_db
def test_login_page_logs_in_and_logout_logs_out(client) -> None:  # type: ignore[no-untyped-def]
    user_with_roles(Role.REVIEWER, username="rita")
    response = client.post(reverse("accounts:login"), {"username": "rita", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("inventory:deployment_list")).status_code == 200
    client.post(reverse("accounts:logout"))
    assert client.get(reverse("inventory:deployment_list")).status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["ci\x00prod", "x" * 101])
def test_token_name_that_cannot_be_stored_is_refused_and_no_token_is_made(client, name) -> None:  # type: ignore[no-untyped-def]
    user = user_with_roles(Role.AUDITOR)
    client.force_login(user)
    response = client.post(reverse("accounts:token_create"), {"name": name, "scopes": "read"})
    assert response.status_code == 200
    assert b'class="error"' in response.content
    assert not user.api_tokens.exists()
    assert not LedgerEvent.objects.filter(action="api_token.created").exists()


@pytest.mark.django_db
def test_wrong_reauthentication_is_refused_ledgered_and_counts_toward_lockout(rf, settings) -> None:  # type: ignore[no-untyped-def]
    settings.AXES_FAILURE_LIMIT = 3
    user = user_with_roles(Role.REVIEWER, username="sam")
    for attempt in range(3):
        # The third failure is the one that locks the account, and says so.
        expected = "locked" if attempt == 2 else "not correct"
        with pytest.raises(PermissionRefused, match=expected):
            reauthenticate(user=user, password="nope", request=rf.post("/"), purpose="signoff")
    assert LedgerEvent.objects.filter(action="security.reauthentication_failed").count() == 3
    # Locked now: even the right password is refused, and the login page refuses too.
    with pytest.raises(PermissionRefused, match="locked"):
        reauthenticate(user=user, password=PASSWORD, request=rf.post("/"), purpose="signoff")
    client = APIClient()
    response = client.post(reverse("accounts:login"), {"username": "sam", "password": PASSWORD})
    assert response.status_code in (403, 429)


@pytest.mark.django_db
def test_correct_reauthentication_passes(rf) -> None:  # type: ignore[no-untyped-def]
    user = user_with_roles(Role.REVIEWER)
    reauthenticate(user=user, password=PASSWORD, request=rf.post("/"), purpose="signoff")


@pytest.mark.django_db
def test_a_new_token_is_shown_in_the_answer_to_its_creation_and_stored_nowhere(client) -> None:  # type: ignore[no-untyped-def]
    from django.contrib.sessions.models import Session

    user = user_with_roles(Role.REQUESTER)
    client.force_login(user)
    response = client.post(reverse("accounts:token_create"), {"name": "ci", "scopes": "read"})
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]
    key = re.search(rb'<pre class="mono">([^<]+)</pre>', response.content)
    assert key is not None
    key_text = key.group(1).decode()
    assert APIClient().get("/api/v1/me/", HTTP_AUTHORIZATION=f"Token {key_text}").status_code == 200
    for session in Session.objects.all():
        assert key_text not in session.session_data
        assert key_text not in repr(session.get_decoded())
    # The next page view does not show it again.
    assert key_text.encode() not in client.get(reverse("accounts:profile")).content


def test_every_permission_is_described_in_words() -> None:
    assert set(PERM_DESCRIPTIONS) == set(Perm)


@pytest.mark.django_db
def test_profile_says_what_each_role_may_do_in_words(client: Client) -> None:
    client.force_login(user_with_roles("auditor", "legal"))
    body = client.get(reverse("accounts:profile")).content.decode()
    assert "<h3>Legal</h3>" in body and "<h3>Auditor</h3>" in body
    assert "Record parties, contracts and who is accountable" in body
    assert "See every record of the governance system" in body
    assert "liability.edit" not in body and "approvals.sign" not in body
