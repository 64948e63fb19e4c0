"""Writes of the sign-in room: who a provider account is, and what their groups grant."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from governance.accounts.models import User
from governance.accounts.services import user_roles_set
from governance.accounts.sessions import sessions_end_for_user
from governance.accounts.sso.models import OidcIdentity
from governance.accounts.sso.provider import provider_name, roles_for_groups
from governance.ledger.services import ledger_append, ledger_write_lock

logger = logging.getLogger(__name__)


class SignInRefused(Exception):
    """The provider vouched for this person, but they may not sign in here; says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _groups(claims: dict[str, Any]) -> list[str]:
    raw = claims.get(settings.OIDC_GROUPS_CLAIM, [])
    if isinstance(raw, str):
        raw = [raw]
    return [str(group) for group in raw] if isinstance(raw, list) else []


def _username(claims: dict[str, Any]) -> str:
    for claim in (settings.OIDC_USERNAME_CLAIM, "preferred_username", "email"):
        value = claims.get(claim)
        if isinstance(value, str) and value.strip():
            return value.strip()[:150]
    return f"oidc-{claims['sub']}"[:150]


def _refuse(*, user: User | None, claims: dict[str, Any], reason: str, message: str) -> None:
    # Its own transaction: the refusal stays on record though the sign-in fails.
    with transaction.atomic():
        ledger_append(
            actor=user,
            action="sso.sign_in_refused",
            subject=user,
            data={
                "issuer": claims.get("iss", ""),
                "subject": claims.get("sub", ""),
                "username": _username(claims),
                "reason": reason,
            },
        )
    raise SignInRefused(message)


def sso_sign_in(*, claims: dict[str, Any]) -> User:
    """The person these verified ID-token claims name, created or updated, roles from groups.

    Roles follow the provider's groups at every sign-in (a change is ledgered by
    `user_roles_set`). Someone whose groups grant no role here is refused; if they had an
    account, it loses every role and every session, so access granted by a group ends
    when the group membership does.
    """
    issuer, subject = str(claims["iss"]), str(claims["sub"])
    groups = _groups(claims)
    mapping = roles_for_groups(groups)
    if mapping.unknown_groups:
        logger.info(
            "Sign-in of %s at %s: groups mapped to no role, ignored: %s",
            subject,
            issuer,
            ", ".join(mapping.unknown_groups),
        )
    identity = (
        OidcIdentity.objects.select_related("user").filter(issuer=issuer, subject=subject).first()
    )
    user = identity.user if identity else None
    if not mapping.roles:
        if user is not None:
            # Roles first (ledgered, reactions such as accountable ownership run), then the
            # sessions, so nothing signed in keeps acting on a grant that has ended.
            user_roles_set(user=user, roles=[], actor=None)
            sessions_end_for_user(user=user)
            OidcIdentity.objects.filter(pk=identity.pk).update(groups=groups)  # type: ignore[union-attr]
        _refuse(
            user=user,
            claims=claims,
            reason="no group maps to a role",
            message=(
                f"Your {provider_name()} account is in no group that gives access to Model "
                "Governance"
                + (", so your roles here have been removed" if user else "")
                + ". Ask your administrator to add you to the right group."
            ),
        )
    if user is not None and not user.is_active:
        _refuse(
            user=user,
            claims=claims,
            reason="account deactivated",
            message="Your account here is deactivated. Ask your administrator.",
        )
    if user is None:
        _refuse_taken_username(claims)
    try:
        with transaction.atomic():
            # The account, its link and its roles appear together or not at all.
            ledger_write_lock()
            if user is None:
                user = _link_new_user(claims=claims, issuer=issuer, subject=subject, groups=groups)
            else:
                _update_profile(user, claims)
                OidcIdentity.objects.filter(pk=identity.pk).update(  # type: ignore[union-attr]
                    groups=groups, last_sign_in_at=timezone.now()
                )
            return user_roles_set(user=user, roles=mapping.roles, actor=None)
    except IntegrityError as exc:
        # Two first sign-ins of one person at the same moment: the unique link lets one win.
        raise SignInRefused("You were signing in twice at the same moment; try again.") from exc


def _profile(claims: dict[str, Any]) -> dict[str, str]:
    return {
        "email": str(claims.get("email") or "")[:254],
        "first_name": str(claims.get("given_name") or "")[:150],
        "last_name": str(claims.get("family_name") or "")[:150],
    }


def _update_profile(user: User, claims: dict[str, Any]) -> None:
    profile = {key: value for key, value in _profile(claims).items() if value}
    if any(getattr(user, key) != value for key, value in profile.items()):
        User.objects.filter(pk=user.pk).update(**profile)
        for key, value in profile.items():
            setattr(user, key, value)


def _refuse_taken_username(claims: dict[str, Any]) -> None:
    username = _username(claims)
    if User.objects.filter(username__iexact=username).exists():
        # Linking by name would let whoever holds that name at the provider take over the
        # account here; an administrator decides instead (docs/identity.md).
        _refuse(
            user=None,
            claims=claims,
            reason="username taken by an account not linked to the provider",
            message=(
                f"An account named {username!r} already exists here and is not linked to "
                f"{provider_name()}. Ask your administrator to link or rename it."
            ),
        )


def _link_new_user(*, claims: dict[str, Any], issuer: str, subject: str, groups: list[str]) -> User:
    username = _username(claims)
    user = User(username=username, **_profile(claims))
    # Signs in only through the provider; signatures re-authenticate there too.
    user.set_unusable_password()
    user.save()
    OidcIdentity.objects.create(
        user=user, issuer=issuer, subject=subject, groups=groups, last_sign_in_at=timezone.now()
    )
    ledger_append(
        actor=None,
        action="user.created",
        subject=user,
        data={"username": username, "email": user.email, "roles": [], "source": issuer},
    )
    ledger_append(
        actor=user,
        action="sso.user_linked",
        subject=user,
        data={"issuer": issuer, "subject": subject, "username": username},
    )
    return user


def identity_of(user: Any) -> OidcIdentity | None:
    """The provider account this person signs in with, if any."""
    if not getattr(user, "is_authenticated", False):
        return None
    return OidcIdentity.objects.filter(user_id=user.pk).order_by("-last_sign_in_at").first()
