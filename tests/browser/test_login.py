from __future__ import annotations

import re
from typing import Any

import pytest

from governance.accounts.demo import ensure_demo_users
from governance.accounts.roles import Role
from governance.inventory import demo
from tests.browser.conftest import login
from tests.factories import user_with_roles
from tests.factories.accounts import PASSWORD

pytestmark = pytest.mark.django_db(transaction=True)


def test_requester_logs_in_and_sees_the_inventory(page: Any) -> None:
    users = ensure_demo_users()
    demo.seed(users)
    login(page, "requester", "governance-demo")
    page.get_by_role("link", name="Deployments", exact=True).click()
    page.wait_for_url(re.compile(r".*/deployments/$"))
    assert page.get_by_role("heading", name="Deployments").is_visible()
    assert page.get_by_role("link", name="Credit risk scorer").first.is_visible()
    assert page.get_by_role("link", name="Register deployment").is_visible()
    assert page.console_errors == []


def test_wrong_password_shows_an_error(page: Any) -> None:
    user_with_roles(Role.AUDITOR, username="audrey")
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill("audrey")
    page.get_by_label("Password").fill("wrong-password")
    page.get_by_role("button", name="Log in").click()
    assert page.get_by_text("Please enter a correct username and password").is_visible()
    login(page, "audrey", PASSWORD)
    assert page.get_by_role("heading", name="Overview").is_visible()
