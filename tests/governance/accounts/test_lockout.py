"""Failed passwords lock one (username, address) pair, slow guessing from many addresses down,
tell the owner, and can be lifted by an administrator through a ledgered service."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse

from governance.accounts.lockout import _username_key, account_unlock
from governance.accounts.roles import Role
from governance.accounts.services import reauthenticate
from governance.approvals import services
from governance.core.errors import PermissionRefused
from governance.core.ratelimit import RateLimited
from governance.ledger.models import LedgerEvent
from tests.factories import user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.approvals import ready_deployment

pytestmark = pytest.mark.django_db

ATTACKER, OWNER_HOME = "203.0.113.9", "198.51.100.20"


def _login(client: Any, username: str, password: str, address: str) -> Any:
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def _lock(client: Any, username: str, address: str, settings: Any) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _login(client, username, "wrong-guess", address)


def test_a_lockout_from_one_address_leaves_the_owner_free_at_another(client, settings) -> None:  # type: ignore[no-untyped-def]
    user_with_roles(Role.REVIEWER, username="sam", email="sam@example.com")
    _lock(client, "sam", ATTACKER, settings)
    # The guessing address is locked, even with the right password...
    assert _login(client, "sam", PASSWORD, ATTACKER).status_code == 429
    # ...but the owner, elsewhere, signs in with it.
    response = _login(client, "sam", PASSWORD, OWNER_HOME)
    assert response.status_code == 302 and response["Location"] == reverse("core:home")


def test_the_owner_is_emailed_once_when_an_address_is_locked(client, settings) -> None:  # type: ignore[no-untyped-def]
    user_with_roles(Role.REVIEWER, username="sam", email="sam@example.com")
    _lock(client, "sam", ATTACKER, settings)
    _login(client, "sam", "wrong-again", ATTACKER)  # axes signals again; no second mail
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["sam@example.com"]
    assert ATTACKER in message.body and "other addresses are not affected" in message.body


def test_guessing_from_many_addresses_is_slowed_down_but_not_at_the_owners_address(  # type: ignore[no-untyped-def]
    client, settings
) -> None:
    settings.LOGIN_SLOWDOWN_AFTER = 4
    user_with_roles(Role.REVIEWER, username="sam")
    assert _login(client, "sam", PASSWORD, OWNER_HOME).status_code == 302  # a familiar address
    client.logout()
    for n in range(4):
        # Under the per-pair limit at each address: no lockout, only the username's count.
        _login(client, "sam", "wrong-guess", f"192.0.2.{n}")
    refused = _login(client, "sam", PASSWORD, "192.0.2.200")
    assert refused.status_code == 200
    assert b"Wait 1 seconds before trying again" in refused.content
    assert "_auth_user_id" not in client.session
    # The owner's usual address is exempt: the right password still works there.
    assert _login(client, "sam", PASSWORD, OWNER_HOME).status_code == 302


def test_a_wait_is_not_counted_as_a_guess(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_SLOWDOWN_AFTER = 2
    user_with_roles(Role.REVIEWER, username="sam")
    for n in range(2):
        _login(client, "sam", "wrong-guess", f"192.0.2.{n}")
    for _ in range(3):
        _login(client, "sam", "wrong-guess", "192.0.2.50")  # refused before any check
    assert cache.get(_username_key("sam"))["failures"] == 2


def test_admin_unlock_clears_the_lockout_and_is_ledgered(client, settings, admin_user) -> None:  # type: ignore[no-untyped-def]
    sam = user_with_roles(Role.REVIEWER, username="sam")
    _lock(client, "sam", ATTACKER, settings)
    assert _login(client, "sam", PASSWORD, ATTACKER).status_code == 429
    admin = client.__class__()
    admin.force_login(admin_user)
    response = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "unlock", "_selected_action": [str(sam.pk)]},
    )
    assert response.status_code == 302
    event = LedgerEvent.objects.get(action="user.unlocked", subject_id=str(sam.pk))
    assert event.actor_id == str(admin_user.pk) and event.payload["cleared"] >= 1
    assert _login(client, "sam", PASSWORD, ATTACKER).status_code == 302


def test_unlock_user_command_unlocks_and_names_an_unknown_user(client, settings) -> None:  # type: ignore[no-untyped-def]
    sam = user_with_roles(Role.REVIEWER, username="sam")
    _lock(client, "sam", ATTACKER, settings)
    out = io.StringIO()
    call_command("unlock_user", "sam", "--reason", "owner called", stdout=out)
    assert "Unlocked sam" in out.getvalue()
    event = LedgerEvent.objects.get(action="user.unlocked", subject_id=str(sam.pk))
    assert event.payload["reason"] == "owner called"
    assert _login(client, "sam", PASSWORD, ATTACKER).status_code == 302
    with pytest.raises(CommandError, match="No user named 'nobody'"):
        call_command("unlock_user", "nobody")


def test_unlock_also_lifts_the_slowdown(client, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_SLOWDOWN_AFTER = 2
    sam = user_with_roles(Role.REVIEWER, username="sam")
    for n in range(2):
        _login(client, "sam", "wrong-guess", f"192.0.2.{n}")
    assert _login(client, "sam", PASSWORD, "192.0.2.99").status_code == 200
    account_unlock(user=sam, actor=None, reason="")
    assert _login(client, "sam", PASSWORD, "192.0.2.99").status_code == 302


@pytest.mark.parametrize("script_name", ["", "/governance"])
def test_an_api_signature_lockout_is_json_429(api, settings, script_name) -> None:  # type: ignore[no-untyped-def]
    # Also when the site is served under a path prefix (SCRIPT_NAME), as behind a proxy.
    deployment, requester, _ = ready_deployment("I")
    approval = services.approval_request_create(deployment=deployment, actor=requester)
    reviewer = user_with_roles(Role.REVIEWER)
    client = api(reviewer)
    url = f"/api/v1/approval-requests/{approval.pk}/signoffs/"
    body = {"decision": "approve", "meaning": "x", "password": "wrong-guess"}
    answers = [
        client.post(url, body, format="json", SCRIPT_NAME=script_name)
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert [a.status_code for a in answers[:-1]] == [403] * (settings.AXES_FAILURE_LIMIT - 1)
    locked = answers[-1]
    assert locked.status_code == 429
    assert locked["Content-Type"] == "application/json"
    assert locked.json()["code"] == "locked_out" and "Try again later" in locked.json()["detail"]
    assert int(locked["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()


def test_a_signature_password_during_a_slowdown_is_refused_with_the_wait(rf, settings) -> None:  # type: ignore[no-untyped-def]
    settings.LOGIN_SLOWDOWN_AFTER = 2
    sam = user_with_roles(Role.REVIEWER, username="sam")
    for n in range(2):
        with pytest.raises(PermissionRefused, match="not correct"):
            reauthenticate(
                user=sam,
                password="nope",
                request=rf.post("/", REMOTE_ADDR=f"192.0.2.{n}"),
                purpose="signoff",
            )
    with pytest.raises(RateLimited, match="Wait"):
        reauthenticate(
            user=sam,
            password=PASSWORD,
            request=rf.post("/", REMOTE_ADDR="192.0.2.9"),
            purpose="signoff",
        )
    event = LedgerEvent.objects.filter(action="security.reauthentication_failed").last()
    assert event is not None and event.payload["reason"] == "slowed down after repeated failures"
