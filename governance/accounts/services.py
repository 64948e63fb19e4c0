"""Writes to accounts: users, role grants, API tokens and re-authentication for signatures."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import uuid
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.auth import authenticate, password_validation
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from governance.accounts.lockout import wait_message
from governance.accounts.models import ApiToken, RoleGrant, User
from governance.accounts.permissions import mintable_scopes
from governance.accounts.roles import Role
from governance.accounts.scopes import READ_ONLY_SCOPES, Scope, scopes_text
from governance.accounts.sessions import sessions_end_for_user
from governance.accounts.signals import user_access_reduced
from governance.core.errors import Conflict, InvalidInput, PermissionRefused
from governance.core.ratelimit import RateLimited
from governance.ledger.services import ledger_append, ledger_write_lock

TOKEN_PREFIX_LENGTH = 8
logger = logging.getLogger(__name__)


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


def _refuse_self(user: User, actor: User | None, what: str) -> None:
    # Nobody widens or ends their own access: a second administrator must do it.
    if actor is not None and actor.pk == user.pk:
        raise PermissionRefused(
            f"You cannot {what} yourself; ask another administrator.",
            fields={"user": "yourself"},
        )


def _refuse_last_admin(locked: User, what: str) -> None:
    """Refuse to leave the organisation without an active administrator.

    Called under `ledger_write_lock()`, which serialises every role and account change, so
    two administrators removing each other at once cannot both pass this check.
    """
    others = (
        User.objects.filter(is_active=True, role_grants__role=Role.ADMIN)
        .exclude(pk=locked.pk)
        .exists()
    )
    if not others:
        raise Conflict(
            f"{locked.display_name} is the last active administrator; {what} would leave "
            "nobody able to manage people. Make someone else an administrator first.",
            fields={"user": "last active administrator"},
        )


def user_roles_set(*, user: User, roles: Iterable[str], actor: User | None) -> User:
    """Replace a person's roles; removals notify rooms that depend on the removed roles.

    Nobody changes their own roles, and the last active administrator keeps that role.
    """
    wanted = _validate_roles(roles)
    _refuse_self(user, actor, "change the roles of")
    with transaction.atomic():
        ledger_write_lock()
        locked = User.objects.select_for_update().get(pk=user.pk)
        current = set(locked.role_grants.values_list("role", flat=True))
        added, removed = wanted - current, current - wanted
        if not added and not removed:
            return locked
        if Role.ADMIN in removed and locked.is_active:
            _refuse_last_admin(locked, "removing their administrator role")
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
                successor=None,
            )
        ledger_append(
            actor=actor,
            action="user.roles_changed",
            subject=locked,
            data={"before": sorted(current), "after": sorted(wanted)},
        )
    return locked


def _revoke_all_tokens(user: User, actor: User | None) -> int:
    tokens = list(
        ApiToken.objects.select_for_update()
        .filter(user=user, revoked_at__isnull=True)
        .order_by("pk")
    )
    now = timezone.now()
    for token in tokens:
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        ledger_append(
            actor=actor,
            action="api_token.revoked",
            subject=token,
            data={"prefix": token.prefix, "cause": "account deactivated"},
        )
    return len(tokens)


def user_deactivate(
    *,
    user: User,
    actor: User | None,
    reason: str = "",
    successor: User | None = None,
) -> User:
    """Switch a person's account off, and end everything that lets them act.

    In one transaction: the account is marked inactive, their API tokens are revoked, their
    sessions are deleted, and the rooms that depend on them react (`user_access_reduced`):
    accountable ownerships become orphans and pending offers to them lapse; with a
    `successor`, their open findings pass to that person and the orphaned deployments are
    offered to them. Nobody deactivates themselves, nor the last active administrator.
    """
    _refuse_self(user, actor, "deactivate")
    if successor is not None and (successor.pk == user.pk or not successor.is_active):
        raise InvalidInput(
            "The successor must be another active person.", fields={"successor": "not active"}
        )
    with transaction.atomic():
        ledger_write_lock()
        locked = User.objects.select_for_update().get(pk=user.pk)
        if not locked.is_active:
            return locked
        if Role.ADMIN in locked.roles:
            _refuse_last_admin(locked, "deactivating them")
        locked.is_active = False
        locked.save(update_fields=["is_active"])
        # Reactions first, ledger last: see user_roles_set.
        user_access_reduced.send(
            sender=User,
            user=locked,
            actor=actor,
            removed_roles=frozenset(locked.roles),
            deactivated=True,
            successor=successor,
        )
        revoked = _revoke_all_tokens(locked, actor)
        ended = sessions_end_for_user(user=locked)
        ledger_append(
            actor=actor,
            action="user.deactivated",
            subject=locked,
            data={
                "reason": reason,
                "tokens_revoked": revoked,
                "sessions_ended": ended,
                "successor": successor.get_username() if successor is not None else None,
            },
        )
    return locked


def user_reactivate(*, user: User, actor: User | None, reason: str = "") -> User:
    """Switch a deactivated account back on, with the roles it had.

    What it owned stays as deactivation left it: orphaned deployments need a new offer, and
    revoked tokens stay revoked.
    """
    _refuse_self(user, actor, "reactivate")
    with transaction.atomic():
        ledger_write_lock()
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.is_active:
            return locked
        locked.is_active = True
        locked.save(update_fields=["is_active"])
        ledger_append(
            actor=actor, action="user.reactivated", subject=locked, data={"reason": reason}
        )
    return locked


def user_details_update(
    *,
    user: User,
    actor: User | None,
    username: str | None = None,
    email: str | None = None,
    first_name: str | None = None,
    last_name: str | None = None,
) -> User:
    """Change a person's username, e-mail or name (what an identity provider keeps in step)."""
    given = {
        "username": username,
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
    }
    wanted = {name: value.strip() for name, value in given.items() if value is not None}
    _check_details(wanted, exclude=user.pk)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        before = {name: getattr(locked, name) for name in wanted}
        changed = {name: value for name, value in wanted.items() if before[name] != value}
        if not changed:
            return locked
        for name, value in changed.items():
            setattr(locked, name, value)
        locked.save(update_fields=list(changed))
        ledger_append(
            actor=actor,
            action="user.details_changed",
            subject=locked,
            data={"before": {n: before[n] for n in changed}, "after": changed},
        )
    return locked


