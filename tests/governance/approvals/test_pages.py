from __future__ import annotations

import pytest
from django.urls import reverse

from governance.accounts.roles import Role
from governance.approvals import services
from governance.approvals.models import RequestStatus
from governance.ledger.models import LedgerEvent
from tests.factories import user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.approvals import ready_deployment, sign

pytestmark = pytest.mark.django_db


@pytest.fixture
def approval():  # type: ignore[no-untyped-def]
    deployment, requester, _ = ready_deployment("II")
    return services.approval_request_create(deployment=deployment, actor=requester)


def test_queue_lists_what_awaits_me_oldest_first(client, approval) -> None:  # type: ignore[no-untyped-def]
    reviewer = user_with_roles(Role.REVIEWER)
    client.force_login(reviewer)
    page = client.get(reverse("approvals:queue"))
    assert page.status_code == 200
    assert str(approval.deployment.environment).encode() in page.content
    legal = user_with_roles(Role.LEGAL)
    client.force_login(legal)
    queue = client.get(reverse("approvals:queue")).content
    assert b"Nothing is waiting for your signature" in queue


def test_queue_query_count_is_constant(client, django_assert_max_num_queries) -> None:  # type: ignore[no-untyped-def]
    reviewer = user_with_roles(Role.REVIEWER)
    client.force_login(reviewer)
    deployment, requester, _ = ready_deployment("I")
    services.approval_request_create(deployment=deployment, actor=requester)
    with django_assert_max_num_queries(15) as small:
        client.get(reverse("approvals:queue"))
    for _ in range(4):
        deployment, requester, _ = ready_deployment("I")
        services.approval_request_create(deployment=deployment, actor=requester)
    with django_assert_max_num_queries(len(small.captured_queries)):
        client.get(reverse("approvals:queue"))


def test_request_page_shows_why_i_cannot_sign(client, approval) -> None:  # type: ignore[no-untyped-def]
    client.force_login(approval.requested_by)
    page = client.get(reverse("approvals:request_detail", args=[approval.pk]))
    assert b"You cannot sign this request" in page.content
    assert b"You asked for this approval" in page.content
    assert b'name="password"' not in page.content


def test_auditor_sees_the_request_without_a_sign_form(client, approval) -> None:  # type: ignore[no-untyped-def]
    client.force_login(user_with_roles(Role.AUDITOR))
    page = client.get(reverse("approvals:request_detail", args=[approval.pk]))
    assert page.status_code == 200
    assert b'name="password"' not in page.content
    response = client.post(reverse("approvals:request_sign", args=[approval.pk]), {})
    assert response.status_code == 403


def test_sign_through_the_page(client, approval) -> None:  # type: ignore[no-untyped-def]
    reviewer = user_with_roles(Role.REVIEWER)
    client.force_login(reviewer)
    page = client.get(reverse("approvals:request_detail", args=[approval.pk]))
    assert b"I approve the deployment of" in page.content
    form = {
        "decision": "approve",
        "meaning": "ignored",
        "conditions": "",
        "comment": "",
        "password": "wrong",
        "confirm": "on",
        "stage": "1",
    }
    bad = client.post(reverse("approvals:request_sign", args=[approval.pk]), form)
    assert bad.status_code == 400 and b"password is not correct" in bad.content
    form["password"] = PASSWORD
    done = client.post(reverse("approvals:request_sign", args=[approval.pk]), form)
    assert done.status_code == 302
    approval.refresh_from_db()
    assert approval.current_stage == 2
    assert LedgerEvent.objects.filter(action="signoff.recorded").count() == 1


def test_deployment_tab_shows_gate_and_blockers(client) -> None:  # type: ignore[no-untyped-def]
    from tests.factories import DeploymentFactory

    deployment = DeploymentFactory()
    client.force_login(user_with_roles(Role.REQUESTER))
    page = client.get(reverse("approvals:deployment_approvals", args=[deployment.pk]))
    assert page.status_code == 200
    assert b"Deployment gate" in page.content and b"closed" in page.content
    assert b"needs a submitted risk assessment" in page.content


def test_request_approval_from_the_page(client) -> None:  # type: ignore[no-untyped-def]
    deployment, requester, _ = ready_deployment("I")
    client.force_login(requester)
    response = client.post(
        reverse("approvals:deployment_request_create", args=[deployment.pk]), {"reason": "go"}
    )
    assert response.status_code == 302
    assert deployment.approval_requests.get().status == RequestStatus.PENDING


def test_withdraw_reason_that_cannot_be_stored_is_refused(client, approval) -> None:  # type: ignore[no-untyped-def]
    client.force_login(approval.requested_by)
    url = reverse("approvals:request_withdraw", args=[approval.pk])
    detail = reverse("approvals:request_detail", args=[approval.pk])
    response = client.post(url, {"reason": "\x00 no longer needed"}, follow=True)
    assert response.redirect_chain == [(detail, 302)]
    assert b"Not withdrawn" in response.content
    approval.refresh_from_db()
    assert approval.status == RequestStatus.PENDING
    assert client.post(url, {"reason": "No longer needed"}).status_code == 302
    approval.refresh_from_db()
    assert approval.status == RequestStatus.WITHDRAWN
    assert approval.closed_reason == "No longer needed"


def test_policies_page_lists_the_shipped_policies(client, approval) -> None:  # type: ignore[no-untyped-def]
    client.force_login(user_with_roles(Role.AUDITOR))
    page = client.get(reverse("approvals:policies"))
    assert b"Tier IV" in page.content and b"Final human decision" in page.content
    assert b"New policy version" not in page.content


def test_sign_then_gate_open_on_tab(client, approval) -> None:  # type: ignore[no-untyped-def]
    sign(approval, user_with_roles(Role.REVIEWER))
    sign(approval, user_with_roles(Role.COMPLIANCE_OFFICER))
    client.force_login(user_with_roles(Role.AUDITOR))
    page = client.get(reverse("approvals:deployment_approvals", args=[approval.deployment.pk]))
    assert b"open</span>" in page.content
