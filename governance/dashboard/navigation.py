"""Navigation built from the permissions module, so menus show only what a role may open."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from governance.accounts.permissions import Perm, can, permissions_of

# (label, url name, permission). Entries whose URL does not exist yet are left out.
NAVIGATION: list[tuple[str, str, Perm]] = [
    ("Home", "core:home", Perm.VIEW),
    ("Portfolio", "dashboard:portfolio", Perm.VIEW),
    ("Systems", "inventory:system_list", Perm.VIEW),
    ("Model versions", "inventory:model_version_list", Perm.VIEW),
    ("Datasets", "inventory:dataset_list", Perm.VIEW),
    ("Deployments", "inventory:deployment_list", Perm.VIEW),
    ("Risk", "risk:portfolio", Perm.VIEW),
    ("My queue", "approvals:queue", Perm.APPROVAL_SIGN),
    ("Bias audits", "bias:audit_list", Perm.VIEW),
    ("Findings", "findings:list", Perm.VIEW),
    ("Obligations", "obligations:coverage", Perm.VIEW),
    ("Accountability", "liability:matrix", Perm.VIEW),
    ("Reports", "reports:report_list", Perm.VIEW),
    ("Incidents", "monitoring:incident_list", Perm.VIEW),
    ("Audit log", "ledger:event_list", Perm.VIEW),
    ("Users", "accounts:user_list", Perm.USER_MANAGE),
]


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_perms": frozenset(), "user_roles": []}
    items = []
    current = request.path
    for label, name, perm in NAVIGATION:
        if not can(user, perm):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        active = current == url or (url != "/" and current.startswith(url))
        items.append({"label": label, "url": url, "active": active})
    return {
        "nav_items": items,
        "user_perms": {perm.value for perm in permissions_of(user)},
        "user_roles": sorted(user.roles),
    }
