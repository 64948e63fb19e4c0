"""Where the product needs someone, the room that knows it puts it in their inbox, in the
same transaction as the change (and, where it e-mails them, from the same place)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import RequestFactory
from django.urls import reverse

from governance.accounts.roles import Role
from governance.approvals import services as approvals
from governance.approvals.services.notices import (
    approvals_send_expiry_notices,
    approvals_send_sla_notices,
)
from governance.core.errors import Conflict
from governance.ledger.models import LedgerEvent
from governance.liability import services as liability
from governance.liability.models import OwnershipOffer
from governance.notifications.models import Notification, NotificationKind
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.approvals import approve_fully, ready_deployment, sign

pytestmark = pytest.mark.django_db


def _inbox(user: Any, kind: str | None = None) -> list[Notification]:
    rows = Notification.objects.filter(recipient=user).order_by("created_at")
    return list(rows.filter(kind=kind) if kind else rows)


# --- Ownership offers -----------------------------------------------------------------------


def _offer(to_user: Any, offerer: Any) -> OwnershipOffer:
    return liability.ownership_offer_create(
        deployment=DeploymentFactory(), to_user=to_user, reason="Sponsor", actor=offerer
    )


def test_an_ownership_offer_reaches_the_addressee_as_an_actionable_sentence() -> None:
    officer = user_with_roles(Role.COMPLIANCE_OFFICER, first_name="Lena", last_name="Novak")
    executive = user_with_roles(Role.EXECUTIVE)
    offer = _offer(executive, officer)
    assert LedgerEvent.objects.filter(action="ownership.offered", subject_id=str(offer.pk))
    [item] = _inbox(executive)
    assert item.kind == NotificationKind.OWNERSHIP_OFFER
    assert item.title == f"Lena Novak offers you accountable ownership of {offer.deployment}"
    assert item.action == "review the offer"
    assert item.link == reverse("liability:offer_detail", args=[offer.pk])
    assert (item.subject_type, item.subject_id) == ("liability.ownershipoffer", str(offer.pk))
    assert item.deployment_id == offer.deployment_id
    assert _inbox(officer) == []


def test_a_refused_offer_notifies_nobody() -> None:
    officer, executive = user_with_roles(Role.COMPLIANCE_OFFICER), user_with_roles(Role.EXECUTIVE)
    offer = _offer(executive, officer)
    with pytest.raises(Conflict):
        liability.ownership_offer_create(
            deployment=offer.deployment, to_user=executive, reason="Again", actor=officer
        )
    assert len(_inbox(executive)) == 1


def test_a_declined_offer_tells_the_offerer_why_and_settles_the_addressees_item() -> None:
    officer, executive = user_with_roles(Role.COMPLIANCE_OFFICER), user_with_roles(Role.EXECUTIVE)
    offer = _offer(executive, officer)
    liability.ownership_offer_decline(offer=offer, actor=executive, reason="Not my programme")
    [answer] = _inbox(officer)
    assert answer.kind == NotificationKind.OWNERSHIP_OFFER_ANSWERED
    assert answer.title == (
        f"{executive.display_name} declined accountable ownership of {offer.deployment}: "
        "Not my programme"
    )
    [item] = _inbox(executive)
    assert item.read_at is not None  # nothing waits for the executive any more


def test_an_accepted_offer_tells_the_offerer_and_settles_the_competing_offers() -> None:
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    first, second = user_with_roles(Role.EXECUTIVE), user_with_roles(Role.REQUESTER)
    offer = _offer(first, officer)
    rival = liability.ownership_offer_create(
        deployment=offer.deployment, to_user=second, reason="Either", actor=officer
    )
    liability.ownership_offer_accept(
        offer=offer,
        actor=first,
        statement=liability.default_statement(offer.deployment),
        password=PASSWORD,
        request=RequestFactory().post("/"),
    )
    [answer] = _inbox(officer)
    assert answer.title.startswith(f"{first.display_name} accepted accountable ownership")
    rival.refresh_from_db()
    assert rival.status == "superseded"
    assert all(n.read_at for n in _inbox(second) + _inbox(first))


def test_a_withdrawn_offer_leaves_the_addressees_unread_items() -> None:
    officer, executive = user_with_roles(Role.COMPLIANCE_OFFICER), user_with_roles(Role.EXECUTIVE)
    offer = _offer(executive, officer)
    liability.ownership_offer_withdraw(offer=offer, actor=officer, reason="Wrong person")
    assert all(n.read_at for n in _inbox(executive))
    assert _inbox(officer) == []  # withdrawing is their own act, not an answer


def test_orphaned_deployments_reach_compliance_officers_inboxes_as_well_as_their_mail(
    mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    deployment, _, owner = ready_deployment("I")
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    with django_capture_on_commit_callbacks(execute=True):
        liability.ownerships_orphan_for_user(user=owner, actor=None, cause="deactivated")
    [item] = _inbox(officer, NotificationKind.OWNERSHIP_ORPHANED)
    assert item.title.startswith(f"{deployment} has no accountable owner")
    assert item.link == reverse("liability:deployment_accountability", args=[deployment.pk])
    assert [m.to for m in mailoutbox] == [[officer.email]]
    liability.ownerships_orphan_for_user(user=owner, actor=None, cause="deactivated")
    assert len(_inbox(officer, NotificationKind.OWNERSHIP_ORPHANED)) == 1


# --- Approvals ------------------------------------------------------------------------------


def test_opening_a_request_assigns_the_first_stage_to_everyone_who_may_sign_it() -> None:
    deployment, requester, _ = ready_deployment("II")
    reviewers = [user_with_roles(Role.REVIEWER) for _ in range(2)]
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    request = approvals.approval_request_create(deployment=deployment, actor=requester)
    for reviewer in reviewers:
        [item] = _inbox(reviewer)
        assert item.kind == NotificationKind.APPROVAL_ASSIGNED
        assert item.title.startswith(f"{deployment} awaits your signature: stage 1, Peer review")
        assert item.link == reverse("approvals:request_detail", args=[request.pk])
    assert _inbox(officer) == []  # stage 2 has not started
    assert _inbox(requester) == []  # the requester never signs their own request


def test_a_completed_stage_settles_its_items_and_assigns_the_next_stage() -> None:
    deployment, requester, _ = ready_deployment("II")
    first, second = user_with_roles(Role.REVIEWER), user_with_roles(Role.REVIEWER)
    request = approvals.approval_request_create(deployment=deployment, actor=requester)
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    sign(request, first)
    assert LedgerEvent.objects.filter(action="approval_stage.completed").count() == 1
    assert all(n.read_at for n in _inbox(first) + _inbox(second))
    [item] = _inbox(officer)
    assert item.title.startswith(f"{deployment} awaits your signature: stage 2, Compliance review")
    assert item.read_at is None


def test_a_closed_request_waits_for_nobody() -> None:
    deployment, requester, _ = ready_deployment("I")
    reviewer = user_with_roles(Role.REVIEWER)
    request = approvals.approval_request_create(deployment=deployment, actor=requester)
    approvals.approval_request_withdraw(request=request, actor=requester)
    assert all(n.read_at for n in _inbox(reviewer))
    approved = approve_fully(
        approvals.approval_request_create(deployment=deployment, actor=requester)
    )
    assert approved.status == "approved"
    assert not Notification.objects.filter(
        subject_id=str(approved.pk), read_at__isnull=True
    ).exists()


def test_sla_reminders_and_escalations_notify_once_even_if_the_sweep_runs_twice(
    mailoutbox: Any, django_capture_on_commit_callbacks: Any
) -> None:
    deployment, requester, _ = ready_deployment("II")
    request = approvals.approval_request_create(deployment=deployment, actor=requester)
    reviewer = user_with_roles(Role.REVIEWER, email="rev@example.com")
    officer = user_with_roles(Role.COMPLIANCE_OFFICER, email="co@example.com")
    late = request.stage_started_at + dt.timedelta(hours=49)
    with django_capture_on_commit_callbacks(execute=True):
        assert approvals_send_sla_notices(now=late) == 2
        assert approvals_send_sla_notices(now=late) == 0
    [due] = _inbox(reviewer, NotificationKind.SIGNOFF_DUE)
    [overdue] = _inbox(officer, NotificationKind.SIGNOFF_OVERDUE)
    # The e-mail and the inbox say the same thing to the same people.
    assert sorted((m.subject, tuple(m.to)) for m in mailoutbox) == sorted(
        [(due.title, ("rev@example.com",)), (overdue.title, ("co@example.com",))]
    )
    assert Notification.objects.filter(kind=NotificationKind.SIGNOFF_DUE).count() == 1


def test_a_reminder_reaches_signers_without_an_email_address_in_the_app() -> None:
    deployment, requester, _ = ready_deployment("I")
    request = approvals.approval_request_create(deployment=deployment, actor=requester)
    reviewer = user_with_roles(Role.REVIEWER, email="")
    approvals_send_sla_notices(now=request.stage_started_at + dt.timedelta(hours=25))
    assert len(_inbox(reviewer, NotificationKind.SIGNOFF_DUE)) == 1


def test_expiry_notices_reach_the_requester_and_compliance_in_the_app_once() -> None:
    deployment, requester, _ = ready_deployment("I")
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    approved = approve_fully(
        approvals.approval_request_create(deployment=deployment, actor=requester)
    )
    soon = approved.expires_at - dt.timedelta(days=10)
    assert approvals_send_expiry_notices(now=soon) == 1
    assert approvals_send_expiry_notices(now=soon) == 0
    for person in (requester, officer):
        [item] = _inbox(person, NotificationKind.APPROVAL_EXPIRING)
        assert item.link == reverse("approvals:request_detail", args=[approved.pk])
