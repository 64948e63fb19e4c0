"""The golden path in a real browser, with a real Celery worker for the signed dossier.

A requester registers a model version and a deployment, completes the risk assessment, gets
an accountable owner and requests approval; a reviewer and a compliance officer sign with
their passwords; the gate shows allowed; a dossier is generated, its progress bar reaches
100 % and the PDF downloads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from audits.reports.devcert import create_development_pair
from audits.reports.signing import DEV_CERT_NAME, DEV_KEY_NAME, check_pdf_signature
from governance.accounts.roles import Role
from governance.approvals.defaults import ensure_default_policies
from governance.approvals.gate import gate_evaluate
from governance.inventory import services as inventory
from governance.inventory.models import Deployment
from tests.audits.reports.workers import worker_environment
from tests.browser.conftest import login
from tests.factories import user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.risk import load_shipped

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

# Answers that score impact level II (raw 14 of 43, full mitigation: 12, 27.9 %) and a
# minimal EU class: the tier II policy asks a reviewer, then a compliance officer.
ANSWERS = {
    "autonomy": "automatic_review",
    "reversibility": "difficult",
    "domain": "money",
    "people_affected": "under_1m",
    "vulnerability": ["none"],
    "data": ["personal", "financial"],
    "data_source": "first_party",
    "opacity": "explainable",
    "third_party_model": "in_house",
    "learning": "retrained",
    "human_review": "adverse",
    "recourse": "appeal",
    "bias_testing": "ongoing",
    "monitoring": "outcomes",
    "documentation": "technical_file",
    "rollback": "tested",
    "consultation": "internal",
    "eu_prohibited": ["none"],
    "annex_iii_area": "none",
    "annex_i_product": "no",
    "profiling": "no",
    "art6_3_exemption": "not_applicable",
    "eu_transparency": ["none"],
}


@pytest.fixture
def worker(settings: Any, tmp_path: Path, transactional_db: None) -> Iterator[Any]:
    """A real worker process on the test database, signing with a development certificate."""
    keys = create_development_pair(tmp_path / "signing", "Acme Lending Ltd")
    settings.REPORT_SIGNING_KEY = str(keys / DEV_KEY_NAME)
    settings.REPORT_SIGNING_CERT = str(keys / DEV_CERT_NAME)
    settings.REPORT_ORGANISATION = "Acme Lending Ltd"
    with worker_environment(settings, tmp_path) as start:
        yield start()


def _answer_every_step(page: Any) -> None:
    """Tick this test's answer on every step of the wizard, then go to the review step."""
    while not page.get_by_role("button", name="Submit assessment").count():
        for question, answer in ANSWERS.items():
            for value in answer if isinstance(answer, list) else [answer]:
                box = page.locator(f'input[name="q-{question}"][value="{value}"]')
                if box.count():
                    box.check()
        page.get_by_role("button", name="Save and continue →").click()
        page.wait_for_load_state()


