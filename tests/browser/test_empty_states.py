"""A newcomer following the README meets no empty state without a next step.

On a fresh `seed_demo` install, each demo role opens its home and every page of its main
navigation; every empty state shown there (`.empty-state`: "nothing here yet") must offer a
link or a button to go on with.
"""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client

from governance.accounts.models import User
from governance.approvals.defaults import ensure_default_policies
from tests.governance.core.test_page_contract import ROLE_USERS

pytestmark = pytest.mark.django_db(transaction=True)

DEAD_ENDS = """() => [...document.querySelectorAll(".empty-state")]
  .filter((e) => !e.querySelector("a[href], button"))
  .map((e) => e.textContent.trim().replace(/\\s+/g, " ").slice(0, 120))"""


@pytest.fixture(autouse=True)
def _queue_stays_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    from celery.app.task import Task

    monkeypatch.setattr(Task, "apply_async", lambda *args, **kwargs: None)


def test_no_empty_state_on_a_roles_home_or_main_pages_is_a_dead_end(
    browser: Any, live_server: Any
) -> None:
    # Transactional tests empty the database, policies from the data migration included.
    ensure_default_policies()
    call_command("seed_demo", stdout=io.StringIO())
    failures = []
    for username in ROLE_USERS:
        client = Client()
        client.force_login(User.objects.get(username=username))
        context = browser.new_context(base_url=live_server.url)
        name = settings.SESSION_COOKIE_NAME
        cookie = client.cookies[name].value
        context.add_cookies([{"name": name, "value": cookie, "url": live_server.url}])
        tab = context.new_page()
        tab.goto("/")
        main_pages = tab.eval_on_selector_all(
            "nav[aria-label=Main] a[href]", "links => links.map(a => a.getAttribute('href'))"
        )
        assert main_pages, f"{username} has no main navigation"
        for url in dict.fromkeys(["/", *main_pages]):
            tab.goto(url)
            failures += [f"{username} on {url}: {text}" for text in tab.evaluate(DEAD_ENDS)]
        context.close()
    assert not failures, "empty states without a next step:\n" + "\n".join(failures)
