"""Signatures by people who sign in through the provider.

The signer's second factor is a fresh login at the provider: the signing page stores what
is being signed under a new state and sends the signer to the provider with prompt=login and
max_age=0; the callback checks the ID token (issuer, audience, nonce, signature, subject) and
hands a `ReauthProof` to the room that owns the signature, which records it. The proof is
made only here, from a verified ID token, and lives only for that request.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from governance.accounts.sso import flow, provider
from governance.accounts.sso.services import identity_of


@dataclass(frozen=True)
class ReauthProof:
    """A verified, fresh login at the provider by `user_id`."""

    user_id: Any
    issuer: str
    subject: str
    auth_time: dt.datetime

    def describe(self) -> str:
        return f"oidc:{self.issuer} auth_time={self.auth_time.isoformat()}"

    def age_seconds(self) -> float:
        return (timezone.now() - self.auth_time).total_seconds()

    def is_fresh(self) -> bool:
        return self.age_seconds() <= settings.OIDC_SIGNATURE_MAX_AGE_SECONDS


# kind -> completer(request, payload, proof) -> response: records the signature for which
# the signer just re-authenticated, and answers with the page they come back to.
Completer = Callable[[HttpRequest, dict[str, Any], ReauthProof], HttpResponse]
_COMPLETERS: dict[str, Completer] = {}


def register_signature_completer(kind: str, completer: Completer) -> None:
    _COMPLETERS[kind] = completer


def completer_for(kind: str) -> Completer | None:
    return _COMPLETERS.get(kind)


def signs_with_provider(user: Any) -> bool:
    """Whether this person's signatures re-authenticate at the provider (not by password)."""
    return provider.enabled() and identity_of(user) is not None


def reauthentication_start(
    request: HttpRequest, *, kind: str, payload: dict[str, Any], back_to: str
) -> HttpResponse:
    """Keep what is being signed under a new state and send the signer to log in again."""
    response, state = flow.authorization_redirect(
        request, extra={"prompt": "login", "max_age": "0"}
    )
    flow.pending_put(
        request,
        state,
        {"kind": kind, "payload": payload, "user_id": str(request.user.pk), "back_to": back_to},
    )
    return response


def proof_from_claims(user: Any, claims: dict[str, Any]) -> tuple[ReauthProof | None, str]:
    """The proof these verified claims give for `user`, or None and why not."""
    identity = identity_of(user)
    if identity is None or (identity.issuer, identity.subject) != (claims["iss"], claims["sub"]):
        return None, (
            f"You confirmed as a different {provider.provider_name()} account than the one "
            "you are signed in with; nothing was signed."
        )
    auth_time = claims.get("auth_time")
    if not isinstance(auth_time, int | float):
        return None, "The provider did not say when you logged in (auth_time); nothing was signed."
    when = dt.datetime.fromtimestamp(auth_time, tz=dt.UTC)
    return ReauthProof(
        user_id=user.pk, issuer=str(claims["iss"]), subject=str(claims["sub"]), auth_time=when
    ), ""
