"""The daily due sweep runs every room's registered sweep; twice notifies once."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from django.utils import timezone

from governance.accounts.roles import Role
from governance.notifications import sweeps
from governance.notifications.models import Notification, NotificationKind
from governance.notifications.services import notification_create
from governance.notifications.tasks import sweep_due_task
from tests.factories import user_with_roles

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(sweeps, "DUE_SWEEPS", {})
    yield


def _register_overdue_sweep(person: object, due: dt.datetime) -> None:
    @sweeps.register_due_sweep("things")
    def things(now: dt.datetime) -> int:
        if now < due:
            return 0
        notification_create(
            recipient=person,  # type: ignore[arg-type]
            kind=NotificationKind.FINDING_OVERDUE,
            title="Thing 1 is overdue",
            link="/",
            dedup_key="thing:1:overdue",
        )
        return 1


def test_the_task_runs_registered_sweeps_and_a_second_run_notifies_nobody_again() -> None:
    person = user_with_roles(Role.REVIEWER)
    _register_overdue_sweep(person, timezone.now() - dt.timedelta(days=1))
    sweep_due_task()
    sweep_due_task()
    assert Notification.objects.filter(recipient=person).count() == 1


def test_a_sweep_is_given_the_time_so_nothing_is_due_before_its_moment() -> None:
    person = user_with_roles(Role.REVIEWER)
    due = timezone.now() + dt.timedelta(days=3)
    _register_overdue_sweep(person, due)
    assert sweeps.notifications_sweep_due() == {"things": 0}
    assert sweeps.notifications_sweep_due(now=due) == {"things": 1}


def test_a_failing_sweep_does_not_stop_the_others_and_the_run_fails_naming_it() -> None:
    person = user_with_roles(Role.REVIEWER)

    @sweeps.register_due_sweep("a_broken")
    def broken(now: dt.datetime) -> int:
        raise ValueError("database gone")

    _register_overdue_sweep(person, timezone.now())
    with pytest.raises(RuntimeError, match="a_broken"):
        sweeps.notifications_sweep_due()
    assert Notification.objects.filter(recipient=person).count() == 1


def test_the_sweep_is_scheduled_daily() -> None:
    from django.conf import settings as conf

    entry = conf.CELERY_BEAT_SCHEDULE["notifications-sweep-due-daily"]
    assert entry == {"task": "notifications.sweep_due", "schedule": 86400.0}