# --- Invitations ---------------------------------------------------------------------------

INVITE_SALT = "governance.accounts.invite"
USERNAME_MAX = User._meta.get_field("username").max_length or 150
NAME_MAX = User._meta.get_field("first_name").max_length or 150


def _check_details(details: dict[str, str], *, exclude: Any = None) -> None:
    username = details.get("username")
    if username is not None:
        if not username:
            raise InvalidInput("A username is required.", fields={"username": "required"})
        try:
            User.username_validator(username)
        except ValidationError as exc:
            raise InvalidInput(" ".join(exc.messages), fields={"username": exc.messages}) from exc
        if len(username) > USERNAME_MAX:
            raise InvalidInput(
                f"A username has at most {USERNAME_MAX} characters.",
                fields={"username": "too long"},
            )
        taken = User.objects.filter(username__iexact=username).exclude(pk=exclude).exists()
        if taken:
            raise Conflict(f"User {username!r} already exists.", fields={"username": "taken"})
    email = details.get("email")
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise InvalidInput(
                f"{email!r} is not an e-mail address.", fields={"email": "invalid"}
            ) from exc
    for name in ("first_name", "last_name"):
        if len(details.get(name) or "") > NAME_MAX:
            raise InvalidInput(
                f"A name has at most {NAME_MAX} characters.", fields={name: "too long"}
            )


def _password_state(user: User) -> str:
    # Changes when the password is set (or the account switched off), so a link works once.
    material = f"{user.pk}:{user.password}:{user.is_active}"
    return hashlib.sha256(material.encode()).hexdigest()[:20]


def invite_token(user: User) -> str:
    """A signed link token for setting the first password; expires after INVITE_MAX_AGE_HOURS."""
    return signing.dumps(
        {"user": str(user.pk), "state": _password_state(user)}, salt=INVITE_SALT, compress=True
    )


