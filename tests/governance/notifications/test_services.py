"""The notification service: one item per person and key, read state per person."""

from __future__ import annotations

from typing import Any

import pytest

from governance.accounts.roles import Role
from governance.core.errors import InvalidInput, NotFound
from governance.ledger.models import LedgerEvent
from governance.notifications import services
from governance.notifications.models import Notification, NotificationKind
from governance.notifications.selectors import inbox_summary, notifications_for
from governance.notifications.services import (
    notification_create,
    notification_mark_all_read,
    notification_mark_read,
    notifications_create,
    notifications_resolve,
)
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.notifications import notify

pytestmark = pytest.mark.django_db


def test_a_repeated_dedup_key_returns_the_first_notification_and_creates_nothing() -> None:
    person = user_with_roles(Role.REVIEWER)
    first = notify(person, "Sign this", dedup_key="approval:1:stage:1:assigned")
    notification_mark_read(user=person, notification_id=first.pk)
    again = notify(person, "Sign this", dedup_key="approval:1:stage:1:assigned")
    assert again.pk == first.pk
    assert Notification.objects.filter(recipient=person).count() == 1


def test_the_same_key_notifies_each_person_once() -> None:
    people = [user_with_roles(Role.REVIEWER) for _ in range(2)]
    for _ in range(2):
        notifications_create(
            recipients=[*people, people[0]],
            kind=NotificationKind.SIGNOFF_DUE,
            title="Signature needed",
            link="/approvals/",
            dedup_key="k",
        )
    assert sorted(Notification.objects.values_list("recipient_id", flat=True)) == sorted(
        p.pk for p in people
    )


def test_without_a_key_every_call_notifies() -> None:
    person = user_with_roles(Role.REVIEWER)
    notify(person)
    notify(person)
    assert Notification.objects.filter(recipient=person).count() == 2


def test_inactive_people_are_not_notified_in_a_fan_out() -> None:
    gone = user_with_roles(Role.REVIEWER, is_active=False)
    assert notifications_create(recipients=[gone], kind="generic", title="x", link="/") == []


def test_subject_and_deployment_are_recorded_as_the_ledger_names_them() -> None:
    person = user_with_roles(Role.EXECUTIVE)
    deployment = DeploymentFactory()
    made = notify(person, subject=deployment, deployment=deployment)
    assert (made.subject_type, made.subject_id) == ("inventory.deployment", str(deployment.pk))
    assert made.deployment_id == deployment.pk


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"link": "https://evil.example/"}, "link"),
        ({"link": "//evil.example/"}, "link"),
        ({"link": "/\\evil.example/"}, "link"),
        ({"link": "javascript:alert(1)"}, "link"),
        ({"title": "   "}, "title"),
        ({"kind": "nope"}, "kind"),
        ({"dedup_key": "x" * 201}, "dedup_key"),
    ],
)
def test_bad_input_is_refused_with_the_field_named(fields: dict[str, str], field: str) -> None:
    person = user_with_roles(Role.REVIEWER)
    data = {"kind": "generic", "title": "Hello", "link": "/", **fields}
    with pytest.raises(InvalidInput) as refused:
        notification_create(recipient=person, **data)  # type: ignore[arg-type]
    assert field in refused.value.fields
    assert not Notification.objects.exists()


def test_a_long_sentence_is_shortened_not_refused() -> None:
    made = notify(user_with_roles(Role.REVIEWER), "word " * 100)
    assert len(made.title) == 300 and made.title.endswith("…")


def test_marking_read_keeps_the_first_time_and_is_not_ledgered() -> None:
    person = user_with_roles(Role.REVIEWER)
    made = notify(person)
    events = LedgerEvent.objects.count()
    first = notification_mark_read(user=person, notification_id=made.pk).read_at
    assert first is not None
    assert notification_mark_read(user=person, notification_id=str(made.pk)).read_at == first
    assert LedgerEvent.objects.count() == events


@pytest.mark.parametrize("bad_id", ["not-a-uuid", None, "6f1c1f8e-52a4-4b0e-9a53-000000000000"])
def test_marking_read_an_unknown_id_is_not_found(bad_id: object) -> None:
    with pytest.raises(NotFound):
        notification_mark_read(user=user_with_roles(Role.REVIEWER), notification_id=bad_id)


