"""The one way any room notifies a person, and the inbox actions people take.

Nothing here is ledgered, on purpose. A notification is a copy, addressed to one person, of
something already ledgered by the room that caused it (the offer, the stage that started, the
escalation); whether someone has read it is their inbox state, not a decision about a model.
Ledgering every "marked read" would fill the audit trail with clicks that prove nothing: what
shows that a person acted is the signature or the answer they gave, which is ledgered.

Rooms call `notification_create` (or `notifications_create` for several people) inside the
transaction of the change that needs someone, so both commit or roll back together.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils import timezone

from governance.accounts.models import User
from governance.core.errors import InvalidInput, NotFound
from governance.ledger.services import subject_of
from governance.notifications.models import Notification, NotificationKind

TITLE_LENGTH = Notification._meta.get_field("title").max_length or 300
LINK_LENGTH = Notification._meta.get_field("link").max_length or 500
DEDUP_LENGTH = Notification._meta.get_field("dedup_key").max_length or 200


def _checked(kind: str, title: str, link: str, dedup_key: str | None) -> tuple[str, str]:
    if kind not in NotificationKind.values:
        raise InvalidInput(f"Unknown notification kind {kind!r}.", fields={"kind": "unknown"})
    title = " ".join((title or "").split())
    if not title:
        raise InvalidInput("A notification needs a sentence.", fields={"title": "required"})
    if len(title) > TITLE_LENGTH:
        title = title[: TITLE_LENGTH - 1] + "…"
    # A path on this site: "//host" and "/\host" are other sites to a browser.
    if not link.startswith("/") or link.startswith(("//", "/\\")) or len(link) > LINK_LENGTH:
        raise InvalidInput(
            "A notification links to a page of this site (a path starting with one /).",
            fields={"link": "not a local path"},
        )
    if dedup_key is not None and not 0 < len(dedup_key) <= DEDUP_LENGTH:
        raise InvalidInput(
            f"A dedup key has 1 to {DEDUP_LENGTH} characters.", fields={"dedup_key": "length"}
        )
    return title, link


def _unsaved(
    recipient: User,
    kind: str,
    title: str,
    link: str,
    subject: models.Model | None,
    deployment: Any,
    dedup_key: str | None,
) -> Notification:
    subject_type, subject_id = subject_of(subject)
    return Notification(
        recipient=recipient,
        kind=kind,
        title=title,
        link=link,
        subject_type=subject_type,
        subject_id=subject_id,
        deployment_id=getattr(deployment, "pk", deployment),
        dedup_key=dedup_key or "",
    )


def notification_create(
    *,
    recipient: User,
    kind: str,
    title: str,
    link: str,
    subject: models.Model | None = None,
    deployment: Any = None,
    dedup_key: str | None = None,
) -> Notification:
    """Put one item in a person's inbox; with a dedup key, at most once per person.

    A second call with the same recipient and key (a sweep run again, a redelivered task)
    returns the notification made the first time and creates nothing, even if it was read.
    """
    title, link = _checked(kind, title, link, dedup_key)
    if dedup_key is not None:
        existing = Notification.objects.filter(recipient=recipient, dedup_key=dedup_key).first()
        if existing is not None:
            return existing
    notification = _unsaved(recipient, kind, title, link, subject, deployment, dedup_key)
    try:
        # A savepoint: losing a race on the unique key must not break the caller's transaction.
        with transaction.atomic():
            notification.save(force_insert=True)
            return notification
    except IntegrityError:
        if dedup_key is None:
            raise
        return Notification.objects.get(recipient=recipient, dedup_key=dedup_key)


def notifications_create(
    *,
    recipients: Iterable[User],
    kind: str,
    title: str,
    link: str,
    subject: models.Model | None = None,
    deployment: Any = None,
    dedup_key: str | None = None,
) -> list[Notification]:
    """The same notification to several people (each once); inactive accounts are skipped.

    One read of who already has the key and one insert for the rest, however many people:
    a stage's signers or every compliance officer cost what one person costs.
    """
    people = {user.pk: user for user in recipients if user is not None and user.is_active}
    if not people:
        return []
    title, link = _checked(kind, title, link, dedup_key)
    existing: dict[Any, Notification] = {}
    if dedup_key is not None:
        existing = {
            n.recipient_id: n
            for n in Notification.objects.filter(recipient__in=list(people), dedup_key=dedup_key)
        }
    new = [
        _unsaved(user, kind, title, link, subject, deployment, dedup_key)
        for pk, user in people.items()
        if pk not in existing
    ]
    try:
        # A savepoint: losing a race on the unique key must not break the caller's transaction.
        if new:
            with transaction.atomic():
                Notification.objects.bulk_create(new)
    except IntegrityError:
        if dedup_key is None:
            raise
        # Someone else notified some of them meanwhile: person by person, each once.
        return [
            notification_create(
                recipient=user,
                kind=kind,
                title=title,
                link=link,
                subject=subject,
                deployment=deployment,
                dedup_key=dedup_key,
            )
            for user in people.values()
        ]
    made = {n.recipient_id: n for n in new}
    return [existing.get(pk) or made[pk] for pk in people]


def _parse_id(value: Any) -> uuid.UUID:
    try:
        return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError) as exc:
        raise NotFound("No such notification.") from exc


def notification_mark_read(*, user: User, notification_id: Any) -> Notification:
    """Mark one of the person's own notifications read (someone else's is not found).

    Marking read again keeps the first time it was read.
    """
    pk = _parse_id(notification_id)
    with transaction.atomic():
        # One conditional UPDATE claims the change; reading twice does nothing new.
        Notification.objects.filter(pk=pk, recipient=user, read_at__isnull=True).update(
            read_at=timezone.now(), updated_at=timezone.now()
        )
        notification = Notification.objects.filter(pk=pk, recipient=user).first()
    if notification is None:
        raise NotFound("No such notification.")
    return notification


def notification_mark_all_read(*, user: User, before: dt.datetime | None = None) -> int:
    """Mark every unread notification of the person read; returns how many changed.

    With `before`, only those created up to that moment: what the person saw on the page,
    not what arrived while they were reading it.
    """
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if before is not None:
        unread = unread.filter(created_at__lte=before)
    return _mark_read(unread)


def _mark_read(rows: models.QuerySet[Notification]) -> int:
    """Lock the rows in key order, then mark them: two of these (a person's "mark all read"
    and a stage settling everyone's reminders) never lock shared rows in opposite orders."""
    now = timezone.now()
    with transaction.atomic():
        ids = list(rows.select_for_update().order_by("pk").values_list("pk", flat=True))
        return Notification.objects.filter(pk__in=ids, read_at__isnull=True).update(
            read_at=now, updated_at=now
        )


def notifications_resolve(*, subject: models.Model, kinds: Iterable[str]) -> int:
    """Mark read, for everyone, the notifications of these kinds about a subject that no
    longer needs anyone (an offer answered, a stage complete), so the bell counts only what
    is still waiting. Called inside the transaction of the change that settled it.
    """
    subject_type, subject_id = subject_of(subject)
    return _mark_read(
        Notification.objects.filter(
            subject_type=subject_type,
            subject_id=subject_id,
            kind__in=list(kinds),
            read_at__isnull=True,
        )
    )
