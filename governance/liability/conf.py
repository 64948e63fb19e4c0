"""The room's settings, read at call time so tests and deployments can change them."""

from __future__ import annotations

from django.conf import settings

DEFAULT_SCOPES = (
    "model_performance",
    "data_protection",
    "human_oversight",
    "incident_response",
    "regulatory_reporting",
    "fairness",
    "security",
)


def qualifying_roles() -> frozenset[str]:
    """Roles that may hold accountable ownership (ACCOUNTABLE_OWNER_ROLES)."""
    from governance.accounts.roles import Role

    default = [role for role in Role.values if role != Role.AUDITOR]
    return frozenset(getattr(settings, "ACCOUNTABLE_OWNER_ROLES", default))


def scopes() -> list[str]:
    """Accountability scopes offered for assignments, in display order (ACCOUNTABILITY_SCOPES)."""
    return list(getattr(settings, "ACCOUNTABILITY_SCOPES", DEFAULT_SCOPES))


def scope_label(scope: str) -> str:
    return scope.replace("_", " ").capitalize()


def scope_choices() -> list[tuple[str, str]]:
    return [(scope, scope_label(scope)) for scope in scopes()]


def expiry_warning_days() -> int:
    return int(getattr(settings, "CONTRACT_EXPIRY_WARNING_DAYS", 60))
