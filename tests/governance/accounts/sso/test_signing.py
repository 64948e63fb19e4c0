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
    assert f"Re-authenticated by oidc:{oidc.issuer} auth_time=" in page


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


def confirm_at_provider(client: Client, oidc: Any, started: Any, username: str) -> Any:
    assert started.status_code == 302, started.content[:800]
    assert "prompt=login" in started["Location"]
    back = oidc.login(started["Location"], username=username, password=PASSWORD)
    return client.get(back.removeprefix("http://testserver"))


def test_a_risk_acceptance_under_the_provider_is_signed_on_return(
    oidc: Any, client: Client
) -> None:
    import datetime as dt

    from django.utils import timezone

    from governance.findings.choices import FindingState
    from governance.findings.models import FindingRiskSignoff
    from tests.factories.findings import raise_finding

    finding = raise_finding(severity="high")
    sign_in(client, oidc, "carol")
    detail = reverse("findings:detail", args=[finding.pk])
    page = client.get(detail).content.decode()
    assert "Confirm with Test Identity and sign" in page and 'name="password"' not in page
    form = {
        "signed_as": "compliance_officer",
        "rationale": "Human review of every decision until the fix ships.",
        "expires_on": (timezone.localdate() + dt.timedelta(days=30)).isoformat(),
        "confirm": "on",
    }
    started = client.post(reverse("findings:accept_risk", args=[finding.pk]), form)
    done = confirm_at_provider(client, oidc, started, "carol")
    assert done.status_code == 302 and done["Location"] == detail
    signoff = FindingRiskSignoff.objects.get(finding=finding)
    assert signoff.authenticated_by.startswith(f"oidc:{oidc.issuer} auth_time=")
    finding.refresh_from_db()
    assert finding.state == FindingState.RISK_ACCEPTED


def test_an_ownership_acceptance_under_the_provider_is_signed_on_return(
    oidc: Any, client: Client
) -> None:
    from governance.liability import services as liability
    from governance.liability.models import Ownership
    from tests.factories import DeploymentFactory, user_with_roles

    sign_in(client, oidc, "alice")
    alice = User.objects.get(username="alice")
    deployment = DeploymentFactory()
    offer = liability.ownership_offer_create(
        deployment=deployment,
        to_user=alice,
        reason="Reviews it",
        actor=user_with_roles("compliance_officer"),
    )
    page = client.get(reverse("liability:offer_detail", args=[offer.pk])).content.decode()
    assert "Confirm with Test Identity and accept" in page
    started = client.post(
        reverse("liability:offer_accept", args=[offer.pk]),
        {"statement": liability.default_statement(deployment)},
    )
    done = confirm_at_provider(client, oidc, started, "alice")
    assert done.status_code == 302
    ownership = Ownership.objects.get(deployment=deployment, ended_at__isnull=True)
    assert ownership.user == alice
    assert ownership.authenticated_by.startswith(f"oidc:{oidc.issuer} auth_time=")
    event = LedgerEvent.objects.get(action="ownership.accepted")
    assert event.payload["authenticated_by"] == ownership.authenticated_by
