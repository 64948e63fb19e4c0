"""Every page fits the window and passes axe-core, in a real browser over the demo portfolio.

The pages are the page contract's (tests/governance/core/test_page_contract.py): every routed
HTML page, with a record of each status for parameterised pages, so a new page is checked
as soon as it is routed and has a sample. The administrator, who may open every page, visits
them; anonymous visitors open the public pages; every demo role opens its own home. Form
targets that answer GET with 405, redirects, downloads and htmx fragments (no <html>) are
not pages a person lands on: a fragment is checked inside the page that loads it.

At 1440 px (a laptop) and 390 px (a phone) the document must be no wider than the window:
wide tables scroll inside their own box instead. axe-core's serious and critical violations
fail the test with the rule, its impact and the elements concerned; at 390 px the rule that
depends on the width (boxes that scroll sideways must be reachable with the keyboard) runs
again.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.conf import settings
from django.test import Client

from governance.approvals.defaults import ensure_default_policies
from tests.governance.core.test_page_contract import PUBLIC_PAGES, ROLE_USERS, Demo, _visits

pytestmark = pytest.mark.django_db(transaction=True)

WIDTHS = (1440, 390)
HEIGHT = 900
BLOCKING_IMPACTS = ("serious", "critical")
# The rules whose outcome depends on the window's width, run again at the narrow one.
NEXT_FRAMES = "() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))"
NARROW_RULES = {
    "runOnly": {"type": "rule", "values": ["scrollable-region-focusable"]},
    "resultTypes": ["violations"],
}

# The elements that stick out of the window, for the failure message: those reaching past
# its right edge with no child that does, and those whose content overflows them, leaving out
# anything inside a box that scrolls or clips.
OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = (e) => {
    for (let p = e.parentElement; p; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  const past = (e) => e.getBoundingClientRect().right > width + 1;
  const describe = (e) => {
    const id = e.id ? "#" + e.id : "";
    const cls = e.classList.length ? "." + [...e.classList].join(".") : "";
    const text = (e.textContent || "").trim().replace(/\\s+/g, " ").slice(0, 40);
    const right = Math.round(e.getBoundingClientRect().right);
    return `${e.tagName.toLowerCase()}${id}${cls} (${right} px) "${text}"`;
  };
  const found = [...document.body.querySelectorAll("*")]
    .filter((e) => !clipped(e))
    .filter((e) => (past(e) && ![...e.children].some(past))
      || (getComputedStyle(e).overflowX === "visible" && e.scrollWidth > e.clientWidth + 1
          && e.getBoundingClientRect().left + e.scrollWidth > width + 1));
  // The innermost: a box is only too wide because of what it holds.
  const innermost = found.filter((e) => !found.some((o) => o !== e && e.contains(o)));
  return innermost.slice(0, 6).map(describe);
}"""


@dataclass(frozen=True)
class Stop:
    """A page someone lands on, as who."""

    who: str
    url: str
    name: str


@pytest.fixture(autouse=True)
def _queue_stays_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo's report and export requests are not rendered: the pages show them queued."""
    from celery.app.task import Task

    monkeypatch.setattr(Task, "apply_async", lambda *args, **kwargs: None)


@pytest.fixture
def demo() -> Demo:
    # Transactional tests empty the database, policies from the data migration included.
    ensure_default_policies()
    return Demo()


@pytest.fixture
def contexts(browser: Any, live_server: Any, demo: Demo) -> Iterator[dict[str, Any]]:
    """One browser context per visitor: anonymous, and each demo role logged in."""
    opened: dict[str, Any] = {}
    for who in ("anonymous", *ROLE_USERS):
        context = browser.new_context(
            base_url=live_server.url, viewport={"width": WIDTHS[0], "height": HEIGHT}
        )
        if who != "anonymous":
            client = Client()
            client.force_login(demo.users[who])
            session = client.cookies[settings.SESSION_COOKIE_NAME].value
            name = settings.SESSION_COOKIE_NAME
            context.add_cookies([{"name": name, "value": session, "url": live_server.url}])
        opened[who] = context
    yield opened
    for context in opened.values():
        context.close()


def _lands_on(context: Any, url: str) -> bool:
    """Whether opening the URL shows a whole HTML page (not a redirect, a refusal of GET, a
    download or an htmx fragment)."""
    answer = context.request.get(url, max_redirects=0)
    if answer.status != 200 or "text/html" not in answer.headers.get("content-type", ""):
        return False
    return "<html" in answer.text()[:500].lower()


def _stops(contexts: dict[str, Any], *, every_status: bool) -> list[Stop]:
    """Every page of the page contract for the administrator, the public pages for anonymous
    visitors, and each role's home."""
    stops = []
    for visit in _visits(turn=None if every_status else 0):
        who = "anonymous" if visit.page.name in PUBLIC_PAGES else "admin"
        if _lands_on(contexts[who], visit.url):
            stops.append(Stop(who, visit.url, visit.page.name))
    stops += [Stop(role, "/", "core:home") for role in ROLE_USERS if role != "admin"]
    assert len(stops) > 60, f"only {len(stops)} pages to check: is the page list right?"
    return stops


def _tabs(contexts: dict[str, Any]) -> dict[str, Any]:
    return {who: context.new_page() for who, context in contexts.items()}


def test_every_page_fits_the_window_at_laptop_and_phone_widths(contexts: dict[str, Any]) -> None:
    tabs = _tabs(contexts)
    failures = []
    for stop in _stops(contexts, every_status=True):
        tab = tabs[stop.who]
        tab.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
        tab.goto(stop.url)
        # Narrowing the window lays the same page out again, as turning a tablet would.
        for width in WIDTHS:
            tab.set_viewport_size({"width": width, "height": HEIGHT})
            document = tab.evaluate("document.documentElement.scrollWidth")
            window = tab.evaluate("window.innerWidth")
            if document > window:
                culprits = "; ".join(tab.evaluate(OVERFLOWING))
                failures.append(
                    f"{stop.name} {stop.url} as {stop.who}: {document} px wide in a "
                    f"{window} px window — {culprits}"
                )
    assert not failures, "\n".join(failures)


def _blocking(results: dict[str, Any]) -> list[str]:
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — "
        + ", ".join(" ".join(map(str, node["target"])) for node in v["nodes"][:8])
        for v in results["violations"]
        if v["impact"] in BLOCKING_IMPACTS
    ]


def test_every_page_has_no_serious_or_critical_accessibility_violation(
    contexts: dict[str, Any],
) -> None:
    tabs = _tabs(contexts)
    axe = Axe()
    failures = []
    for stop in _stops(contexts, every_status=False):
        tab = tabs[stop.who]
        tab.set_viewport_size({"width": WIDTHS[0], "height": HEIGHT})
        tab.goto(stop.url)
        for violation in _blocking(axe.run(tab).response):
            failures.append(f"{stop.name} {stop.url} as {stop.who}: {violation}")
        # On a phone, boxes that scroll sideways must be reachable with the keyboard.
        tab.set_viewport_size({"width": WIDTHS[1], "height": HEIGHT})
        tab.evaluate(NEXT_FRAMES)  # app.js marks the boxes that now scroll on the next frame
        # axe-core is in the page already: run it again without loading it again.
        narrow = tab.evaluate("options => axe.run(document, options)", NARROW_RULES)
        for violation in _blocking(narrow):
            failures.append(f"{stop.name} {stop.url} as {stop.who} at {WIDTHS[1]} px: {violation}")
    assert not failures, "\n".join(failures)
