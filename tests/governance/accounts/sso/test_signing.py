"""Signatures by people who sign in through the provider: a fresh login there, recorded."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from governance.accounts.models import User
from governance.approvals import services
from governance.approvals.models import SignOff
from governance.ledger.models import LedgerEvent
from tests.factories.approvals import ready_deployment
from tests.governance.accounts.sso.conftest import PASSWORD, sign_in

pytestmark = pytest.mark.django_db

SIGN_FORM = {"decision": "approve", "meaning": "x", "comment": "", "confirm": "on", "stage": "1"}


@pytest.fixture
def approval() -> Any:
    deployment, requester, _ = ready_deployment("I")
    return services.approval_request_create(deployment=deployment, actor=requester)


def start_signing(client: Client, approval: Any) -> Any:
    started = client.post(reverse("approvals:request_sign", args=[approval.pk]), SIGN_FORM)
    assert started.status_code == 302, started.content[:800]
    return started


def test_the_signing_page_offers_the_provider_instead_of_a_password(
    oidc: Any, client: Client, approval: Any
) -> None:
    sign_in(client, oidc, "alice")
    page = client.get(reverse("approvals:request_detail", args=[approval.pk])).content.decode()
    assert "Confirm with Test Identity and sign" in page
    assert 'name="password"' not in page


def test_a_sign_off_under_the_provider_needs_a_fresh_login_there_and_records_it(
    oidc: Any, client: Client, approval: Any
) -> None:
    sign_in(client, oidc, "alice")
    started = start_signing(client, approval)
    query = parse_qs(urlsplit(started["Location"]).query)
    # The provider must ask for the password again, whatever session it has.
    assert query["prompt"] == ["login"] and query["max_age"] == ["0"]
    assert not SignOff.objects.exists()  # nothing is signed before the signer comes back
    back = oidc.login(started["Location"], username="alice", password=PASSWORD)
    done = client.get(back.removeprefix("http://testserver"))
    assert done.status_code == 302
    assert done["Location"] == reverse("approvals:request_detail", args=[approval.pk])
    signoff = SignOff.objects.get()
    assert signoff.signer == User.objects.get(username="alice")
    assert signoff.authenticated_by.startswith(f"oidc:{oidc.issuer} auth_time=")
    event = LedgerEvent.objects.get(action="signoff.recorded")
    assert event.payload["authenticated_by"] == signoff.authenticated_by
    page = client.get(done["Location"]).content.decode()
    assert "Signed: I approve the deployment of" in page


def test_a_stale_provider_login_does_not_sign(
    oidc: Any, client: Client, approval: Any, settings: Any
) -> None:
    settings.OIDC_SIGNATURE_MAX_AGE_SECONDS = 1
    sign_in(client, oidc, "alice")
    started = start_signing(client, approval)
    back = oidc.login(started["Location"], username="alice", password=PASSWORD)
    time.sleep(2.5)  # the login at the provider grows older than the signature accepts
    done = client.get(back.removeprefix("http://testserver"))
    assert done.status_code == 302
    assert not SignOff.objects.exists()
    told = [str(m) for m in get_messages(done.wsgi_request)]
    assert any("a signature needs one from the last 1 seconds" in m for m in told), told
    refusal = LedgerEvent.objects.get(action="security.reauthentication_failed")
    assert refusal.payload["purpose"] == "signoff"
    assert refusal.payload["reason"].startswith("provider login")


def test_confirming_as_another_provider_account_does_not_sign(
    oidc: Any, client: Client, approval: Any
) -> None:
    sign_in(client, oidc, "alice")
    started = start_signing(client, approval)
    back = oidc.login(started["Location"], username="carol", password=PASSWORD)
    done = client.get(back.removeprefix("http://testserver"))
    assert not SignOff.objects.exists()
    told = [str(m) for m in get_messages(done.wsgi_request)]
    assert any("different Test Identity account" in m for m in told), told


def test_a_forged_id_token_on_return_does_not_sign(
    oidc: Any, client: Client, approval: Any
) -> None:
    sign_in(client, oidc, "alice")
    started = start_signing(client, approval)
    oidc.tamper_next_id_token("signature")
    back = oidc.login(started["Location"], username="alice", password=PASSWORD)
    done = client.get(back.removeprefix("http://testserver"))
    assert done.status_code == 302 and not SignOff.objects.exists()
    told = [str(m) for m in get_messages(done.wsgi_request)]
    assert any("signature does not match" in m for m in told), told


def test_the_same_confirmation_cannot_sign_twice(oidc: Any, client: Client, approval: Any) -> None:
    sign_in(client, oidc, "alice")
    started = start_signing(client, approval)
    back = oidc.login(started["Location"], username="alice", password=PASSWORD)
    client.get(back.removeprefix("http://testserver"))
    replay = client.get(back.removeprefix("http://testserver"))
    assert replay.status_code == 400
    assert SignOff.objects.count() == 1


def test_a_password_cannot_stand_in_for_the_provider(oidc: Any, approval: Any) -> None:
    from django.test import RequestFactory

    from governance.core.errors import PermissionRefused

    client = Client()
    sign_in(client, oidc, "alice")
    alice = User.objects.get(username="alice")
    stage = services.signoffs.current_stage(approval)
    assert stage is not None
    with pytest.raises(PermissionRefused, match="signs in through your organisation's provider"):
        services.signoff_record(
            request=approval,
            signer=alice,
            decision="approve",
            meaning=services.expected_meaning(approval, stage, "approve"),
            password="anything",
            http_request=RequestFactory().post("/"),
        )
