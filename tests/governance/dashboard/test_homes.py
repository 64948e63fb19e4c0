"""Role homes: who lands where, what each shows, and that they load with the demo data."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from governance.accounts.models import User
from governance.accounts.roles import Role
from governance.approvals import services as approvals
from governance.approvals.models import ApprovalRequest
from governance.inventory.models import Deployment
from tests.factories import DeploymentFactory, UserFactory, user_with_roles
from tests.factories.approvals import approve_fully, ready_deployment, sign
from tests.factories.liability import make_owner

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("roles", "template"),
    [
        ([Role.COMPLIANCE_OFFICER], "dashboard/overview.html"),
        ([Role.EXECUTIVE], "dashboard/overview.html"),
        ([Role.AUDITOR], "dashboard/overview.html"),
        ([Role.ADMIN], "dashboard/overview.html"),
        ([Role.REVIEWER], "dashboard/reviewer_home.html"),
        ([Role.LEGAL], "dashboard/reviewer_home.html"),
        ([Role.REQUESTER], "dashboard/requester_home.html"),
        ([Role.REQUESTER, Role.REVIEWER], "dashboard/reviewer_home.html"),
    ],
)
def test_home_shows_the_page_of_the_persons_main_role(
    client: Client, roles: list[str], template: str
) -> None:
    client.force_login(user_with_roles(*roles))
    response = client.get(reverse("core:home"))
    assert response.status_code == 200
    assert template in [t.name for t in response.templates]


def test_someone_without_a_role_is_told_so(client: Client) -> None:
    client.force_login(UserFactory())
    response = client.get(reverse("core:home"))
    assert response.status_code == 403
    assert b"no role" in response.content.lower()


def test_anonymous_visitors_are_sent_to_log_in(client: Client) -> None:
    for name in ("core:home", "dashboard:overview", "dashboard:portfolio", "dashboard:search"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_homes_refuse_roles_they_are_not_for(client: Client) -> None:
    client.force_login(user_with_roles(Role.AUDITOR))
    assert client.get(reverse("dashboard:reviewer_home")).status_code == 403
    assert client.get(reverse("dashboard:requester_home")).status_code == 403
    client.force_login(user_with_roles(Role.REVIEWER))
    assert client.get(reverse("dashboard:requester_home")).status_code == 403


def _queued(age_hours: int, tier: str = "I") -> ApprovalRequest:
    deployment, requester, _ = ready_deployment(tier)
    request = approvals.approval_request_create(deployment=deployment, actor=requester)
    started = timezone.now() - dt.timedelta(hours=age_hours)
    ApprovalRequest.objects.filter(pk=request.pk).update(stage_started_at=started)
    return request


def test_reviewer_home_lists_my_queue_oldest_first_with_overdue_flagged(client: Client) -> None:
    reviewer = user_with_roles(Role.REVIEWER)
    newer, older = _queued(1), _queued(60)
    mine = _queued(100)
    ApprovalRequest.objects.filter(pk=mine.pk).update(requested_by=reviewer)
    client.force_login(reviewer)
    context = client.get(reverse("dashboard:reviewer_home")).context
    assert [row["approval"].pk for row in context["rows"]] == [older.pk, newer.pk]
    assert context["rows"][0]["sla"].overdue and not context["rows"][1]["sla"].overdue
    assert context["queue_count"] == 2


def test_reviewer_home_shows_my_decisions_and_what_i_am_accountable_for(client: Client) -> None:
    reviewer = user_with_roles(Role.REVIEWER)
    request = _queued(1)
    sign(request, reviewer)
    owned = DeploymentFactory()
    make_owner(owned, reviewer)
    client.force_login(reviewer)
    response = client.get(reverse("dashboard:reviewer_home"))
    context = response.context
    assert [s.request_id for s in context["recent"]] == [request.pk]
    assert [s.deployment.pk for s in context["accountable"]] == [owned.pk]
    assert context["accountable_count"] == 1
    assert f"person={reviewer.pk}".encode() in response.content
    assert b"Nothing is waiting for your signature." in response.content


def test_requester_home_lists_my_live_deployments_with_their_checklists(client: Client) -> None:
    requester = user_with_roles(Role.REQUESTER)
    mine = [DeploymentFactory(created_by=requester) for _ in range(2)]
    DeploymentFactory()  # someone else's
    Deployment.objects.filter(pk=mine[0].pk).update(status="retired")
    client.force_login(requester)
    response = client.get(reverse("dashboard:requester_home"))
    standings = response.context["standings"]
    assert [s.deployment.pk for s in standings] == [mine[1].pk]
    assert [i.key for i in standings[0].outstanding] == ["assessment", "owner", "approval_request"]
    assert f'href="/deployments/{mine[1].pk}/risk/"'.encode() in response.content
    assert b"3 of 3 still to do." in response.content


def test_requester_home_shows_offers_of_accountability_waiting_for_me(client: Client) -> None:
    from governance.liability import services as liability

    requester = user_with_roles(Role.REQUESTER)
    deployment = DeploymentFactory()
    offer = liability.ownership_offer_create(
        deployment=deployment,
        to_user=requester,
        reason="You run it",
        actor=user_with_roles(Role.COMPLIANCE_OFFICER),
    )
    client.force_login(requester)
    response = client.get(reverse("dashboard:requester_home"))
    assert f"/accountability/offers/{offer.pk}/".encode() in response.content


@pytest.mark.parametrize("name", ["dashboard:reviewer_home", "dashboard:requester_home"])
def test_role_homes_keep_a_constant_query_count(
    client: Client, django_assert_max_num_queries: Any, name: str
) -> None:
    person = user_with_roles(Role.REQUESTER, Role.REVIEWER)
    client.force_login(person)

    def add_work() -> None:
        _queued(5)
        deployment, requester, _ = ready_deployment("II")
        Deployment.objects.filter(pk=deployment.pk).update(created_by=person)
        approve_fully(approvals.approval_request_create(deployment=deployment, actor=requester))
        make_owner(DeploymentFactory(created_by=person), person)

    add_work()
    with django_assert_max_num_queries(30) as small:
        assert client.get(reverse(name)).status_code == 200
    for _ in range(3):
        add_work()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse(name)).status_code == 200


def test_every_demo_role_home_and_deployment_page_loads(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    from django.core.management import call_command

    call_command("seed_demo", stdout=None)
    deployments = list(Deployment.objects.all())
    assert len(deployments) >= 5
    for user in User.objects.filter(username__in=[u for u, *_ in _demo_users()]):
        client.force_login(user)
        # The overview's five trend panels read nine queries of their own; recent activity
        # names each kind of record not about one deployment with one query (the demo's
        # evidence documents are one such kind).
        with django_assert_max_num_queries(36):
            assert client.get(reverse("core:home")).status_code == 200, user.username
        for deployment in deployments:
            # Every room's panel and gate check; the same for a small or a large portfolio.
            with django_assert_max_num_queries(40):
                page = client.get(reverse("inventory:deployment_detail", args=[deployment.pk]))
            assert page.status_code == 200
            assert b"Deployment gate:" in page.content
            assert b"Checklist to an open gate" in page.content


def _demo_users() -> list[Any]:
    from governance.accounts.demo import DEMO_USERS

    return DEMO_USERS


def test_requester_home_offers_to_register_an_ai_system_first(client: Client) -> None:
    client.force_login(user_with_roles(Role.REQUESTER))
    body = client.get(reverse("dashboard:requester_home")).content.decode()
    system_link = f'href="{reverse("inventory:system_create")}">Register AI system</a>'
    assert system_link in body
    assert body.index(system_link) < body.index(">Register deployment</a>")
    assert f'href="{reverse("inventory:system_create")}">Register the AI system</a>' in body


@pytest.mark.parametrize(
    ("role", "name"),
    [
        (Role.REQUESTER, "dashboard:requester_home"),
        (Role.REVIEWER, "dashboard:reviewer_home"),
        (Role.EXECUTIVE, "dashboard:overview"),
    ],
)
def test_every_empty_state_of_a_home_offers_a_next_action(
    client: Client, role: str, name: str
) -> None:
    import re

    client.force_login(user_with_roles(role))
    body = client.get(reverse(name)).content.decode()
    empties = list(re.finditer(r'<(p|div) class="empty-state">(.*?)</\1>', body, flags=re.S))
    assert empties
    for empty in empties:
        # A panel's empty state may rely on the linked figures of its own card.
        opened = body.rfind("<section", 0, empty.start())
        inside_card = opened > body.rfind("</section>", 0, empty.start())
        where = body[opened : body.index("</section>", empty.end())] if inside_card else empty[2]
        assert "<a " in where, empty[2]
