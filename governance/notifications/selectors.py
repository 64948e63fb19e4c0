"""Reads of a person's own inbox; nobody reads anyone else's, whatever their roles."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, F, QuerySet, Window

from governance.notifications.models import Notification

SUMMARY_SIZE = 5


def notifications_for(user: Any, *, unread_only: bool = False) -> QuerySet[Notification]:
    """The person's notifications, unread first, newest first within each."""
    if user is None or not user.is_authenticated:
        return Notification.objects.none()
    rows = Notification.objects.filter(recipient=user)
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by(F("read_at").desc(nulls_first=True), "-created_at", "-pk")


@dataclass(frozen=True)
class InboxSummary:
    unread: int = 0
    latest: Sequence[Notification] = field(default_factory=list)


def inbox_summary(user: Any, *, size: int = SUMMARY_SIZE) -> InboxSummary:
    """How many unread notifications the person has, and the newest few: one query.

    The count rides on the rows as a window over all unread rows, so the header's bell and
    the home's "needs you" list cost one query together; with nothing unread there are no
    rows and the count is 0.
    """
    if user is None or not user.is_authenticated:
        return InboxSummary()
    rows = list(
        Notification.objects.filter(recipient=user, read_at__isnull=True)
        .annotate(unread_total=Window(Count("pk")))
        .order_by("-created_at", "-pk")[:size]
    )
    return InboxSummary(unread=rows[0].unread_total if rows else 0, latest=rows)