def test_golden_path_from_registration_to_a_signed_dossier(page: Any, worker: Any) -> None:
    ensure_default_policies()
    load_shipped()
    maya = user_with_roles(Role.REQUESTER, username="maya", first_name="Maya", last_name="Patel")
    user_with_roles(Role.REVIEWER, username="ravi", first_name="Ravi", last_name="Iyer")
    user_with_roles(
        Role.COMPLIANCE_OFFICER, username="chloe", first_name="Chloé", last_name="Martin"
    )
    inventory.ai_system_create(
        actor=maya,
        name="Card limit advisor",
        purpose="Suggest a credit card limit to the underwriter.",
        business_unit="Retail credit",
    )
    inventory.dataset_create(
        actor=maya,
        name="Card applications 2020-2025",
        source="Core banking warehouse",
        collection_purpose="Credit decisions",
        legal_basis="contract",
        retention_days=2555,
    )
    page.on("dialog", lambda dialog: dialog.accept())

    # The requester registers a model version and a deployment from her home.
    login(page, "maya", PASSWORD)
    assert page.get_by_role("heading", name="My deployments").is_visible()
    page.get_by_role("link", name="Register model version").click()
    page.get_by_label("System").select_option(label="Card limit advisor")
    page.get_by_label("Version label").fill("3.1.0")
    page.get_by_label("Artifact location (URI)").fill("s3://models/card-limit/3.1.0/model.onnx")
    page.get_by_label("Artifact SHA-256").fill("b" * 64)
    page.get_by_label("Training datasets").select_option(label="Card applications 2020-2025")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/model-versions/[0-9a-f-]+/$"))
    page.get_by_role("link", name="Home").click()
    page.get_by_role("link", name="Register deployment").first.click()
    page.get_by_label("Model version").select_option(label="Card limit advisor 3.1.0")
    page.get_by_label("Environment").fill("prod-eu")
    page.get_by_label("Hosting").select_option("cloud")
    page.get_by_label("Region").fill("eu-west-1")
    page.get_by_label("Rollout pattern").select_option("canary")
    page.get_by_label("Traffic percent").fill("10")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(re.compile(r".*/deployments/[0-9a-f-]+/$"))
    deployment = Deployment.objects.get(environment="prod-eu")
    checklist = page.locator("ul.checklist")
    assert "no submitted assessment yet" in checklist.inner_text()
    assert page.get_by_text("Deployment gate: closed").is_visible()

    # The checklist leads to the risk assessment, which she completes and submits.
    checklist.get_by_role("link", name="Risk assessment submitted and current").click()
    page.get_by_role("button", name="Start a new assessment").click()
    _answer_every_step(page)
    page.get_by_role("button", name="Submit assessment").click()
    page.wait_for_url(re.compile(r".*/risk/assessments/[0-9a-f-]+/$"))
    assert page.get_by_text("Tier II").first.is_visible()

    # She offers herself accountability and accepts it with her password.
    page.goto(f"/deployments/{deployment.pk}/")
    page.locator("ul.checklist").get_by_role("link", name="Accountable owner accepted").click()
    page.get_by_label("Offer to").select_option(label="Maya Patel")
    page.get_by_label("Reason").fill("I run the credit models")
    page.get_by_role("button", name="Offer", exact=True).click()
    page.get_by_role("link", name="Home").click()
    page.get_by_role("region", name="Accountability offered to you").get_by_role("link").click()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign and accept").click()
    assert page.get_by_text("You are now accountable").is_visible()

    # Every prerequisite is done: she requests approval from the checklist.
    page.goto(f"/deployments/{deployment.pk}/")
    page.locator("ul.checklist").get_by_role("link", name="Approval requested").click()
    page.get_by_label("Reason").fill("Quarterly retrain, same features")
    page.get_by_role("button", name="Request approval").click()
    page.wait_for_url(re.compile(r".*/approvals/[0-9a-f-]+/$"))
    assert page.get_by_text("You cannot sign this request.").is_visible()
    page.get_by_role("button", name="Log out").click()

    # The reviewer finds it in his queue and signs with his password; then the compliance
    # officer, whose home is the overview, goes to her reviews and does the same.
    for username, stage in (("ravi", "Peer review"), ("chloe", "Compliance review")):
        login(page, username, PASSWORD)
        if username == "chloe":
            assert page.get_by_role("heading", name="Compliance overview").is_visible()
            page.get_by_role("navigation", name="Your pages").get_by_role(
                "link", name="My reviews"
            ).click()
        assert page.get_by_role("heading", name="My reviews").is_visible()
        queue = page.get_by_role("region", name=re.compile("Awaiting my sign-off"))
        queue.get_by_role("link", name=re.compile("Card limit advisor")).click()
        assert page.locator(".stage.current").get_by_text(stage).is_visible()
        page.get_by_label(re.compile("I approve the deployment of Card limit advisor")).check()
        page.get_by_label("Password").fill("not my password")
        page.get_by_label("I have read the statement above").check()
        page.get_by_role("button", name="Sign", exact=True).click()
        assert page.get_by_text("The password is not correct.").is_visible()
        page.get_by_label(re.compile("I approve the deployment of Card limit advisor")).check()
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_label("I have read the statement above").check()
        page.get_by_role("button", name="Sign", exact=True).click()
        assert page.get_by_text(re.compile("^Signed: I approve")).is_visible()
        page.get_by_role("button", name="Log out").click()

    # The gate is open, on the page and for the gate itself.
    login(page, "maya", PASSWORD)
    page.goto(f"/deployments/{deployment.pk}/")
    assert page.get_by_text("Deployment gate: open").is_visible()
    assert page.get_by_text("Nothing on the checklist is outstanding.").is_visible()
    assert gate_evaluate(Deployment.objects.get(pk=deployment.pk)).allowed

    # A dossier is generated by the worker; the progress bar reaches 100 % and the PDF downloads.
    page.get_by_role("navigation", name="Deployment sections").get_by_role(
        "link", name="Reports"
    ).click()
    page.get_by_role("button", name="Generate dossier").click()
    page.wait_for_url(re.compile(r".*/reports/[0-9a-f-]+/$"))
    download = page.get_by_role("link", name="Download PDF")
    download.wait_for(timeout=120_000)
    assert page.locator("#job-progress progress").get_attribute("value") == "100"
    with page.expect_download() as info:
        download.click()
    pdf = Path(info.value.path()).read_bytes()
    assert info.value.suggested_filename.endswith(".pdf") and pdf.startswith(b"%PDF")
    assert check_pdf_signature(pdf).status == "intact"
    # The wrong password was answered with 400, which the browser reports; nothing else.
    assert [e for e in page.console_errors if "status of 400" not in e] == []
