"""The tabs of the deployment page. Each room owns the page behind its tab.

A tab appears once its room defines the URL name (taking the deployment's `pk`), so the
page grows as rooms land without this module importing them.
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

DEPLOYMENT_TABS: list[tuple[str, str, str]] = [
    ("overview", "Overview", "inventory:deployment_detail"),
    ("risk", "Risk", "risk:deployment_risk"),
    ("approvals", "Approvals", "approvals:deployment_approvals"),
    ("bias", "Bias audits", "bias:deployment_audits"),
    ("accountability", "Accountability", "liability:deployment_accountability"),
    ("reports", "Reports", "reports:deployment_reports"),
    ("history", "History", "inventory:deployment_history"),
]


def deployment_tabs(deployment: Any, current: str) -> list[dict[str, Any]]:
    tabs = []
    for key, label, name in DEPLOYMENT_TABS:
        try:
            url = reverse(name, kwargs={"pk": deployment.pk})
        except NoReverseMatch:
            continue
        tabs.append({"key": key, "label": label, "url": url, "active": key == current})
    return tabs
