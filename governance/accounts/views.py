from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from governance.accounts import selectors, services
from governance.accounts.filters import UserFilter
from governance.accounts.forms import (
    AcceptInviteForm,
    DeactivateForm,
    InviteForm,
    LoginForm,
    ReactivateForm,
    RolesForm,
    TokenForm,
)
from governance.accounts.models import ApiToken, User
from governance.accounts.permissions import Perm, mintable_scopes, perm_required, role_abilities
from governance.accounts.scopes import Scope
from governance.accounts.services import api_token_create, api_token_revoke
from governance.core.errors import DomainError
from governance.core.views import list_page, save_form


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


# --- User administration (people who manage accounts) ----------------------------------------

USERS_CSV = [
    ("username", lambda u: u.get_username()),
    ("name", lambda u: u.get_full_name()),
    ("email", lambda u: u.email),
    ("roles", lambda u: "; ".join(sorted(u.roles))),
    ("active", lambda u: u.is_active),
    ("last_login", lambda u: u.last_login.isoformat() if u.last_login else ""),
]


@perm_required(Perm.USER_MANAGE)
def user_list(request: HttpRequest) -> HttpResponseBase:
    return list_page(
        request,
        queryset=selectors.users_managed(request.user),
        template="accounts/user_list.html",
        filterset_class=UserFilter,
        sort_fields={
            "username": "username",
            "name": "last_name",
            "joined": "date_joined",
            "login": "last_login",
        },
        default_sort="username",
        csv_columns=USERS_CSV,
        csv_name="users.csv",
    )


@perm_required(Perm.USER_MANAGE)
def user_invite(request: HttpRequest) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST":
        person = save_form(
            form,
            lambda d: services.user_invite(actor=cast(User, request.user), **d),
        )
        if person is not None:
            messages.success(request, f"Invitation sent to {person.email}.")
            return redirect("accounts:user_detail", pk=person.pk)
    status = 400 if form.is_bound else 200
    context = {"form": form, "invite_hours": settings.INVITE_MAX_AGE_HOURS}
    return render(request, "accounts/user_invite.html", context, status=status)


def _managed(request: HttpRequest, pk: Any) -> User:
    try:
        return selectors.user_managed(request.user, pk)
    except User.DoesNotExist as exc:
        raise Http404("No such person.") from exc


def _user_page(
    request: HttpRequest, person: User, *, status: int = 200, **forms: Any
) -> HttpResponse:
    myself = person.pk == request.user.pk
    context = {
        "person": person,
        "myself": myself,
        "forms_shown": list(forms.values()),
        "invited": person.is_active and not person.has_usable_password(),
        "roles_form": forms.get("roles_form") or RolesForm(initial={"roles": sorted(person.roles)}),
        "deactivate_form": forms.get("deactivate_form") or DeactivateForm(user=person),
        "reactivate_form": forms.get("reactivate_form") or ReactivateForm(),
        "tokens": ApiToken.objects.filter(user=person, revoked_at__isnull=True),
        "events_url": f"{reverse('ledger:event_list')}?{urlencode({'actor': person.username})}",
    }
    return render(request, "accounts/user_detail.html", context, status=status)


@perm_required(Perm.USER_MANAGE)
def user_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    return _user_page(request, _managed(request, pk))


def _user_step(
    request: HttpRequest,
    pk: Any,
    form_name: str,
    form: Any,
    run: Callable[[User, dict[str, Any]], Any],
    done: str,
) -> HttpResponse:
    person = _managed(request, pk)
    if save_form(form, lambda d: run(person, d)) is not None:
        messages.success(request, done.format(name=person.display_name))
        return redirect("accounts:user_detail", pk=person.pk)
    return _user_page(request, _managed(request, pk), status=400, **{form_name: form})


@require_POST
@perm_required(Perm.USER_MANAGE)
def user_roles(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = cast(User, request.user)
    return _user_step(
        request,
        pk,
        "roles_form",
        RolesForm(request.POST),
        lambda p, d: services.user_roles_set(user=p, roles=d["roles"], actor=actor),
        "The roles of {name} were saved.",
    )


@require_POST
@perm_required(Perm.USER_MANAGE)
def user_deactivate(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = cast(User, request.user)
    person = _managed(request, pk)
    return _user_step(
        request,
        pk,
        "deactivate_form",
        DeactivateForm(request.POST, user=person),
        lambda p, d: services.user_deactivate(
            user=p, actor=actor, reason=d["reason"], successor=d["successor"]
        ),
        "{name} was deactivated: sessions ended and API tokens revoked.",
    )


@require_POST
@perm_required(Perm.USER_MANAGE)
def user_reactivate(request: HttpRequest, pk: Any) -> HttpResponse:
    actor = cast(User, request.user)
    return _user_step(
        request,
        pk,
        "reactivate_form",
        ReactivateForm(request.POST),
        lambda p, d: services.user_reactivate(user=p, actor=actor, reason=d["reason"]),
        "{name} was reactivated.",
    )


@require_POST
@perm_required(Perm.USER_MANAGE)
def user_invite_resend(request: HttpRequest, pk: Any) -> HttpResponse:
    person = _managed(request, pk)
    try:
        services.user_invite_resend(user=person, actor=cast(User, request.user))
    except DomainError as exc:
        messages.error(request, exc.message)
        return _user_page(request, person, status=exc.status_code)
    messages.success(request, f"A new invitation link was sent to {person.email}.")
    return redirect("accounts:user_detail", pk=person.pk)


def invite_accept(request: HttpRequest) -> HttpResponse:
    """The invited person's first visit: choose a password (the page needs no login)."""
    token = (request.POST.get("t") if request.method == "POST" else request.GET.get("t")) or ""
    try:
        person = services.invite_token_user(token)
    except DomainError as exc:
        status = 400 if request.method == "POST" else 200
        return render(
            request, "accounts/invite_accept.html", {"problem": exc.message}, status=status
        )
    form = AcceptInviteForm(request.POST or None)
    if request.method == "POST":
        saved = save_form(
            form, lambda d: services.user_invite_accept(token=token, password=d["password"])
        )
        if saved is not None:
            messages.success(request, "Your password is set. Sign in with it now.")
            return redirect("accounts:login")
    response = render(
        request,
        "accounts/invite_accept.html",
        {"form": form, "person": person, "token": token},
        status=400 if form.is_bound else 200,
    )
    add_never_cache_headers(response)
    return response
