"""Which roles an identity provider's groups grant: the one parser for SCIM and sign-in.

The mapping is written as `group=role` pairs separated by commas, for example
`gov-reviewers=reviewer,gov-compliance=compliance_officer,gov-admins=admin`. A group named
twice grants each role it is given. Group names are compared without regard to case.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from governance.accounts.roles import Role


def parse_group_roles(text: str) -> dict[str, frozenset[str]]:
    """The mapping from `group=role,...`, group names case-folded; a malformed entry or an
    unknown role is refused by name."""
    return {name.casefold(): roles for name, roles in parse_group_entries(text).items()}


def parse_group_entries(text: str) -> dict[str, frozenset[str]]:
    """The mapping with each group's name as first written (for showing it)."""
    spelling: dict[str, str] = {}
    mapping: dict[str, set[str]] = {}
    for entry in (part.strip() for part in (text or "").split(",")):
        if not entry:
            continue
        group, sep, role = (piece.strip() for piece in entry.partition("="))
        if not sep or not group or not role:
            raise ImproperlyConfigured(
                f"Group-role mapping entry {entry!r} is not of the form group=role."
            )
        if role not in Role.values:
            raise ImproperlyConfigured(
                f"Group-role mapping entry {entry!r} names an unknown role {role!r}; "
                f"known roles: {', '.join(Role.values)}."
            )
        name = spelling.setdefault(group.casefold(), group)
        mapping.setdefault(name, set()).add(role)
    return {group: frozenset(roles) for group, roles in mapping.items()}


@functools.cache
def _parsed(text: str) -> dict[str, frozenset[str]]:
    return parse_group_entries(text)


def configured_groups() -> Mapping[str, frozenset[str]]:
    """The configured mapping (setting GROUP_ROLES), names as written."""
    return _parsed(getattr(settings, "GROUP_ROLES", ""))


def group_roles() -> Mapping[str, frozenset[str]]:
    """The configured mapping (setting GROUP_ROLES), group names case-folded."""
    return {name.casefold(): roles for name, roles in configured_groups().items()}


def roles_of_group(name: str) -> frozenset[str] | None:
    """The roles a group grants, or None for a group the mapping does not name."""
    return group_roles().get((name or "").strip().casefold())


def roles_of_groups(names: list[str]) -> frozenset[str]:
    """Every role the named groups grant together; unknown groups grant nothing."""
    granted: set[str] = set()
    for name in names:
        granted |= roles_of_group(name) or frozenset()
    return frozenset(granted)
