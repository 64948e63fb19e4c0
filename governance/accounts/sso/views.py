"""Sign-in through the provider, and the callback for sign-ins and signature confirmations."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib import auth, messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from governance.accounts.sso import flow, provider, reauth
from governance.accounts.sso.backend import SsoBackend, TokenRefused
from governance.accounts.sso.provider import ProviderUnavailable
from governance.accounts.sso.services import SignInRefused, sso_sign_in

logger = logging.getLogger(__name__)
NEXT_KEY = "sso_next"
BACKEND_PATH = "governance.accounts.sso.backend.SsoBackend"


def _safe_next(request: HttpRequest, candidate: str | None) -> str | None:
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return None


def login_refused(request: HttpRequest, message: str, *, status: int = 403) -> HttpResponse:
    """The login page, saying why the provider sign-in did not let the person in."""
    from governance.accounts.forms import LoginForm

    return render(
        request,
        "registration/login.html",
        {
            "form": LoginForm(request),
            "sso_error": message,
            "next": "",
            "local_login_enabled": settings.LOCAL_LOGIN_ENABLED,
            "sso_enabled": provider.enabled(),
            "sso_provider_name": provider.provider_name(),
        },
        status=status,
    )


@never_cache
@require_GET
def sso_login(request: HttpRequest) -> HttpResponse:
    if not provider.enabled():
        raise Http404("Sign-in through a provider is not configured.")
    try:
        response, _state = flow.authorization_redirect(request)
    except ProviderUnavailable as exc:
        return login_refused(request, str(exc), status=503)
    request.session[NEXT_KEY] = _safe_next(request, request.GET.get("next"))
    return response


@never_cache
@require_GET
def sso_callback(request: HttpRequest) -> HttpResponse:
    if not provider.enabled():
        raise Http404("Sign-in through a provider is not configured.")
    state = request.GET.get("state", "")
    attempt = flow.state_pop(request, state)
    pending = flow.pending_pop(request, state) if state else None
    if attempt is None:
        return login_refused(
            request,
            "This sign-in answer does not match a sign-in started here (it was used already, "
            "or started in another browser). Start again.",
            status=400,
        )
    if request.GET.get("error"):
        described = request.GET.get("error_description") or request.GET["error"]
        return _refused(request, pending, f"{provider.provider_name()} said: {described}")
    code = request.GET.get("code", "")
    if not code:
        return _refused(request, pending, "The provider answered without a sign-in code.")
    try:
        claims = SsoBackend().exchange(
            request,
            code=code,
            nonce=attempt.get("nonce") or "",
            code_verifier=attempt.get("code_verifier"),
        )
    except (TokenRefused, ProviderUnavailable) as exc:
        logger.warning("Provider sign-in refused: %s", exc)
        return _refused(request, pending, f"The sign-in was refused: {exc}")
    if pending is not None:
        return _complete_signature(request, pending, claims)
    try:
        user = sso_sign_in(claims=claims)
    except SignInRefused as exc:
        if request.user.is_authenticated:
            auth.logout(request)
        return login_refused(request, exc.message)
    next_url = request.session.pop(NEXT_KEY, None)
    auth.login(request, user, backend=BACKEND_PATH)
    return HttpResponseRedirect(
        _safe_next(request, next_url) or resolve_url(settings.LOGIN_REDIRECT_URL)
    )


def _refused(request: HttpRequest, pending: dict[str, Any] | None, message: str) -> HttpResponse:
    if pending is None or not request.user.is_authenticated:
        return login_refused(request, message)
    # A signature confirmation that failed: back to the page of what was being signed.
    messages.error(request, f"Not signed. {message}")
    return redirect(_safe_next(request, pending.get("back_to")) or "/")


def _complete_signature(
    request: HttpRequest, pending: dict[str, Any], claims: dict[str, Any]
) -> HttpResponse:
    if not request.user.is_authenticated or str(request.user.pk) != pending.get("user_id"):
        return login_refused(request, "Sign in again, then sign.")
    proof, problem = reauth.proof_from_claims(request.user, claims)
    completer = reauth.completer_for(str(pending.get("kind")))
    if proof is None or completer is None:
        return _refused(request, pending, problem or "This kind of signature is unknown.")
    return completer(request, dict(pending.get("payload") or {}), proof)
