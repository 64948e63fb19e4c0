"""The notifications API: your own inbox, nobody else's."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from governance.accounts.roles import Role
from governance.notifications.models import Notification, NotificationKind
from tests.factories import user_with_roles
from tests.factories.notifications import notify

pytestmark = pytest.mark.django_db
LIST = "/api/v1/notifications/"


def _client(user: object) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_anonymous_callers_get_401() -> None:
    made = notify(user_with_roles(Role.REVIEWER))
    anonymous = APIClient()
    assert anonymous.get(LIST).status_code == 401
    assert anonymous.post(f"{LIST}{made.pk}/read/").status_code == 401
    assert anonymous.post(f"{LIST}read-all/").status_code == 401


def test_the_list_holds_only_the_callers_own_unread_first() -> None:
    person = user_with_roles(Role.REVIEWER)
    read = notify(person, "seen")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    unread = notify(person, "new", kind=NotificationKind.SIGNOFF_DUE, link="/approvals/queue/")
    notify(user_with_roles(Role.REVIEWER), "not yours")
    body = _client(person).get(LIST).json()
    assert [row["title"] for row in body["results"]] == ["new", "seen"]
    first = body["results"][0]
    assert first["id"] == str(unread.pk) and first["unread"] is True
    assert first["link"] == "/approvals/queue/" and first["action"] == "review and sign"


def test_the_list_filters_unread() -> None:
    person = user_with_roles(Role.REVIEWER)
    read = notify(person, "seen")
    Notification.objects.filter(pk=read.pk).update(read_at=timezone.now())
    notify(person, "new")
    client = _client(person)
    assert [r["title"] for r in client.get(LIST, {"unread": "true"}).json()["results"]] == ["new"]
    assert [r["title"] for r in client.get(LIST, {"unread": "false"}).json()["results"]] == ["seen"]


def test_someone_elses_notification_is_404_and_stays_unread() -> None:
    made = notify(user_with_roles(Role.REVIEWER))
    response = _client(user_with_roles(Role.ADMIN)).post(f"{LIST}{made.pk}/read/")
    assert response.status_code == 404
    made.refresh_from_db()
    assert made.read_at is None


def test_an_auditor_reads_and_marks_their_own_notifications() -> None:
    auditor = user_with_roles(Role.AUDITOR)
    made = notify(auditor)
    client = _client(auditor)
    assert client.get(LIST).json()["count"] == 1
    response = client.post(f"{LIST}{made.pk}/read/")
    assert response.status_code == 200 and response.json()["unread"] is False
    notify(auditor)
    assert client.post(f"{LIST}read-all/", {}, format="json").json() == {"marked": 1}


def test_read_all_takes_an_optional_moment_and_refuses_a_bad_one() -> None:
    person = user_with_roles(Role.REVIEWER)
    early = notify(person)
    notify(person)
    client = _client(person)
    response = client.post(
        f"{LIST}read-all/", {"before": early.created_at.isoformat()}, format="json"
    )
    assert response.json() == {"marked": 1}
    refused = client.post(f"{LIST}read-all/", {"before": "yesterday"}, format="json")
    assert refused.status_code == 400 and "before" in refused.json()
    assert Notification.objects.filter(read_at__isnull=True).count() == 1


def test_the_list_costs_the_same_queries_for_many_notifications(
    django_assert_max_num_queries: object,
) -> None:
    person = user_with_roles(Role.REVIEWER)
    notify(person)
    client = _client(person)
    with django_assert_max_num_queries(10) as few:  # type: ignore[operator]
        client.get(LIST)
    for n in range(20):
        notify(person, f"n{n}")
    with django_assert_max_num_queries(len(few.captured_queries)):  # type: ignore[operator]
        assert len(client.get(LIST).json()["results"]) == 21


def test_the_schema_documents_the_endpoints() -> None:
    from drf_spectacular.generators import SchemaGenerator

    paths = SchemaGenerator().get_schema(request=None, public=True)["paths"]
    assert "get" in paths["/api/v1/notifications/"]
    assert "post" in paths["/api/v1/notifications/{id}/read/"]
    assert "post" in paths["/api/v1/notifications/read-all/"]
    params = {p["name"] for p in paths["/api/v1/notifications/"]["get"]["parameters"]}
    assert "unread" in params
