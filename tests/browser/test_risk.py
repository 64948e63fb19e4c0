"""The assessment wizard in a real browser: the htmx live preview under the strict CSP."""

from __future__ import annotations

import re
from typing import Any

import pytest

from governance.accounts.demo import ensure_demo_users
from governance.risk.services import risk_assessment_create
from tests.browser.conftest import login
from tests.factories import DeploymentFactory
from tests.factories.risk import complete_answers, load_shipped

pytestmark = pytest.mark.django_db(transaction=True)


def test_live_preview_follows_the_answers_and_steps_save_the_draft(page: Any) -> None:
    users = ensure_demo_users()
    impact = load_shipped()
    answers = {k: v for k, v in complete_answers().items() if k != "autonomy"}
    draft = risk_assessment_create(
        deployment=DeploymentFactory(),
        methodology=impact,
        actor=users["requester"],
        answers=answers,
    )
    login(page, "requester", "governance-demo")
    page.goto(f"/risk/assessments/{draft.pk}/edit/?step=1")
    preview = page.locator("#preview")
    assert "1 required question still unanswered" in preview.inner_text()
    page.get_by_label("Decides automatically with no human review").check()
    page.wait_for_function(
        "() => document.querySelector('#preview').innerText.includes('Every required question')"
    )
    assert re.search(r"Raw score\s+4", preview.inner_text())
    page.get_by_label("Customer service, recommendations or marketing").check()
    page.wait_for_function(
        "() => /Raw score\\s+5/.test(document.querySelector('#preview').innerText)"
    )
    page.get_by_role("button", name="Save and continue →").click()
    page.wait_for_url(re.compile(r".*step=2$"))
    assert page.get_by_role("heading", name="People").is_visible()
    draft.refresh_from_db()
    assert draft.answers["autonomy"] == "automatic" and draft.answers["domain"] == "service_quality"
    assert page.console_errors == []
