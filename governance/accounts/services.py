"""Writes to accounts: users, role grants, API tokens and re-authentication for signatures."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone

from governance.accounts.lockout import wait_message
from governance.accounts.models import ApiToken, RoleGrant, User
from governance.accounts.permissions import mintable_scopes
from governance.accounts.roles import Role
from governance.accounts.scopes import READ_ONLY_SCOPES, Scope, scopes_text
from governance.accounts.signals import user_access_reduced
from governance.core.errors import InvalidInput, PermissionRefused
from governance.core.ratelimit import RateLimited
from governance.ledger.services import ledger_append, ledger_write_lock

TOKEN_PREFIX_LENGTH = 8


def _validate_roles(roles: Iterable[str]) -> set[str]:
    wanted = set(roles)
    unknown = wanted - set(Role.values)
    if unknown:
        raise InvalidInput(
            f"Unknown role(s): {', '.join(sorted(unknown))}. "
            f"Known roles: {', '.join(Role.values)}.",
            fields={"roles": f"unknown: {', '.join(sorted(unknown))}"},
        )
    return wanted


def user_create(
    *,
    username: str,
    password: str,
    roles: Iterable[str],
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    actor: User | None = None,
) -> User:
    """Create a person with their roles; the password must pass Django's validators."""
    wanted = _validate_roles(roles)
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(f"User {username!r} already exists.", fields={"username": "taken"})
    candidate = User(username=username, email=email, first_name=first_name, last_name=last_name)
    try:
        password_validation.validate_password(password, candidate)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), fields={"password": exc.messages}) from exc
    with transaction.atomic():
        candidate.set_password(password)
        candidate.save()
        RoleGrant.objects.bulk_create(
            [RoleGrant(user=candidate, role=role, granted_by=actor) for role in sorted(wanted)]
        )
        ledger_append(
            actor=actor,
            action="user.created",
            subject=candidate,
            data={"username": username, "email": email, "roles": sorted(wanted)},
        )
    return candidate


def user_roles_set(*, user: User, roles: Iterable[str], actor: User | None) -> User:
    """Replace a person's roles; removals notify rooms that depend on the removed roles."""
    wanted = _validate_roles(roles)
    with transaction.atomic():
        ledger_write_lock()
        locked = User.objects.select_for_update().get(pk=user.pk)
        current = set(locked.role_grants.values_list("role", flat=True))
        added, removed = wanted - current, current - wanted
        if not added and not removed:
            return locked
        RoleGrant.objects.filter(user=locked, role__in=removed).delete()
        RoleGrant.objects.bulk_create(
            [RoleGrant(user=locked, role=role, granted_by=actor) for role in sorted(added)]
        )
        locked.__dict__.pop("roles", None)
        # Reactions lock the records they change (deployments) before any ledger append, so
        # the ledger head stays the last lock taken in this transaction, as everywhere else.
        if removed:
            user_access_reduced.send(
                sender=User,
                user=locked,
                actor=actor,
                removed_roles=frozenset(removed),
                deactivated=False,
            )
        ledger_append(
            actor=actor,
            action="user.roles_changed",
            subject=locked,
            data={"before": sorted(current), "after": sorted(wanted)},
        )
    return locked


def user_deactivate(*, user: User, actor: User | None, reason: str = "") -> User:
    """Switch a person's account off; what they were accountable for reacts in this transaction."""
    with transaction.atomic():
        ledger_write_lock()
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            return locked
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        # Reactions first, ledger last: see user_roles_set.
        user_access_reduced.send(
            sender=User,
            user=locked,
            actor=actor,
            removed_roles=frozenset(locked.roles),
            deactivated=True,
        )
        ledger_append(
            actor=actor, action="user.deactivated", subject=locked, data={"reason": reason}
        )
    return locked


def _validate_scopes(user: User, scopes: Iterable[str]) -> str:
    wanted = set(scopes)
    unknown = wanted - set(Scope.values)
    if unknown or not wanted:
        problem = f"unknown: {', '.join(sorted(unknown))}" if unknown else "name at least one"
        raise InvalidInput(
            f"Scopes: {problem}. Known scopes: {', '.join(Scope.values)}.",
            fields={"scopes": problem},
        )
    beyond = wanted - mintable_scopes(user)
    if beyond:
        # A token never does more than its owner: roles that only read mint only reading.
        raise PermissionRefused(
            f"{user.username}'s roles only read, so their tokens may carry only "
            f"{' and '.join(sorted(READ_ONLY_SCOPES))}, not {', '.join(sorted(beyond))}.",
            fields={"scopes": f"not allowed: {', '.join(sorted(beyond))}"},
        )
    return scopes_text(wanted)


