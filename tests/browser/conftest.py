"""Playwright on the system Chromium. Without Chromium the tests skip locally and fail in CI."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "var" / "test-artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: Any, call: Any) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


class _SharedChromium:
    """One Playwright driver and one Chromium for the whole session.

    Test modules outside tests/browser/ import the `browser` fixture, which makes pytest hold
    one session-scoped instance per place it is defined. Starting a second sync Playwright
    while the first one's event loop runs fails ("Playwright Sync API inside the asyncio
    loop"), so every instance shares this one and the last to finish closes it.
    """

    def __init__(self) -> None:
        self.manager: Any = None
        self.browser: Any = None
        self.users = 0

    def acquire(self) -> Any:
        if self.users == 0:
            from playwright.sync_api import sync_playwright

            self.manager = sync_playwright()
            playwright = self.manager.__enter__()
            try:
                self.browser = playwright.chromium.launch(
                    executable_path=CHROMIUM, args=CHROMIUM_ARGS
                )
            except BaseException:
                self.manager.__exit__(None, None, None)
                raise
        self.users += 1
        return self.browser

    def release(self) -> None:
        self.users -= 1
        if self.users == 0:
            try:
                self.browser.close()
            finally:
                self.manager.__exit__(None, None, None)
                self.manager = self.browser = None


_CHROMIUM = _SharedChromium()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM):
        message = f"Chromium not found at {CHROMIUM}"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: browser tests must run)")
        pytest.skip(message)
    shared = _CHROMIUM.acquire()
    try:
        yield shared
    finally:
        _CHROMIUM.release()


@pytest.fixture
def page(browser: Any, request: Any, live_server: Any) -> Iterator[Any]:
    context = browser.new_context(base_url=live_server.url, accept_downloads=True)
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.console_errors = errors
    yield page
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^A-Za-z0-9_.-]", "_", request.node.nodeid)[-150:]
        page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
        (ARTIFACTS / f"{stem}.html").write_text(page.content())
    context.close()


def login(page: Any, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/$"))
