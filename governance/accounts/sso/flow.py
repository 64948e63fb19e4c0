"""The authorization request: state, nonce and PKCE kept in the session, then the redirect."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponseRedirect
from django.urls import reverse
from django.utils.crypto import get_random_string
from mozilla_django_oidc.utils import (
    absolutify,
    add_state_and_verifier_and_nonce_to_session,
    generate_code_challenge,
)

from governance.accounts.sso import provider

PENDING_KEY = "sso_pending"
# A pending signature waits this long for the signer to come back from the provider.
PENDING_TTL_SECONDS = 15 * 60


def authorization_redirect(
    request: HttpRequest, *, extra: dict[str, str] | None = None
) -> tuple[HttpResponseRedirect, str]:
    """Send the browser to the provider; returns the response and the attempt's state."""
    document = provider.metadata()
    state = get_random_string(32)
    code_verifier = get_random_string(64)
    params = {
        "response_type": "code",
        "scope": settings.OIDC_RP_SCOPES,
        "client_id": settings.OIDC_RP_CLIENT_ID,
        "redirect_uri": absolutify(request, reverse(settings.OIDC_AUTHENTICATION_CALLBACK_URL)),
        "state": state,
        "nonce": get_random_string(32),
        # PKCE (RFC 7636) with S256: a stolen code is useless without the verifier.
        "code_challenge": generate_code_challenge(code_verifier, "S256"),
        "code_challenge_method": "S256",
        **(extra or {}),
    }
    add_state_and_verifier_and_nonce_to_session(request, state, params, code_verifier)
    request.session.modified = True
    url = f"{document['authorization_endpoint']}?{urlencode(params)}"
    return HttpResponseRedirect(url), state


def pending_put(request: HttpRequest, state: str, intent: dict[str, Any]) -> None:
    pending = {
        key: value
        for key, value in request.session.get(PENDING_KEY, {}).items()
        if time.time() - value.get("added_on", 0) < PENDING_TTL_SECONDS
    }
    pending[state] = {**intent, "added_on": time.time()}
    request.session[PENDING_KEY] = pending


def pending_pop(request: HttpRequest, state: str) -> dict[str, Any] | None:
    pending = dict(request.session.get(PENDING_KEY, {}))
    if state not in pending:
        return None
    intent = pending.pop(state)
    request.session[PENDING_KEY] = pending
    if intent is None or time.time() - intent.get("added_on", 0) >= PENDING_TTL_SECONDS:
        return None
    return dict(intent)


def state_pop(request: HttpRequest, state: str) -> dict[str, Any] | None:
    """The nonce and PKCE verifier of this attempt, usable once."""
    states = dict(request.session.get("oidc_states", {}))
    if not state or state not in states:
        return None  # nothing to spend, and no session is written for a stray request
    entry = states.pop(state)
    request.session["oidc_states"] = states
    return entry if isinstance(entry, dict) else None
