"""Signing in and signing through the organisation's provider, in Chromium."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import Any

import pytest

from governance.approvals import services
from governance.approvals.models import SignOff
from tests.factories.approvals import ready_deployment
from tests.governance.accounts.sso.conftest import ACCOUNTS, PASSWORD, configure
from tests.oidc_provider import provider as test_provider

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def browser_oidc(live_server: Any, settings: Any) -> Iterator[test_provider.TestProvider]:
    problem = test_provider.missing_requirement()
    if problem:
        pytest.fail(problem, pytrace=False)
    running = test_provider.start(ACCOUNTS, redirect_uris=(f"{live_server.url}/oidc/callback/",))
    oidc = next(running)
    configure(settings, oidc)
    # What settings.py adds when OIDC_ISSUER is set: the signing form's answer is a redirect
    # to the provider, which the browser follows only if form-action allows its origin.
    policy = copy.deepcopy(settings.CONTENT_SECURITY_POLICY)
    policy["DIRECTIVES"]["form-action"].append(oidc.issuer)
    settings.CONTENT_SECURITY_POLICY = policy
    yield oidc
    running.close()


def log_in_at_provider(page: Any, username: str) -> None:
    page.wait_for_url(re.compile(r".*/interaction/.*"))
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_a_reviewer_signs_in_and_signs_off_through_the_provider(
    page: Any, browser_oidc: Any
) -> None:
    deployment, requester, _ = ready_deployment("I")
    approval = services.approval_request_create(deployment=deployment, actor=requester)

    page.goto("/accounts/login/")
    page.get_by_role("link", name="Sign in with Test Identity").click()
    log_in_at_provider(page, "alice")
    page.wait_for_url(re.compile(r".*/$"))

    page.goto(f"/approvals/{approval.pk}/")
    page.locator('input[name="decision"][value="approve"]').check()
    page.get_by_label("I have read the statement above and sign it with its meaning").check()
    page.get_by_role("button", name="Confirm with Test Identity and sign").click()
    # The provider asks for the password again (prompt=login), then sends the signer back.
    log_in_at_provider(page, "alice")
    page.wait_for_url(re.compile(rf".*/approvals/{approval.pk}/$"))
    assert page.get_by_text("Signed: I approve the deployment of").is_visible()
    signoff = SignOff.objects.get(request=approval)
    assert signoff.authenticated_by.startswith(f"oidc:{browser_oidc.issuer} auth_time=")
    assert page.console_errors == []
