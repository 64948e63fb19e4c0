"""A finding's owner hears about it in the app: when it is raised, a week before it is due,
and when it is overdue, once each."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from governance.notifications.models import Notification, NotificationKind
from governance.notifications.sweeps import notifications_sweep_due
from tests.factories.findings import raise_finding

pytestmark = pytest.mark.django_db


def test_the_owner_is_notified_when_a_finding_is_raised() -> None:
    finding = raise_finding(severity="high", title="No human review of declines")
    notice = Notification.objects.get(recipient=finding.owner)
    assert notice.kind == NotificationKind.FINDING_ASSIGNED
    assert "No human review of declines" in notice.title
    assert notice.link == f"/findings/{finding.pk}/"


def test_the_due_sweep_tells_the_owner_once_when_due_soon_and_once_when_overdue() -> None:
    today = timezone.localdate()
    finding = raise_finding(severity="critical", due_date=today + dt.timedelta(days=3))
    now = timezone.now()
    assert notifications_sweep_due(now=now)["findings"] == 1
    assert notifications_sweep_due(now=now)["findings"] == 0  # the same day again: nothing new
    later = now + dt.timedelta(days=5)
    assert notifications_sweep_due(now=later)["findings"] == 1
    kinds = list(
        Notification.objects.filter(recipient=finding.owner)
        .order_by("created_at")
        .values_list("kind", flat=True)
    )
    assert kinds == [
        NotificationKind.FINDING_ASSIGNED,
        NotificationKind.FINDING_DUE_SOON,
        NotificationKind.FINDING_OVERDUE,
    ]


def test_a_finding_due_later_than_a_week_is_not_announced_yet() -> None:
    raise_finding(severity="low")  # 180 days
    assert notifications_sweep_due(now=timezone.now())["findings"] == 0
