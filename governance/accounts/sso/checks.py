from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from governance.accounts.group_roles import parse_group_roles


def group_roles_readable(app_configs: Any, **kwargs: Any) -> list[checks.CheckMessage]:
    try:
        mapping = parse_group_roles(settings.GROUP_ROLES)
    except ImproperlyConfigured as exc:
        return [checks.Error(f"GROUP_ROLES: {exc}", id="sso.E001")]
    if settings.OIDC_ENABLED and not mapping:
        return [
            checks.Error(
                "OIDC_ISSUER is set but GROUP_ROLES maps no group to a role: "
                "every sign-in would be refused.",
                id="sso.E002",
            )
        ]
    return []


def register() -> None:
    checks.register(group_roles_readable, checks.Tags.security)
