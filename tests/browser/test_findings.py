"""A flagged bias audit closes a tier III gate until its finding is fixed, verified and closed.

A tier III deployment is approved and its gate is open. A compliance officer finalises a bias
audit (ticking its confirmation box) in which one category falls below four-fifths with a
significant difference: a high finding is raised, it is on the deployment's Findings tab and
the gate names it as the reason it is closed. The deployment's accountable owner starts
remediation and resolves it with a note and an evidence file; the compliance officer, a
different person, verifies and closes it; the gate is open again, on the page and in the API.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from governance.accounts.roles import Role
from governance.approvals import services as approvals
from governance.approvals.gate import gate_evaluate
from governance.findings.models import Finding
from governance.inventory.models import Deployment
from tests.browser.conftest import login
from tests.factories import BiasAuditFactory, user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.approvals import approve_fully, ready_deployment
from tests.factories.bias import csv_bytes, grouped_rows

pytestmark = pytest.mark.django_db(transaction=True)

# Women 50 of 100 selected, men 20 of 100: impact ratio 0.40 for men, clearly significant, so
# exactly one high finding (one dimension, so no intersectional categories).
ONE_FLAGGED = csv_bytes(
    "sex,selected", grouped_rows({("Female",): (100, 50), ("Male",): (100, 20)})
)
TITLE = "Impact ratio 0.40 for Male (sex)"


def _approved_tier_iii() -> tuple[Deployment, Any]:
    deployment, requester, owner = ready_deployment("III")
    approve_fully(approvals.approval_request_create(deployment=deployment, actor=requester))
    deployment = Deployment.objects.get(pk=deployment.pk)
    assert gate_evaluate(deployment).allowed
    return deployment, owner


def _as(page: Any, user: Any) -> None:
    page.context.clear_cookies()
    login(page, user.username, PASSWORD)


def _form(page: Any, button: str) -> Any:
    """The form whose submit button reads `button` (several forms share field names)."""
    return page.locator("form").filter(has=page.get_by_role("button", name=button, exact=True))


def _gate_heading(page: Any, state: str) -> Any:
    return page.get_by_role("heading", name=f"Deployment gate: {state}")


def test_a_flagged_bias_audit_closes_the_gate_until_its_finding_is_verified_and_closed(
    page: Any, tmp_path: Path
) -> None:
    deployment, owner = _approved_tier_iii()
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    audit = BiasAuditFactory(deployment=deployment, actor=officer, csv=ONE_FLAGGED)
    page.on("dialog", lambda dialog: dialog.accept())  # "Close this finding?"

    _as(page, officer)
    page.goto(f"/deployments/{deployment.pk}/")
    assert _gate_heading(page, "open").is_visible()
    page.goto(f"/bias-audits/{audit.pk}/")
    page.get_by_label("I confirm: once final").check()
    page.get_by_role("button", name="Finalise audit").click()
    assert page.get_by_text("The audit is final").is_visible()

    finding = Finding.objects.get(deployment=deployment)
    assert (finding.title, finding.severity, finding.owner) == (TITLE, "high", owner)
    page.goto(f"/deployments/{deployment.pk}/findings/")
    assert page.get_by_role("link", name=TITLE).is_visible()
    page.goto(f"/deployments/{deployment.pk}/")
    assert _gate_heading(page, "closed").is_visible()
    reason = f"open high finding: {TITLE} ({finding.pk})"
    assert page.locator(".gate .reasons li", has_text=reason).is_visible()

    _as(page, owner)
    page.goto(f"/deployments/{deployment.pk}/findings/")
    page.get_by_role("link", name=TITLE).click()
    page.wait_for_url(re.compile(rf".*/findings/{finding.pk}/$"))
    page.get_by_role("button", name="Start remediation").click()
    assert page.get_by_text("Remediation started.").is_visible()
    report = tmp_path / "retest.txt"
    report.write_text("Retrained with reweighted samples; impact ratio for men now 0.91.\n")
    resolve = _form(page, "Mark resolved")
    resolve.get_by_label("Note").fill("Retrained on reweighted data and re-audited.")
    resolve.get_by_label("Evidence files").set_input_files(str(report))
    resolve.get_by_role("button", name="Mark resolved").click()
    assert page.get_by_text("Resolved; someone else must now verify the fix.").is_visible()
    assert page.get_by_role("link", name="retest.txt").is_visible()
    assert page.get_by_role("button", name="Verify the fix").count() == 0  # not the resolver

    _as(page, officer)
    page.goto(f"/findings/{finding.pk}/")
    _form(page, "Verify the fix").get_by_label("Note").fill("Re-audit figures checked.")
    page.get_by_role("button", name="Verify the fix").click()
    assert page.get_by_text("Verified.", exact=True).is_visible()
    page.goto(f"/deployments/{deployment.pk}/")
    assert _gate_heading(page, "closed").is_visible()  # verified is not yet closed
    page.goto(f"/findings/{finding.pk}/")
    page.get_by_role("button", name="Close", exact=True).click()
    assert page.get_by_text("Closed.", exact=True).is_visible()
    assert page.locator("h2 .badge", has_text="Closed").is_visible()

    page.goto(f"/deployments/{deployment.pk}/")
    assert _gate_heading(page, "open").is_visible()
    answer = page.request.get(f"/api/v1/deployments/{deployment.pk}/gate/")
    assert answer.ok and answer.json()["allowed"] is True
    finding.refresh_from_db()
    assert finding.state == "closed" and finding.resolved_by == owner
    assert finding.verified_by == officer and finding.evidence.count() == 1
    assert page.console_errors == []
