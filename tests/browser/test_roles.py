"""Roles in a real browser: an auditor reads everything and can change nothing; a signer who
may not sign is told why (segregation of duties)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.management import call_command

from governance.accounts.roles import Role
from governance.approvals import services as approvals
from governance.approvals.defaults import ensure_default_policies
from governance.approvals.models import ApprovalRequest
from governance.inventory.models import Deployment
from tests.browser.conftest import login
from tests.factories import DeploymentFactory, ModelVersionFactory, user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.approvals import ready_deployment

pytestmark = pytest.mark.django_db(transaction=True)

# What a page would offer someone allowed to change things.
WRITE_CONTROLS = re.compile(
    r"^(Register|Edit|Upload|Add risk|Start a new assessment|Request approval|Generate|Offer$|"
    r"Sign$|Sign and accept|Withdraw|Finalise|Discard|Change status|Mark as provider|New )",
)
LIST_PAGES = [
    ("/overview/", "Compliance overview"),
    ("/portfolio/", "Portfolio"),
    ("/systems/", "AI systems"),
    ("/model-versions/", "Model versions"),
    ("/datasets/", "Datasets"),
    ("/deployments/", "Deployments"),
    ("/risk/", "Risk portfolio"),
    ("/bias-audits/", "Bias audits"),
    ("/accountability/", "Accountability"),
    ("/reports/", "Reports"),
    ("/audit-log/", "Audit log"),
    ("/gate-decisions/", "Gate decisions"),
    ("/people/", "People"),
]


def _assert_read_only(page: Any) -> None:
    # The only form that posts is "Log out".
    posting = page.locator("form[method=post]")
    assert posting.count() == 1 and posting.get_by_role("button").inner_text() == "Log out"
    writes = page.get_by_role("button", name=WRITE_CONTROLS).or_(
        page.get_by_role("link", name=WRITE_CONTROLS)
    )
    assert writes.count() == 0, writes.all_inner_texts()


def test_auditor_sees_every_page_and_no_write_control(page: Any) -> None:
    # Transactional tests empty the database, policies from the data migration included.
    ensure_default_policies()
    call_command("seed_demo", stdout=None)
    login(page, "auditor", "governance-demo")
    assert page.get_by_role("heading", name="Compliance overview").is_visible()
    nav = page.get_by_role("navigation", name="Main")
    for label in ("Portfolio", "Systems", "Deployments", "Risk", "Bias audits", "Audit log"):
        assert nav.get_by_role("link", name=label, exact=True).is_visible()
    assert nav.get_by_role("link", name="My queue").count() == 0
    _assert_read_only(page)
    for path, heading in LIST_PAGES:
        page.goto(path)
        assert page.get_by_role("heading", name=heading).first.is_visible(), path
        _assert_read_only(page)

    # Every tab of every deployment, and the approval requests behind them.
    for deployment in Deployment.objects.all():
        page.goto(f"/deployments/{deployment.pk}/")
        assert page.get_by_text(re.compile("Deployment gate: (open|closed)")).is_visible()
        tabs = page.get_by_role("navigation", name="Deployment sections").get_by_role("link")
        assert tabs.all_inner_texts() == [
            "Overview",
            "Risk",
            "Approvals",
            "Bias audits",
            "Findings",
            "Obligations",
            "Accountability",
            "Monitoring",
            "Reports",
            "History",
        ]
        for href in [link.get_attribute("href") for link in tabs.all()]:
            page.goto(href)
            _assert_read_only(page)
    for request in ApprovalRequest.objects.all():
        page.goto(f"/approvals/{request.pk}/")
        assert page.get_by_role("heading", name=re.compile("Approval request")).is_visible()
        assert page.get_by_label("Password").count() == 0
        _assert_read_only(page)
    assert page.console_errors == []


def test_signer_sees_why_they_may_not_sign(page: Any) -> None:
    ravi = user_with_roles(Role.REVIEWER, username="ravi", first_name="Ravi", last_name="Iyer")
    deployment, requester, _ = ready_deployment(
        "I", model_version=ModelVersionFactory(created_by=ravi, version_label="7.0")
    )
    request = approvals.approval_request_create(deployment=deployment, actor=requester)
    # A second request he may sign, so his queue is not simply empty.
    other, other_requester, _ = ready_deployment("I", model_version=ModelVersionFactory())
    approvals.approval_request_create(deployment=other, actor=other_requester)
    DeploymentFactory()

    login(page, "ravi", PASSWORD)
    queue = page.get_by_role("region", name=re.compile("Awaiting my sign-off"))
    assert "segregation of duties keeps you off them" in queue.inner_text()
    assert queue.get_by_role("link", name=re.compile(other.environment)).is_visible()
    assert queue.get_by_role("link", name=re.compile(deployment.environment)).count() == 0

    # He reaches the request he authored the model for through the deployment's tab.
    page.goto(f"/deployments/{deployment.pk}/")
    page.get_by_role("navigation", name="Deployment sections").get_by_role(
        "link", name="Approvals"
    ).click()
    page.get_by_role("link", name=request.created_at.strftime("%Y-%m-%d %H:%M")).click()
    refusal = page.get_by_role("status").filter(has_text="You cannot sign this request.")
    assert "You registered model version 7.0; its author cannot sign" in refusal.inner_text()
    assert page.get_by_label("Password").count() == 0
    assert page.get_by_role("button", name="Sign", exact=True).count() == 0
    page.get_by_role("button", name="Log out").click()

    # The person who asked for the approval is told the same way.
    requester.set_password(PASSWORD)
    requester.save(update_fields=["password"])
    login(page, requester.username, PASSWORD)
    page.goto(f"/approvals/{request.pk}/")
    refusal = page.get_by_role("status").filter(has_text="You cannot sign this request.")
    assert "You asked for this approval" in refusal.inner_text()
    assert page.console_errors == []
