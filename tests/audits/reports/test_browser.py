"""The report page's progress bar updates live (htmx polling under the strict CSP)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import connections

from audits.reports.generate import run_report
from audits.reports.services import report_request
from tests.browser.conftest import browser, login, page  # noqa: F401 - fixtures
from tests.factories.accounts import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_progress_bar_follows_the_job_until_the_download_appears(
    page: Any,  # noqa: F811
    owner: Any,
    deployment: Any,
    private_queue: None,
) -> None:
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    login(page, "maya", PASSWORD)
    page.goto(f"/reports/{report.pk}/")
    assert page.locator("#job-progress .badge").inner_text() == "Queued"

    # A worker finishes while the page is open (a thread: Playwright owns this one's loop).
    def work() -> None:
        try:
            run_report(report.pk)
        finally:
            connections.close_all()  # the thread's own connection, or the test database stays busy

    worker = threading.Thread(target=work)
    worker.start()
    download = page.get_by_role("link", name="Download PDF")
    download.wait_for(timeout=15_000)
    assert page.locator("#job-progress .badge").inner_text() == "Done"
    assert page.locator("#job-progress progress").get_attribute("value") == "100"
    assert page.locator("#job-progress").get_attribute("hx-trigger") is None  # polling stopped
    with page.expect_download() as info:
        download.click()
    assert info.value.suggested_filename.endswith(".pdf")
    worker.join()
    assert page.console_errors == []
