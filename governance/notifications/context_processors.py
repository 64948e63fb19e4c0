"""The header's bell: the unread count on every page, read only if the page shows it."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from governance.notifications.selectors import InboxSummary, inbox_summary


def inbox(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"inbox": InboxSummary()}
    # Lazy: pages that render no header (downloads, fragments) pay no query; those that do
    # pay one, shared by the bell and the home's list of what needs the person.
    return {"inbox": SimpleLazyObject(lambda: inbox_summary(user))}
