"""Notifications made through the service, as every room makes them."""

from __future__ import annotations

from typing import Any

from governance.accounts.models import User
from governance.notifications.models import Notification, NotificationKind
from governance.notifications.services import notification_create


def notify(recipient: User, title: str = "Something needs you", **fields: Any) -> Notification:
    return notification_create(
        recipient=recipient,
        kind=fields.pop("kind", NotificationKind.GENERIC),
        title=title,
        link=fields.pop("link", "/"),
        **fields,
    )
