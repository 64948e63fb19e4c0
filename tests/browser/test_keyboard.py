"""A reviewer signs off with the keyboard alone: Tab, Shift+Tab, Enter, Space and typing.

Every element the keyboard lands on along the way must show where the focus is.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from governance.accounts.roles import Role
from governance.approvals import services as approvals
from governance.approvals.models import Decision, SignOff
from tests.factories import ModelVersionFactory, user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.approvals import ready_deployment

pytestmark = pytest.mark.django_db(transaction=True)

# Where the focus is and whether it can be seen: an outline or a shadow drawn around it.
FOCUSED = """() => {
  const e = document.activeElement;
  const style = getComputedStyle(e);
  const outlined = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
  return {
    tag: e.tagName.toLowerCase(),
    text: (e.getAttribute("aria-label") || e.textContent || e.name || "").trim().slice(0, 60),
    visible: outlined || style.boxShadow !== "none",
  };
}"""
MAX_TAB_STOPS = 80


class Keyboard:
    """Moves through a page with Tab and Shift+Tab, noting tab stops without a visible focus."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.unseen: list[str] = []

    def tab_to(self, selector: str, *, backwards: bool = False) -> None:
        key = "Shift+Tab" if backwards else "Tab"
        for _ in range(MAX_TAB_STOPS):
            self.page.keyboard.press(key)
            focused = self.page.evaluate(FOCUSED)
            # Focus on the document itself (before the first tab stop) draws nothing.
            if not focused["visible"] and focused["tag"] != "body":
                self.unseen.append(f"{self.page.url}: {focused['tag']} {focused['text']!r}")
            if self.page.evaluate("s => document.activeElement.matches(s)", selector):
                return
        raise AssertionError(f"{selector} is not reached with {key} on {self.page.url}")


def test_reviewer_signs_off_with_the_keyboard_alone(page: Any) -> None:
    ravi = user_with_roles(Role.REVIEWER, username="ravi", first_name="Ravi", last_name="Iyer")
    deployment, requester, _ = ready_deployment("I", model_version=ModelVersionFactory())
    request = approvals.approval_request_create(deployment=deployment, actor=requester)
    keys = Keyboard(page)

    page.goto("/accounts/login/")
    keys.tab_to("#id_username")
    page.keyboard.type("ravi")
    keys.tab_to("#id_password")
    page.keyboard.type(PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.get_by_role("heading", name="My reviews").is_visible()

    # From his home, past the skip link and the navigation, to the request awaiting him.
    keys.tab_to(f"main a[href='/approvals/{request.pk}/']")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.endswith(f"/approvals/{request.pk}/")

    # The skip link leads straight to the page's content.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")

    keys.tab_to(f"input[name=decision][value={Decision.APPROVE}]")
    page.keyboard.press("Space")
    keys.tab_to("#id_password")
    page.keyboard.type(PASSWORD)
    keys.tab_to("#id_confirm")
    page.keyboard.press("Space")
    # Back up to check the password field is still there, then forward to the button.
    keys.tab_to("#id_password", backwards=True)
    keys.tab_to("form[action$='/sign/'] button[type=submit]")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    page.get_by_text(re.compile("^Signed: I approve")).wait_for()
    signoff = SignOff.objects.get(request=request)
    assert (signoff.signer, signoff.decision) == (ravi, Decision.APPROVE)
    assert keys.unseen == [], "tab stops without a visible focus:\n" + "\n".join(keys.unseen)
    assert page.console_errors == []
