from __future__ import annotations

import re
from typing import Any

import pytest

from governance.accounts.roles import Role
from tests.browser.conftest import login
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_offer_is_accepted_from_the_inbox_with_a_password(page: Any) -> None:
    user_with_roles(Role.COMPLIANCE_OFFICER, username="chloe")
    user_with_roles(Role.REQUESTER, username="maya", first_name="Maya", last_name="Patel")
    deployment = DeploymentFactory()

    login(page, "chloe", PASSWORD)
    page.goto(f"/deployments/{deployment.pk}/accountability/")
    assert page.get_by_text("No accepted accountable owner").is_visible()
    page.get_by_label("Offer to").select_option(label="Maya Patel")
    page.get_by_label("Reason").fill("Leads the team that runs it")
    page.get_by_role("button", name="Offer", exact=True).click()
    assert page.get_by_text("they must accept it").is_visible()
    page.get_by_role("button", name="Log out").click()

    login(page, "maya", PASSWORD)
    page.get_by_role("link", name="Accountability").first.click()
    page.get_by_role("link", name="Ownership offers").click()
    page.get_by_role("link", name="Accept or decline").click()
    page.get_by_label("Password").fill("not-my-password")
    page.get_by_role("button", name="Sign and accept").click()
    assert page.get_by_text("The password is not correct.").is_visible()
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign and accept").click()
    page.wait_for_url(re.compile(r".*/accountability/$"))
    assert page.get_by_text("You are now accountable").is_visible()
    assert page.get_by_text("No accepted accountable owner").count() == 0
    # The refused signature is answered with 403, which the browser reports; nothing else.
    assert [e for e in page.console_errors if "status of 403" not in e] == []
