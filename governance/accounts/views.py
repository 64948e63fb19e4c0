from __future__ import annotations

from typing import cast

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from governance.accounts.forms import LoginForm, TokenForm
from governance.accounts.models import ApiToken, User
from governance.accounts.permissions import role_abilities
from governance.accounts.services import api_token_create, api_token_revoke


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm


class LogoutView(auth_views.LogoutView):
    pass


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    tokens = ApiToken.objects.filter(user=cast(User, request.user)).order_by("-created_at")
    new_key = request.session.pop("new_api_token", None)
    return render(
        request,
        "accounts/profile.html",
        {
            "tokens": tokens,
            "new_key": new_key,
            "abilities": role_abilities(cast(User, request.user).roles),
        },
    )


@require_POST
@login_required
def token_create(request: HttpRequest) -> HttpResponse:
    form = TokenForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"No token created: {' '.join(map(str, form.errors['name']))}")
        return redirect("accounts:profile")
    name = form.cleaned_data["name"]
    # Shown once on the next page and never again: only its hash is stored.
    request.session["new_api_token"] = api_token_create(user=cast(User, request.user), name=name)
    return redirect("accounts:profile")


@require_POST
@login_required
def token_revoke(request: HttpRequest, token_id: str) -> HttpResponse:
    token = get_object_or_404(ApiToken, pk=token_id, user=request.user)
    api_token_revoke(token=token, actor=cast(User, request.user))
    messages.success(request, f"Token {token.prefix}… revoked.")
    return redirect("accounts:profile")
