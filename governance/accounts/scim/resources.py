"""People and groups as SCIM resources, and what a SCIM request asks to change about them.

Groups are not stored: each is an entry of the GROUP_ROLES mapping, and its members are the
people who hold every role it grants. Joining a group grants its roles; leaving it takes them
away (so one role should come from one group only).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.urls import reverse

from governance.accounts.group_roles import configured_groups
from governance.accounts.models import User
from governance.accounts.scim.protocol import (
    ENTERPRISE_USER,
    GROUP_SCHEMA,
    USER_SCHEMA,
    ScimError,
    as_bool,
    as_text,
)

GROUP_NAMESPACE = uuid.UUID("5b0c3b8e-7d38-4f3e-9c55-3a8f1f4f0d11")


@dataclass(frozen=True)
class Group:
    id: str
    name: str
    roles: frozenset[str]


def groups() -> list[Group]:
    return [
        Group(str(uuid.uuid5(GROUP_NAMESPACE, name.casefold())), name, roles)
        for name, roles in configured_groups().items()
    ]


def group_by_id(group_id: str) -> Group:
    for group in groups():
        if group.id == group_id:
            return group
    raise ScimError(404, f"No group {group_id!r}: groups are the entries of GROUP_ROLES.")


def group_by_name(name: str) -> Group | None:
    wanted = (name or "").strip().casefold()
    return next((g for g in groups() if g.name.casefold() == wanted), None)


def _location(name: str, pk: Any) -> str:
    return reverse(name, kwargs={"pk": str(pk)})


def user_groups(user: User) -> list[Group]:
    held = user.roles
    return [g for g in groups() if g.roles <= held]


def user_resource(user: User, request: Any) -> dict[str, Any]:
    location = request.build_absolute_uri(_location("scim:user", user.pk))
    resource: dict[str, Any] = {
        "schemas": [USER_SCHEMA],
        "id": str(user.pk),
        "userName": user.username,
        "name": {
            "givenName": user.first_name,
            "familyName": user.last_name,
            "formatted": user.get_full_name(),
        },
        "displayName": user.display_name,
        "active": user.is_active,
        "emails": [{"value": user.email, "type": "work", "primary": True}] if user.email else [],
        "groups": [
            {
                "value": g.id,
                "display": g.name,
                "$ref": request.build_absolute_uri(_location("scim:group", g.id)),
            }
            for g in user_groups(user)
        ],
        "meta": {
            "resourceType": "User",
            "created": user.date_joined.isoformat(),
            "location": location,
        },
    }
    return resource


def group_resource(
    group: Group, members: Iterable[User], request: Any, *, with_members: bool = True
) -> dict[str, Any]:
    resource: dict[str, Any] = {
        "schemas": [GROUP_SCHEMA],
        "id": group.id,
        "displayName": group.name,
        "meta": {
            "resourceType": "Group",
            "location": request.build_absolute_uri(_location("scim:group", group.id)),
        },
    }
    if with_members:
        resource["members"] = [
            {
                "value": str(u.pk),
                "display": u.display_name,
                "$ref": request.build_absolute_uri(_location("scim:user", u.pk)),
            }
            for u in members
        ]
    return resource


# --- What a request asks to change about a person ------------------------------------------


@dataclass
class UserChanges:
    """Attributes a POST, PUT or PATCH sets; None means "leave as it is"."""

    username: str | None = None
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    active: bool | None = None
    ignored: list[str] = field(default_factory=list)

    def details(self) -> dict[str, str]:
        names = ("username", "first_name", "last_name", "email")
        return {n: v for n in names if (v := getattr(self, n)) is not None}


# Attributes providers send that this system does not keep: accepted and left out.
IGNORED = {
    "schemas",
    "id",
    "meta",
    "externalid",
    "displayname",
    "nickname",
    "title",
    "usertype",
    "preferredlanguage",
    "locale",
    "timezone",
    "profileurl",
    "phonenumbers",
    "addresses",
    "photos",
    "ims",
    "entitlements",
    "roles",
    "x509certificates",
    "groups",
    "password",
    ENTERPRISE_USER.lower(),
    "name.formatted",
    "name.middlename",
    "name.honorificprefix",
    "name.honorificsuffix",
}


def _primary_email(value: Any) -> str:
    if isinstance(value, str):
        return as_text(value, "emails")
    if not isinstance(value, list):
        raise ScimError(400, "emails must be a list of {value, type, primary}.", "invalidValue")
    entries = [e for e in value if isinstance(e, dict)]
    if len(entries) != len(value):
        raise ScimError(400, "emails must be a list of {value, type, primary}.", "invalidValue")
    if not entries:
        return ""
    chosen = next((e for e in entries if e.get("primary") is True), entries[0])
    return as_text(chosen.get("value"), "emails.value")


def apply_attribute(changes: UserChanges, path: str, value: Any, *, removing: bool = False) -> None:
    """Record one attribute of a request (`path` as SCIM names it, compared without case)."""
    key = path.strip().lower()
    if key.startswith(USER_SCHEMA.lower() + ":"):
        key = key[len(USER_SCHEMA) + 1 :]
    if key == "name" and isinstance(value, dict):
        for sub, sub_value in value.items():
            apply_attribute(changes, f"name.{sub}", sub_value, removing=removing)
        return
    if key == "username":
        if removing:
            raise ScimError(400, "userName is required and cannot be removed.", "mutability")
        changes.username = as_text(value, "userName")
    elif key == "name.givenname":
        changes.first_name = "" if removing else as_text(value, "name.givenName")
    elif key == "name.familyname":
        changes.last_name = "" if removing else as_text(value, "name.familyName")
    elif key in ("emails", "emails.value") or (
        key.startswith("emails[") and key.endswith("].value")
    ):
        changes.email = "" if removing else _primary_email(value)
    elif key == "active":
        if removing:
            raise ScimError(400, "active cannot be removed; set it to false.", "mutability")
        changes.active = as_bool(value, "active")
    elif key in IGNORED or key.split(".")[0] in IGNORED or key.startswith(ENTERPRISE_USER.lower()):
        changes.ignored.append(path)
    else:
        raise ScimError(400, f"Unknown attribute {path!r} for a User.", "invalidPath")


def changes_from_resource(body: Mapping[str, Any], *, require_username: bool) -> UserChanges:
    """What a full User resource (POST, PUT) sets."""
    changes = UserChanges()
    for attribute, value in body.items():
        apply_attribute(changes, attribute, value)
    if require_username and not (changes.username or "").strip():
        raise ScimError(400, "userName is required.", "invalidValue")
    return changes


def changes_from_patch(body: Mapping[str, Any]) -> UserChanges:
    """What a PatchOp (RFC 7644 §3.5.2) sets on a User."""
    changes = UserChanges()
    for op, path, value in patch_operations(body):
        if path is None:
            if op == "remove" or not isinstance(value, dict):
                raise ScimError(
                    400, "An operation without a path needs an object value.", "noTarget"
                )
            for attribute, sub_value in value.items():
                apply_attribute(changes, attribute, sub_value)
        else:
            apply_attribute(changes, path, value, removing=op == "remove")
    return changes


def patch_operations(body: Mapping[str, Any]) -> list[tuple[str, str | None, Any]]:
    operations = body.get("Operations")
    if not isinstance(operations, list) or not operations:
        raise ScimError(400, "A PATCH needs a non-empty Operations list.", "invalidValue")
    parsed = []
    for operation in operations:
        if not isinstance(operation, dict):
            raise ScimError(
                400, "Each operation is an object with op, path and value.", "invalidValue"
            )
        op = str(operation.get("op", "")).lower()
        if op not in ("add", "replace", "remove"):
            raise ScimError(
                400, f"Unknown op {operation.get('op')!r}: add, replace or remove.", "invalidValue"
            )
        path = operation.get("path")
        if path is not None and not isinstance(path, str):
            raise ScimError(400, "path must be a string.", "invalidPath")
        parsed.append((op, path or None, operation.get("value")))
    return parsed
