"""The SCIM endpoints: plain Django views with their own authentication and error form.

An identity provider authenticates with an API token that holds the `scim` scope (sent as
`Authorization: Bearer <key>`), owned by someone whose roles manage accounts; the changes it
makes are ledgered with that person as the actor. Every answer, errors included, is SCIM JSON.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework.exceptions import AuthenticationFailed

from governance.accounts import services
from governance.accounts.authentication import HashedTokenAuthentication
from governance.accounts.models import RoleGrant, User
from governance.accounts.permissions import Perm, can
from governance.accounts.scim import discovery
from governance.accounts.scim.protocol import (
    ScimError,
    equality_filter,
    list_response,
    page_params,
    read_body,
    scim_response,
)
from governance.accounts.scim.resources import (
    Group,
    changes_from_patch,
    changes_from_resource,
    group_by_id,
    group_by_name,
    group_resource,
    groups,
    patch_operations,
    user_resource,
)
from governance.accounts.scopes import Scope
from governance.core.errors import Conflict, DomainError, NotFound, PermissionRefused

logger = logging.getLogger(__name__)

DEACTIVATED = "deactivated by the identity provider (SCIM)"
REACTIVATED = "reactivated by the identity provider (SCIM)"
USER_FILTERS = {
    "userName": "username__iexact",
    "emails.value": "email__iexact",
    "emails": "email__iexact",
    "id": "pk",
}

Handler = Callable[..., HttpResponse]


def _authenticate(request: HttpRequest) -> User:
    scheme, _, key = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() not in ("bearer", "token") or not key.strip():
        raise ScimError(401, "Send the provisioning token as 'Authorization: Bearer <key>'.")
    try:
        user, token = HashedTokenAuthentication().authenticate_credentials(key.strip())
    except AuthenticationFailed as exc:
        raise ScimError(401, str(exc.detail)) from exc
    if Scope.SCIM not in token.scope_set:
        raise ScimError(403, "This token does not have the scim scope.")
    if not can(user, Perm.USER_MANAGE):
        raise ScimError(403, "The token's owner holds no role that manages accounts.")
    return user


def _from_domain(exc: DomainError) -> ScimError:
    if isinstance(exc, Conflict) and "username" in exc.fields:
        return ScimError(409, exc.message, "uniqueness")
    if isinstance(exc, PermissionRefused):
        return ScimError(403, exc.message)
    if isinstance(exc, NotFound):
        return ScimError(404, exc.message)
    if isinstance(exc, Conflict):
        return ScimError(409, exc.message)
    return ScimError(exc.status_code, exc.message, "invalidValue")


def scim_endpoint(*methods: str) -> Callable[[Handler], Handler]:
    """Authenticate the token, answer only `methods`, and turn every refusal into SCIM JSON."""

    def decorator(handler: Handler) -> Handler:
        @csrf_exempt  # a bearer token, never a cookie, authenticates these requests
        @wraps(handler)
        def view(request: HttpRequest, **kwargs: Any) -> HttpResponse:
            try:
                actor = _authenticate(request)
                if request.method not in methods:
                    raise ScimError(405, f"{request.method} is not supported here.")
                return handler(request, actor, **kwargs)
            except ScimError as exc:
                return exc.response()
            except DomainError as exc:
                return _from_domain(exc).response()

        return view

    return decorator


# --- Users ---------------------------------------------------------------------------------


def _people() -> QuerySet[User]:
    return User.objects.prefetch_related(
        Prefetch("role_grants", queryset=RoleGrant.objects.order_by("role"))
    ).order_by("date_joined", "pk")


def _person(pk: str) -> User:
    try:
        return _people().get(pk=uuid.UUID(pk))
    except (ValueError, User.DoesNotExist) as exc:
        raise ScimError(404, f"No user {pk!r}.") from exc


def _fresh(user: User) -> User:
    return _people().get(pk=user.pk)


def _apply(user: User, changes: Any, actor: User) -> User:
    details = changes.details()
    if details:
        user = services.user_details_update(user=user, actor=actor, **details)
    if changes.active is False:
        user = services.user_deactivate(user=user, actor=actor, reason=DEACTIVATED)
    elif changes.active is True:
        user = services.user_reactivate(user=user, actor=actor, reason=REACTIVATED)
    return user


@scim_endpoint("GET", "POST")
def users(request: HttpRequest, actor: User) -> HttpResponse:
    if request.method == "POST":
        changes = changes_from_resource(read_body(request), require_username=True)
        with transaction.atomic():
            person = services.user_provision(actor=actor, **changes.details())
            if changes.active is False:
                services.user_deactivate(user=person, actor=actor, reason=DEACTIVATED)
        response = scim_response(user_resource(_fresh(person), request), status=201)
        response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{person.pk}")
        return response
    start, count = page_params(request)
    people = _people()
    wanted = equality_filter(request.GET.get("filter", ""), USER_FILTERS)
    if wanted is not None:
        lookup, value = wanted
        if lookup == "pk":
            try:
                people = people.filter(pk=uuid.UUID(value))
            except ValueError:
                people = people.none()
        else:
            people = people.filter(**{lookup: value})
    total = people.count()
    page = list(people[start - 1 : start - 1 + count]) if count else []
    return list_response([user_resource(u, request) for u in page], total=total, start=start)


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def user(request: HttpRequest, actor: User, pk: str) -> HttpResponse:
    person = _person(pk)
    if request.method == "GET":
        return scim_response(user_resource(person, request))
    if request.method == "DELETE":
        # People are never deleted: the audit trail names them. Deletion deactivates.
        services.user_deactivate(user=person, actor=actor, reason=DEACTIVATED)
        return scim_response(None, status=204)
    body = read_body(request)
    if request.method == "PUT":
        changes = changes_from_resource(body, require_username=True)
        # A PUT replaces the resource: what it leaves out is cleared.
        changes.first_name = changes.first_name or ""
        changes.last_name = changes.last_name or ""
        changes.email = changes.email or ""
    else:
        changes = changes_from_patch(body)
    with transaction.atomic():
        _apply(person, changes, actor)
    return scim_response(user_resource(_fresh(person), request))


# --- Groups --------------------------------------------------------------------------------


def _members(group: Group) -> QuerySet[User]:
    members = _people()
    for role in sorted(group.roles):
        members = members.filter(role_grants__role=role)
    return members


def _member_ids(value: Any) -> set[uuid.UUID]:
    entries = value if isinstance(value, list) else [value]
    ids = set()
    for entry in entries:
        raw = entry.get("value") if isinstance(entry, dict) else None
        try:
            ids.add(uuid.UUID(str(raw)))
        except ValueError as exc:
            raise ScimError(400, f"Not a member reference: {entry!r}.", "invalidValue") from exc
    return ids


def _check_name(group: Group, name: Any) -> None:
    if not isinstance(name, str) or name.strip().casefold() != group.name.casefold():
        raise ScimError(
            400, "A group's displayName is set by GROUP_ROLES and cannot change.", "mutability"
        )


def _membership_after_patch(
    group: Group, body: dict[str, Any], current: set[uuid.UUID]
) -> set[uuid.UUID]:
    members = set(current)
    for op, path, value in patch_operations(body):
        target = (path or "").strip()
        lowered = target.lower()
        if not target:
            if op == "remove" or not isinstance(value, dict):
                raise ScimError(
                    400, "An operation without a path needs an object value.", "noTarget"
                )
            if "displayName" in value:
                _check_name(group, value["displayName"])
            if "members" in value:
                given = _member_ids(value["members"])
                members = members | given if op == "add" else given
        elif lowered == "displayname":
            _check_name(group, value)
        elif lowered == "members":
            if op == "add":
                members |= _member_ids(value)
            elif op == "replace":
                members = _member_ids(value or [])
            else:
                members = members - _member_ids(value) if value else set()
        elif lowered.startswith("members[") and op == "remove":
            found = equality_filter(target[len("members[") : target.rfind("]")], {"value": "value"})
            if found is None:
                raise ScimError(400, f"Unsupported path {target!r}.", "invalidPath")
            members -= _member_ids({"value": found[1]})
        else:
            raise ScimError(400, f"Unsupported path {target!r} for a Group.", "invalidPath")
    return members


def _set_members(group: Group, wanted: set[uuid.UUID], actor: User) -> None:
    """Grant the group's roles to people who join it and take them from people who leave it,
    all in one transaction: a refused change (yourself, the last administrator) saves none."""
    current = {u.pk for u in _members(group)}
    found = {u.pk: u for u in _people().filter(pk__in=wanted | current)}
    unknown = wanted - set(found)
    if unknown:
        raise ScimError(400, f"No user {sorted(map(str, unknown))[0]!r}.", "invalidValue")
    with transaction.atomic():
        for pk in sorted(wanted - current):
            person = found[pk]
            services.user_roles_set(user=person, roles=person.roles | group.roles, actor=actor)
        for pk in sorted(current - wanted):
            person = found[pk]
            services.user_roles_set(user=person, roles=person.roles - group.roles, actor=actor)


def _group_answer(group: Group, request: HttpRequest, *, status: int = 200) -> HttpResponse:
    return scim_response(group_resource(group, _members(group), request), status=status)


@scim_endpoint("GET", "POST")
def groups_view(request: HttpRequest, actor: User) -> HttpResponse:
    if request.method == "POST":
        body = read_body(request)
        name = body.get("displayName")
        if not isinstance(name, str) or not name.strip():
            raise ScimError(400, "displayName is required.", "invalidValue")
        group = group_by_name(name)
        if group is None:
            raise ScimError(
                400,
                f"Group {name!r} is not in GROUP_ROLES, so it grants no role; add it there first.",
                "invalidValue",
            )
        if "members" in body:
            current = {u.pk for u in _members(group)}
            _set_members(group, current | _member_ids(body["members"] or []), actor)
        response = _group_answer(group, request, status=201)
        response["Location"] = request.build_absolute_uri(f"{request.path.rstrip('/')}/{group.id}")
        return response
    start, count = page_params(request)
    chosen = groups()
    wanted = equality_filter(request.GET.get("filter", ""), {"displayName": "name", "id": "id"})
    if wanted is not None:
        attribute, value = wanted
        chosen = [
            g
            for g in chosen
            if (g.name.casefold() == value.casefold() if attribute == "name" else g.id == value)
        ]
    with_members = "members" not in request.GET.get("excludedAttributes", "")
    page = chosen[start - 1 : start - 1 + count]
    resources = [
        group_resource(g, _members(g) if with_members else [], request, with_members=with_members)
        for g in page
    ]
    return list_response(resources, total=len(chosen), start=start)


@scim_endpoint("GET", "PUT", "PATCH", "DELETE")
def group(request: HttpRequest, actor: User, pk: str) -> HttpResponse:
    chosen = group_by_id(pk)
    if request.method == "GET":
        return _group_answer(chosen, request)
    if request.method == "DELETE":
        _set_members(chosen, set(), actor)
        return scim_response(None, status=204)
    body = read_body(request)
    if request.method == "PUT":
        _check_name(chosen, body.get("displayName"))
        _set_members(chosen, _member_ids(body.get("members") or []), actor)
        return _group_answer(chosen, request)
    current = {u.pk for u in _members(chosen)}
    _set_members(chosen, _membership_after_patch(chosen, body, current), actor)
    if request.GET.get("excludedAttributes") == "members":
        return scim_response(None, status=204)
    return _group_answer(chosen, request)


# --- Discovery (RFC 7644 §4) ----------------------------------------------------------------


@scim_endpoint("GET")
def service_provider_config(request: HttpRequest, actor: User) -> HttpResponse:
    return scim_response(discovery.service_provider_config(request))


@scim_endpoint("GET")
def resource_types(request: HttpRequest, actor: User, name: str = "") -> HttpResponse:
    types = discovery.resource_types(request)
    if not name:
        return list_response(types, total=len(types), start=1)
    for entry in types:
        if entry["id"] == name:
            return scim_response(entry)
    raise ScimError(404, f"No resource type {name!r}.")


@scim_endpoint("GET")
def schemas(request: HttpRequest, actor: User, urn: str = "") -> HttpResponse:
    known = discovery.schemas(request)
    if not urn:
        return list_response(known, total=len(known), start=1)
    for entry in known:
        if entry["id"] == urn:
            return scim_response(entry)
    raise ScimError(404, f"No schema {urn!r}.")


@scim_endpoint("GET", "POST", "PUT", "PATCH", "DELETE")
def unknown(request: HttpRequest, actor: User, rest: str = "") -> HttpResponse:
    raise ScimError(404, f"No SCIM endpoint {request.path!r}.")