def api_token_create(
    *,
    user: User,
    scopes: Iterable[str],
    name: str = "",
    expires_at: dt.datetime | None = None,
    actor: User | None = None,
) -> str:
    """Issue a token with its scopes and optional expiry, and return its key.

    Only the key's SHA-256 is kept, so the key is shown once. The scopes must be ones the
    owner's roles allow (`mintable_scopes`).
    """
    stored_scopes = _validate_scopes(user, scopes)
    if expires_at is not None and expires_at <= timezone.now():
        raise InvalidInput(
            "The expiry must be in the future.", fields={"expires_at": "in the past"}
        )
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            prefix=key[:TOKEN_PREFIX_LENGTH],
            key_hash=hashlib.sha256(key.encode()).hexdigest(),
            scopes=stored_scopes,
            expires_at=expires_at,
        )
        ledger_append(
            actor=actor or user,
            action="api_token.created",
            subject=token,
            data={
                "user": user.username,
                "name": name,
                "prefix": token.prefix,
                "scopes": stored_scopes.split(),
                "expires_at": expires_at.isoformat() if expires_at else None,
            },
        )
    return key


def api_token_revoke(*, token: ApiToken, actor: User) -> None:
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is not None:
            return
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        ledger_append(
            actor=actor, action="api_token.revoked", subject=locked, data={"prefix": locked.prefix}
        )


def reauthenticate(
    *,
    user: Any,
    password: str = "",
    request: HttpRequest,
    purpose: str,
    subject: Any = None,
    deployment_id: Any = None,
    proof: Any = None,
) -> str:
    """Check the signer's identity again before a signature (21 CFR 11.200).

    Either the password, through Django's `authenticate`, so a wrong password counts toward
    the same login lockout as the login page; or, for people who sign in through the
    organisation's provider, a `ReauthProof` (accounts/sso/reauth.py) of a fresh login
    there, no older than OIDC_SIGNATURE_MAX_AGE_SECONDS. Returns how the signer
    re-authenticated, for the signature record. Call it before opening the transaction that
    records the signature: a refusal is written to the ledger in its own transaction and
    must survive the exception that follows.
    """
    if proof is not None:
        return _reauthenticate_by_proof(
            user=user, proof=proof, purpose=purpose, subject=subject, deployment_id=deployment_id
        )
    if not password:
        raise InvalidInput("Enter your password to sign.", fields={"password": "required"})
    if not user.has_usable_password():
        # Accounts made at a provider sign-in have no password here to re-enter.
        raise PermissionRefused(
            "Your account signs in through your organisation's provider: confirm your "
            "signature there (the signing page offers it).",
            fields={"password": "this account has no password; confirm with the provider"},
        )
    authenticated = authenticate(request, username=user.get_username(), password=password)
    if authenticated is not None and authenticated.pk == user.pk:
        return "password"
    locked_out = bool(getattr(request, "axes_locked_out", False))
    wait = int(getattr(request, "login_wait_seconds", 0))
    reason = "wrong password"
    if locked_out:
        reason = "account locked after repeated failures"
    elif wait:
        reason = "slowed down after repeated failures"
    with transaction.atomic():
        ledger_append(
            actor=user,
            action="security.reauthentication_failed",
            subject=subject,
            deployment_id=deployment_id,
            data={"purpose": purpose, "reason": reason},
        )
    if locked_out:
        raise PermissionRefused(
            "Your account is locked after too many failed password attempts. Try again later.",
            fields={"password": "locked"},
        )
    if wait:
        raise RateLimited(wait_message(wait), retry_after=wait)
    raise PermissionRefused("The password is not correct.", fields={"password": "incorrect"})


def _reauthenticate_by_proof(
    *, user: Any, proof: Any, purpose: str, subject: Any, deployment_id: Any
) -> str:
    if str(proof.user_id) != str(user.pk):
        reason, message = "provider login of someone else", "You confirmed as someone else."
    elif not proof.is_fresh():
        # A login at the provider counts as a signature's second factor only while fresh;
        # otherwise whoever finds an unlocked browser could sign.
        age = int(proof.age_seconds())
        reason = f"provider login {age} s old"
        message = (
            f"Your login at the provider is {age} seconds old; a signature needs one from "
            f"the last {settings.OIDC_SIGNATURE_MAX_AGE_SECONDS} seconds. Confirm again."
        )
    else:
        return str(proof.describe())
    with transaction.atomic():
        ledger_append(
            actor=user,
            action="security.reauthentication_failed",
            subject=subject,
            deployment_id=deployment_id,
            data={"purpose": purpose, "reason": reason},
        )
    raise PermissionRefused(message, fields={"reauthentication": reason})
