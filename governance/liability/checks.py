"""System checks: the room's settings name real roles and well-formed scopes."""

from __future__ import annotations

import re
from typing import Any

from django.core.checks import Error, Warning, register

SCOPE_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


@register()
def liability_settings_check(app_configs: Any, **kwargs: Any) -> list[Any]:
    from governance.accounts.roles import Role
    from governance.liability import conf

    problems: list[Any] = []
    roles = conf.qualifying_roles()
    unknown = sorted(roles - set(Role.values))
    if unknown:
        problems.append(
            Error(
                f"ACCOUNTABLE_OWNER_ROLES names unknown roles: {', '.join(unknown)}",
                id="liability.E001",
            )
        )
    if not roles - {Role.AUDITOR}:
        problems.append(
            Error("ACCOUNTABLE_OWNER_ROLES allows nobody to own a deployment", id="liability.E002")
        )
    if Role.AUDITOR in roles:
        problems.append(
            Warning(
                "ACCOUNTABLE_OWNER_ROLES includes the auditor role; auditors should stay "
                "independent of what they audit",
                id="liability.W001",
            )
        )
    bad = [s for s in conf.scopes() if not SCOPE_PATTERN.match(s)]
    if bad or not conf.scopes() or len(set(conf.scopes())) != len(conf.scopes()):
        problems.append(
            Error(
                "ACCOUNTABILITY_SCOPES must be distinct lowercase names (letters, digits, _), "
                f"at most 40 characters; got {conf.scopes()!r}",
                id="liability.E003",
            )
        )
    return problems