def test_nobody_can_mark_someone_elses_notification_read() -> None:
    owner, other = user_with_roles(Role.REVIEWER), user_with_roles(Role.ADMIN)
    made = notify(owner)
    with pytest.raises(NotFound):
        notification_mark_read(user=other, notification_id=made.pk)
    made.refresh_from_db()
    assert made.read_at is None


def test_mark_all_read_marks_only_the_persons_own_and_only_those_before_the_moment() -> None:
    person, other = user_with_roles(Role.REVIEWER), user_with_roles(Role.REVIEWER)
    early = notify(person)
    theirs = notify(other)
    late = notify(person)
    assert notification_mark_all_read(user=person, before=early.created_at) == 1
    assert notification_mark_all_read(user=person) == 1
    assert notification_mark_all_read(user=person) == 0
    for n in (early, late, theirs):
        n.refresh_from_db()
    assert early.read_at and late.read_at and theirs.read_at is None


def test_resolving_a_subject_marks_the_kinds_read_for_everyone_and_leaves_others() -> None:
    deployment = DeploymentFactory()
    people = [user_with_roles(Role.REVIEWER) for _ in range(2)]
    for person in people:
        notify(person, kind=NotificationKind.SIGNOFF_DUE, subject=deployment)
        notify(person, kind=NotificationKind.GENERIC, subject=deployment)
    assert notifications_resolve(subject=deployment, kinds=[NotificationKind.SIGNOFF_DUE]) == 2
    unread = Notification.objects.filter(read_at__isnull=True)
    assert set(unread.values_list("kind", flat=True)) == {NotificationKind.GENERIC}


def test_the_inbox_lists_unread_first_then_newest(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    person = user_with_roles(Role.REVIEWER)
    old, read, new = notify(person, "old"), notify(person, "read"), notify(person, "new")
    notification_mark_read(user=person, notification_id=read.pk)
    assert [n.pk for n in notifications_for(person)] == [new.pk, old.pk, read.pk]
    assert [n.pk for n in notifications_for(person, unread_only=True)] == [new.pk, old.pk]


def test_the_inbox_summary_counts_and_lists_in_one_query(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    person = user_with_roles(Role.REVIEWER)
    with django_assert_num_queries(1):
        assert inbox_summary(person).unread == 0
    for n in range(7):
        notify(person, f"item {n}")
    notify(user_with_roles(Role.REVIEWER))  # someone else's counts for nobody here
    with django_assert_num_queries(1):
        summary = inbox_summary(person)
        assert summary.unread == 7
        assert [n.title for n in summary.latest] == [f"item {n}" for n in (6, 5, 4, 3, 2)]


def test_notifying_many_people_costs_what_notifying_one_costs(
    django_assert_max_num_queries: Any,
) -> None:
    def fan_out(people: list[Any], key: str) -> list[Notification]:
        return notifications_create(
            recipients=people,
            kind=NotificationKind.OWNERSHIP_ORPHANED,
            title="A deployment has no owner",
            link="/",
            dedup_key=key,
        )

    one = [user_with_roles(Role.COMPLIANCE_OFFICER)]
    many = [user_with_roles(Role.COMPLIANCE_OFFICER) for _ in range(8)]
    with django_assert_max_num_queries(10) as single:
        fan_out(one, "orphaned:1")
    with django_assert_max_num_queries(len(single.captured_queries)):
        made = fan_out(many, "orphaned:2")
    assert [n.recipient_id for n in made] == [p.pk for p in many]
    with django_assert_max_num_queries(len(single.captured_queries)):
        again = fan_out([*many, one[0]], "orphaned:2")
    assert [n.pk for n in again[:8]] == [n.pk for n in made]
    assert Notification.objects.filter(dedup_key="orphaned:2").count() == 9


def test_a_fan_out_that_loses_a_race_notifies_each_person_once(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    first, second = (user_with_roles(Role.COMPLIANCE_OFFICER) for _ in range(2))
    build = services._unsaved

    def raced(*args: Any) -> Notification:
        # Another process notifies `first` after the read of the key, before the insert.
        monkeypatch.setattr(services, "_unsaved", build)
        notify(first, "Racing", dedup_key="race")
        return build(*args)

    monkeypatch.setattr(services, "_unsaved", raced)
    made = notifications_create(
        recipients=[first, second], kind="generic", title="x", link="/", dedup_key="race"
    )
    assert [n.title for n in made] == ["Racing", "x"]
    assert Notification.objects.filter(dedup_key="race").count() == 2
