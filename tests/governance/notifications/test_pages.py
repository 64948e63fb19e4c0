"""The inbox page, the header's bell and the homes' "Needs you" list."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from governance.accounts.roles import Role
from governance.liability import services as liability
from governance.notifications.models import Notification
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.notifications import notify

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_login(client: Client) -> None:
    for url in (reverse("notifications:list"),):
        assert client.get(url)["Location"].startswith(reverse("accounts:login"))
    made = notify(user_with_roles(Role.REVIEWER))
    response = client.post(reverse("notifications:mark_read", args=[made.pk]))
    assert response["Location"].startswith(reverse("accounts:login"))
    made.refresh_from_db()
    assert made.read_at is None


def test_the_bell_shows_the_unread_count_on_every_page(client: Client) -> None:
    person = user_with_roles(Role.AUDITOR)
    client.force_login(person)
    page = client.get(reverse("ledger:event_list")).content.decode()
    assert "Notifications: none unread" in page
    for n in range(3):
        notify(person, f"item {n}")
    page = client.get(reverse("ledger:event_list")).content.decode()
    assert "Notifications: 3 unread" in page
    assert '<span class="bell-count">3</span>' in page


def test_the_bell_costs_one_query_however_many_notifications(
    client: Client, django_assert_num_queries: Any
) -> None:
    person = user_with_roles(Role.AUDITOR)
    client.force_login(person)
    url = reverse("dashboard:status")
    client.get(url)
    with CaptureQueriesContext(connection) as without:
        client.get(url)
    for n in range(30):
        notify(person, f"item {n}")
    with django_assert_num_queries(len(without.captured_queries)) as counted:
        client.get(url)
    inbox = [q for q in counted.captured_queries if "notifications_notification" in q["sql"]]
    assert len(inbox) == 1


def test_the_list_shows_only_the_persons_own_notifications_each_a_link_to_act(
    client: Client,
) -> None:
    person, other = user_with_roles(Role.REVIEWER), user_with_roles(Role.REVIEWER)
    notify(person, "Sign the credit model", link="/approvals/queue/")
    notify(other, "Someone else's secret")
    client.force_login(person)
    page = client.get(reverse("notifications:list")).content.decode()
    assert '<a href="/approvals/queue/">Sign the credit model — open</a>' in page
    assert "Someone else" not in page


def test_the_empty_inbox_says_what_will_appear_here(client: Client) -> None:
    client.force_login(user_with_roles(Role.EXECUTIVE))
    page = client.get(reverse("notifications:list")).content.decode()
    assert "No notifications yet" in page and "ownership offers made to you" in page
    page = client.get(reverse("notifications:list"), {"show": "unread"}).content.decode()
    assert "Nothing unread" in page


def test_the_list_is_paginated_unread_first(client: Client) -> None:
    person = user_with_roles(Role.REVIEWER)
    read = notify(person, "already seen")
    Notification.objects.filter(pk=read.pk).update(read_at=read.created_at)
    for n in range(30):
        notify(person, f"new {n}")
    client.force_login(person)
    first = client.get(reverse("notifications:list")).content.decode()
    assert "new 29" in first and "already seen" not in first and "Page 1 of 2" in first
    second = client.get(reverse("notifications:list"), {"page": 2}).content.decode()
    assert "already seen" in second


def test_mark_read_from_the_list_and_back_to_it(client: Client) -> None:
    person = user_with_roles(Role.AUDITOR)
    made = notify(person)
    client.force_login(person)
    response = client.post(
        reverse("notifications:mark_read", args=[made.pk]), {"next": "/notifications/?page=1"}
    )
    assert response.status_code == 302 and response["Location"] == "/notifications/?page=1"
    made.refresh_from_db()
    assert made.read_at is not None


def test_mark_read_never_sends_the_person_to_another_site(client: Client) -> None:
    person = user_with_roles(Role.REVIEWER)
    made = notify(person)
    client.force_login(person)
    response = client.post(
        reverse("notifications:mark_read", args=[made.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("notifications:list")


def test_someone_elses_notification_is_not_found_and_stays_unread(client: Client) -> None:
    made = notify(user_with_roles(Role.REVIEWER))
    client.force_login(user_with_roles(Role.ADMIN))
    assert client.post(reverse("notifications:mark_read", args=[made.pk])).status_code == 404
    made.refresh_from_db()
    assert made.read_at is None


def test_mark_all_read_needs_a_csrf_token(client: Client) -> None:
    person = user_with_roles(Role.REVIEWER)
    notify(person)
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(person)
    assert strict.post(reverse("notifications:mark_all_read")).status_code == 403
    assert Notification.objects.filter(read_at__isnull=True).count() == 1
    client.force_login(person)
    assert client.post(reverse("notifications:mark_all_read")).status_code == 302
    assert Notification.objects.filter(read_at__isnull=True).count() == 0


def test_an_executive_with_a_pending_offer_sees_it_on_their_home(client: Client) -> None:
    officer = user_with_roles(Role.COMPLIANCE_OFFICER, first_name="Lena", last_name="Novak")
    executive = user_with_roles(Role.EXECUTIVE)
    offer = liability.ownership_offer_create(
        deployment=DeploymentFactory(), to_user=executive, reason="Sponsor", actor=officer
    )
    client.force_login(executive)
    page = client.get(reverse("core:home")).content.decode()
    link = reverse("liability:offer_detail", args=[offer.pk])
    sentence = (
        f"Lena Novak offers you accountable ownership of {offer.deployment} — review the offer"
    )
    assert f'<a href="{link}">{sentence}</a>' in page
    assert "Notifications: 1 unread" in page
    liability.ownership_offer_decline(offer=offer, actor=executive, reason="Not mine")
    page = client.get(reverse("core:home")).content.decode()
    assert "Needs you" not in page and "Notifications: none unread" in page


@pytest.mark.parametrize("home", ["dashboard:reviewer_home", "dashboard:requester_home"])
def test_the_other_homes_list_what_needs_the_person_too(client: Client, home: str) -> None:
    person = user_with_roles(Role.REQUESTER, Role.REVIEWER)
    notify(person, "Sign the fraud model", link="/approvals/queue/")
    client.force_login(person)
    page = client.get(reverse(home)).content.decode()
    assert "Needs you" in page and "Sign the fraud model — open" in page
