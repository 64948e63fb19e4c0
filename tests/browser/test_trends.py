"""The overview's trend charts on a phone: they scale to the screen and open their tables."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.management import call_command

from governance.approvals.defaults import ensure_default_policies
from tests.browser.conftest import login

pytestmark = pytest.mark.django_db(transaction=True)


def test_trend_charts_fit_a_390_px_screen_and_show_their_tables(page: Any) -> None:
    ensure_default_policies()
    call_command("seed_demo", stdout=None)
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, "executive", "governance-demo")
    panels = page.locator("section.trend-panel")
    assert panels.count() >= 4
    for index in range(panels.count()):
        panel = panels.nth(index)
        panel.scroll_into_view_if_needed()
        box = panel.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box
        chart = panel.locator("svg.trend-chart")
        if chart.count():
            svg = chart.bounding_box()
            assert svg is not None and svg["x"] + svg["width"] <= box["x"] + box["width"] + 0.5
    first = panels.first
    first.get_by_text("Table of the values").click()
    table = first.locator("table.trend-table")
    assert table.is_visible() and table.locator("caption").inner_text() == "Approvals per week"
    assert page.console_errors == []
