from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from audits.bias.models import BiasAudit
from governance.accounts.roles import Role
from tests.browser.conftest import login
from tests.factories import AISystemFactory, DeploymentFactory, ModelVersionFactory, user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.bias import DEFAULT_CSV

pytestmark = pytest.mark.django_db(transaction=True)


def test_upload_wizard_guesses_columns_then_the_audit_is_finalised(
    page: Any, tmp_path: Path
) -> None:
    user_with_roles(Role.COMPLIANCE_OFFICER, username="chloe")
    system = AISystemFactory(name="Hiring ranker", annex_iii_area="employment")
    deployment = DeploymentFactory(model_version=ModelVersionFactory(system=system))
    data = tmp_path / "hiring.csv"
    data.write_bytes(DEFAULT_CSV.replace(b"selected", b"Hired").replace(b"sex", b"Gender"))

    login(page, "chloe", PASSWORD)
    page.goto(f"/deployments/{deployment.pk}/bias-audits/")
    assert page.get_by_text("bias audit missing").is_visible()
    page.get_by_role("link", name="Upload an audit").click()
    page.get_by_label("File").set_input_files(str(data))
    # htmx asks the server for the guessed mapping and a preview of the first rows.
    page.get_by_text("First rows of the file").wait_for()
    assert page.get_by_label("Selected column").input_value() == "Hired"
    assert page.get_by_label("Gender").is_checked()
    page.get_by_label("Auditor name").fill("Priya Raman")
    page.get_by_label("Auditor organisation").fill("Civic Metrics Audit LLC")
    for statement in ("not involved", "employment relationship", "financial interest"):
        page.get_by_label(re.compile(statement)).check()
    page.get_by_label("Data source").select_option("historical")
    page.get_by_label("Source and explanation of the data").fill("ATS export, 2024")
    page.get_by_label("Data period start").fill("2024-01-01")
    page.get_by_label("Data period end").fill("2024-12-31")
    page.get_by_label("Tool's distribution date").fill("2023-06-01")
    page.get_by_role("button", name="Compute and save draft").click()
    page.wait_for_url(re.compile(r".*/bias-audits/[0-9a-f-]+/$"))
    assert page.get_by_role("heading", name=re.compile("Selection-rate bias audit")).is_visible()
    assert page.locator("svg.impact-chart").first.is_visible()
    page.get_by_role("link", name="Intersection: Gender × race_ethnicity").click()
    assert page.get_by_role("rowheader", name="Female × Asian").is_visible()
    page.get_by_label("I confirm: once final").check()
    page.get_by_role("button", name="Finalise audit").click()
    assert page.get_by_text("The audit is final").is_visible()
    assert BiasAudit.objects.get().is_final
    page.goto(f"/deployments/{deployment.pk}/bias-audits/")
    assert page.get_by_text("Satisfied by the audit").is_visible()
    assert page.console_errors == []
