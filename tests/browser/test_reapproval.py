"""An approval that stops holding is not a dead end: the deployment is approved again as it is.

The requester cannot ask for approval before the required bias audit is final (the page says
so and links to it); with the audit she asks, a reviewer signs; a newer audit is finalised
(with its confirmation box), so the approval no longer matches; the deployment page says the
approval is invalidated and why, she asks again from there without touching the
configuration, the reviewer signs, and the gate is open again.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from governance.accounts.roles import Role
from governance.approvals.gate import gate_evaluate
from governance.inventory.models import Deployment
from tests.browser.conftest import login
from tests.factories import BiasAuditFactory, user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.approvals import ready_deployment

pytestmark = pytest.mark.django_db(transaction=True)


def _request_approval(page: Any, deployment: Deployment, button: str) -> None:
    page.goto(f"/deployments/{deployment.pk}/approvals/")
    page.get_by_label("Reason").fill("Ready for production")
    page.get_by_role("button", name=button).click()
    page.wait_for_url(re.compile(r".*/approvals/[0-9a-f-]+/$"))


def _sign(page: Any, url: str) -> None:
    page.goto(url)
    page.get_by_label(re.compile("I approve the deployment of")).check()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("I have read the statement above").check()
    page.get_by_role("button", name="Sign", exact=True).click()
    assert page.get_by_text(re.compile("^Signed: I approve")).is_visible()


def test_an_invalidated_approval_is_renewed_without_a_configuration_change(page: Any) -> None:
    deployment, requester, _ = ready_deployment("I", requires_independent_bias_audit=True)
    reviewer = user_with_roles(Role.REVIEWER)
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    fingerprint = deployment.fingerprint

    login(page, requester.username, PASSWORD)
    page.goto(f"/deployments/{deployment.pk}/approvals/")
    missing = page.get_by_role("link", name="The gate requires it: bias audit missing.")
    assert missing.is_visible()
    assert page.get_by_role("button", name="Request approval").count() == 0

    BiasAuditFactory(deployment=deployment, actor=officer, finalize=True)
    _request_approval(page, deployment, "Request approval")
    first_request = page.url
    assert page.get_by_text("Jordan Reyes (Fairness Assurance LLP)").first.is_visible()

    page.context.clear_cookies()
    login(page, reviewer.username, PASSWORD)
    _sign(page, first_request)
    assert gate_evaluate(Deployment.objects.get(pk=deployment.pk)).allowed

    # A newer audit is finalised: the box must be ticked first.
    newer = BiasAuditFactory(deployment=deployment, actor=officer, auditor_name="Sam Okafor")
    page.context.clear_cookies()
    login(page, officer.username, PASSWORD)
    page.goto(f"/bias-audits/{newer.pk}/")
    page.get_by_role("button", name="Finalise audit").click()
    assert "Finalise audit" in page.content()  # the browser refuses the unticked box
    page.get_by_label("I confirm: once final").check()
    page.get_by_role("button", name="Finalise audit").click()
    assert page.get_by_text("The audit is final").is_visible()

    page.context.clear_cookies()
    login(page, requester.username, PASSWORD)
    page.goto(f"/deployments/{deployment.pk}/")
    assert page.locator(".badge", has_text="Approval invalidated").first.is_visible()
    assert page.get_by_text("the bias audit changed").first.is_visible()
    page.get_by_role("link", name="Request approval again").first.click()
    page.get_by_label("Reason").fill("The newer audit replaces the old one")
    page.get_by_role("button", name="Request approval again").click()
    page.wait_for_url(re.compile(r".*/approvals/[0-9a-f-]+/$"))
    second_request = page.url
    assert "Sam Okafor" in page.content()

    page.context.clear_cookies()
    login(page, reviewer.username, PASSWORD)
    _sign(page, second_request)

    page.goto(f"/deployments/{deployment.pk}/approvals/")
    assert page.get_by_role("heading", name=re.compile("Deployment gate: open")).is_visible()
    final = Deployment.objects.get(pk=deployment.pk)
    assert final.status == "approved" and final.fingerprint == fingerprint