def invite_token_user(token: str) -> User:
    """The person an invitation token is for, or InvalidInput saying why it no longer works."""
    max_age = dt.timedelta(hours=settings.INVITE_MAX_AGE_HOURS)
    try:
        payload = signing.loads(token, salt=INVITE_SALT, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise InvalidInput(
            "This invitation link has expired. Ask an administrator to send a new one.",
            fields={"token": "expired"},
        ) from exc
    except signing.BadSignature as exc:
        raise InvalidInput(
            "This invitation link is not valid.", fields={"token": "invalid"}
        ) from exc
    user_id = str(payload.get("user", "")) if isinstance(payload, dict) else ""
    user = User.objects.filter(pk=user_id).first() if _is_uuid(user_id) else None
    if user is None or not user.is_active or payload.get("state") != _password_state(user):
        raise InvalidInput(
            "This invitation link was already used or withdrawn. Sign in, or ask an "
            "administrator to send a new one.",
            fields={"token": "used"},
        )
    return user


def _is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return True


def invite_url(user: User) -> str:
    return f"{settings.SITE_URL}{reverse('accounts:invite_accept')}?t={invite_token(user)}"


def _send_invitation(user_id: Any, invited_by: str) -> None:
    user = User.objects.get(pk=user_id)
    hours = settings.INVITE_MAX_AGE_HOURS
    try:
        send_mail(
            subject="You are invited to the model governance system",
            message=(
                f"Hello {user.get_short_name() or user.get_username()},\n\n"
                f"{invited_by} created an account for you (username: {user.get_username()}). "
                f"Choose your password within {hours} hours at:\n\n{invite_url(user)}\n\n"
                "The link works once. If it has expired, ask an administrator for a new one.\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
    except Exception:
        # The account exists and is ledgered; the administrator can send the link again.
        logger.exception("could not e-mail the invitation to %s", user.get_username())


def _new_person(
    details: dict[str, str], roles: Iterable[str], actor: User | None, action: str, **data: Any
) -> User:
    wanted = _validate_roles(roles)
    _check_details(details)
    with transaction.atomic():
        person = User(**details)
        # No password until they choose one (an invitation) or sign in through the identity
        # provider: nobody else ever knows it.
        person.set_unusable_password()
        person.save()
        RoleGrant.objects.bulk_create(
            [RoleGrant(user=person, role=role, granted_by=actor) for role in sorted(wanted)]
        )
        ledger_append(
            actor=actor,
            action=action,
            subject=person,
            data={
                "username": person.username,
                "email": person.email,
                "roles": sorted(wanted),
                **data,
            },
        )
    return person


def user_invite(
    *,
    username: str,
    email: str,
    roles: Iterable[str],
    actor: User | None,
    first_name: str = "",
    last_name: str = "",
) -> User:
    """Create an account without a password and e-mail its owner a link to choose one.

    The link is signed, expires after INVITE_MAX_AGE_HOURS and works once. The e-mail goes
    out after the account is committed.
    """
    if not (email or "").strip():
        raise InvalidInput("An invitation needs an e-mail address.", fields={"email": "required"})
    details = {
        "username": username,
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
    }
    person = _new_person(
        {k: (v or "").strip() for k, v in details.items()},
        roles,
        actor,
        "user.invited",
        expires_in_hours=settings.INVITE_MAX_AGE_HOURS,
    )
    invited_by = actor.display_name if actor is not None else "An administrator"
    transaction.on_commit(lambda: _send_invitation(person.pk, invited_by))
    return person


def user_invite_resend(*, user: User, actor: User | None) -> None:
    """Send a new invitation link to someone who has not chosen a password yet."""
    if user.has_usable_password():
        raise Conflict(
            f"{user.display_name} has already chosen a password.", fields={"user": "active"}
        )
    if not user.is_active or not user.email:
        raise Conflict(
            f"{user.display_name} is deactivated or has no e-mail address.",
            fields={"user": "cannot be invited"},
        )
    with transaction.atomic():
        ledger_append(
            actor=actor,
            action="user.invitation_sent",
            subject=user,
            data={"email": user.email, "expires_in_hours": settings.INVITE_MAX_AGE_HOURS},
        )
    invited_by = actor.display_name if actor is not None else "An administrator"
    transaction.on_commit(lambda: _send_invitation(user.pk, invited_by))


def user_invite_accept(*, token: str, password: str) -> User:
    """Set the first password of an invited person from their link; the link then stops working."""
    user = invite_token_user(token)
    try:
        password_validation.validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), fields={"password": exc.messages}) from exc
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if _password_state(locked) != _password_state(user):
            raise InvalidInput("This invitation link was already used.", fields={"token": "used"})
        locked.set_password(password)
        locked.save(update_fields=["password"])
        ledger_append(actor=locked, action="user.invitation_accepted", subject=locked, data={})
    return locked


def user_provision(
    *,
    username: str,
    actor: User | None,
    email: str = "",
    first_name: str = "",
    last_name: str = "",
    roles: Iterable[str] = (),
    source: str = "scim",
) -> User:
    """Create an account for someone an identity provider manages; they sign in through it."""
    details = {
        "username": username,
        "email": email,
        "first_name": first_name,
        "last_name": last_name,
    }
    return _new_person(
        {k: (v or "").strip() for k, v in details.items()},
        roles,
        actor,
        "user.provisioned",
        source=source,
    )


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
