"""The inbox page, and marking read from it.

Every role holds VIEW, which is all the inbox needs (an auditor marks their own notifications
read too): it holds only what was addressed to the person, so nobody sees anyone else's.
"""

from __future__ import annotations

from typing import Any, cast

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from governance.accounts.models import User
from governance.accounts.permissions import Perm, perm_required
from governance.core.errors import NotFound
from governance.core.views import list_page
from governance.notifications import services
from governance.notifications.selectors import notifications_for

PAGE_SIZE = 25
SHOWS = {"unread": "Unread", "all": "All"}


@perm_required(Perm.VIEW)
def notification_list(request: HttpRequest) -> HttpResponseBase:
    show = request.GET.get("show", "all")
    show = show if show in SHOWS else "all"
    rows = notifications_for(request.user, unread_only=show == "unread")
    return list_page(
        request,
        queryset=rows,
        template="notifications/list.html",
        page_size=PAGE_SIZE,
        context={"show": show, "shows": SHOWS},
    )


def _back(request: HttpRequest) -> HttpResponse:
    """Back where the person pressed the button (this site only), or to the inbox."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect("notifications:list")


@require_POST
@perm_required(Perm.VIEW)
def mark_read(request: HttpRequest, pk: Any) -> HttpResponse:
    try:
        services.notification_mark_read(user=cast(User, request.user), notification_id=pk)
    except NotFound as exc:
        raise Http404(exc.message) from exc  # someone else's is as good as none
    return _back(request)


@require_POST
@perm_required(Perm.VIEW)
def mark_all_read(request: HttpRequest) -> HttpResponse:
    count = services.notification_mark_all_read(user=cast(User, request.user))
    messages.success(
        request, f"{count} notification(s) marked read." if count else "Nothing unread."
    )
    return _back(request)
