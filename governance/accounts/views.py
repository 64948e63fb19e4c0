from __future__ import annotations

from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.views.decorators.http import require_POST

from governance.accounts.forms import LoginForm, TokenForm
from governance.accounts.models import ApiToken, User
from governance.accounts.permissions import mintable_scopes, role_abilities
from governance.accounts.scopes import Scope
from governance.accounts.services import api_token_create, api_token_revoke
from governance.core.views import save_form


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        return {
            **super().get_context_data(**kwargs),
            "local_login_enabled": settings.LOCAL_LOGIN_ENABLED,
            "sso_enabled": settings.OIDC_ENABLED,
            "sso_provider_name": settings.OIDC_PROVIDER_NAME,
        }

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.LOCAL_LOGIN_ENABLED:
            # Password sign-in is switched off (LOCAL_LOGIN_ENABLED=false): no password is
            # checked, so none can be guessed here either.
            form = self.get_form()
            form.errors.clear()
            form.add_error(
                None, f"Sign-in with a password is switched off: use {settings.OIDC_PROVIDER_NAME}."
            )
            return self.render_to_response(self.get_context_data(form=form), status=403)
        return super().post(request, *args, **kwargs)


class LogoutView(auth_views.LogoutView):
    pass


def _profile_page(
    request: HttpRequest,
    *,
    form: TokenForm | None = None,
    new_key: str | None = None,
    status: int = 200,
) -> HttpResponse:
    user = cast(User, request.user)
    tokens = ApiToken.objects.filter(user=user).order_by("-created_at")
    return render(
        request,
        "accounts/profile.html",
        {
            "tokens": tokens,
            "form": form
            or TokenForm(initial={"scopes": [Scope.GATE_READ]}, mintable=mintable_scopes(user)),
            "new_key": new_key,
            "now": timezone.now(),
            "abilities": role_abilities(cast(User, request.user).roles),
        },
        status=status,
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    return _profile_page(request)


@require_POST
@login_required
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST, mintable=mintable_scopes(request.user))
    key = save_form(
        form,
        lambda data: api_token_create(
            user=cast(User, request.user),
            name=data["name"],
            scopes=data["scopes"],
            expires_at=form.expires_at(),
        ),
    )
    if key is None:
        return _profile_page(request, form=form)
    # The key exists only in this response: it is never put in the session (a database row)
    # or the messages (a cookie or the session) for a next page, and no cache may keep it.
    response = _profile_page(request, new_key=key, status=201)
    add_never_cache_headers(response)  # no-store among them
    return response


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    api_token_revoke(token=token, actor=cast(User, request.user))
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("accounts:profile")
