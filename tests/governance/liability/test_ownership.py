"""Accountable ownership: offers, signed acceptance, declines, transfers and orphaning."""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import IntegrityError, transaction
from django.test import RequestFactory

from governance.accounts.roles import Role
from governance.accounts.services import user_deactivate, user_roles_set
from governance.approvals.gate_checks import failing_reasons, registered_checks
from governance.core.errors import Conflict, InvalidInput, PermissionRefused
from governance.core.models import ImmutableRecordError
from governance.ledger.models import LedgerEvent
from governance.ledger.verify import verify_chain
from governance.liability import services
from governance.liability.choices import OfferStatus, OwnershipEndCause
from governance.liability.models import Ownership, OwnershipOffer
from governance.liability.selectors import accountable_owner, accountable_owners
from governance.liability.services.ownership import signature_hash
from governance.liability.signals import accountable_owner_changed
from governance.liability.tasks import recheck_orphans_task
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.liability import make_owner, ownership_row

pytestmark = pytest.mark.django_db


@pytest.fixture
def deployment():  # type: ignore[no-untyped-def]
    return DeploymentFactory()


@pytest.fixture
def officer():  # type: ignore[no-untyped-def]
    return user_with_roles(Role.COMPLIANCE_OFFICER, username="officer", email="officer@example.com")


def _accept(offer, user, password=PASSWORD):  # type: ignore[no-untyped-def]
    return services.ownership_offer_accept(
        offer=offer,
        actor=user,
        statement="I accept accountability for this deployment.",
        password=password,
        request=RequestFactory().post("/"),
    )


def _offer(deployment, to_user, actor):  # type: ignore[no-untyped-def]
    return services.ownership_offer_create(
        deployment=deployment, to_user=to_user, reason="Leads the team that runs it", actor=actor
    )


def _events(action: str) -> list[LedgerEvent]:
    return list(LedgerEvent.objects.filter(action=action).order_by("seq"))


def test_offer_is_ledgered_and_does_not_make_an_owner(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    offer = _offer(deployment, maya, officer)
    assert offer.status == OfferStatus.PENDING
    assert accountable_owner(deployment) is None
    [event] = _events("ownership.offered")
    assert event.deployment_id == str(deployment.pk)
    assert event.payload["to_user"] == str(maya.pk)
    assert event.payload["reason"] == "Leads the team that runs it"


def test_acceptance_with_password_makes_a_signed_owner(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER, first_name="Maya", last_name="Patel")
    ownership = _accept(_offer(deployment, maya, officer), maya)
    assert accountable_owner(deployment) == maya
    assert ownership.printed_name == "Maya Patel"
    assert ownership.meaning == "responsibility"
    assert ownership.fingerprint == deployment.fingerprint
    assert ownership.signature_hash == signature_hash(ownership)
    [event] = _events("ownership.accepted")
    assert event.actor_id == str(maya.pk)
    assert event.deployment_id == str(deployment.pk)
    assert event.payload["signature_hash"] == ownership.signature_hash
    assert event.payload["previous_owner"] is None
    assert OwnershipOffer.objects.get().status == OfferStatus.ACCEPTED
    assert not _events("ownership.transferred")


def test_previous_owner_stays_accountable_until_the_transfer_is_accepted(
    deployment, officer
) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    laura = user_with_roles(Role.LEGAL)
    first = make_owner(deployment, maya, offered_by=officer)
    offer = _offer(deployment, laura, officer)
    assert accountable_owner(deployment) == maya
    second = _accept(offer, laura)
    assert accountable_owner(deployment) == laura
    first.refresh_from_db()
    assert first.end_cause == OwnershipEndCause.TRANSFERRED and first.ended_at is not None
    [transfer] = _events("ownership.transferred")
    assert transfer.payload["from_user"] == str(maya.pk)
    assert transfer.payload["to_user"] == str(laura.pk)
    assert transfer.payload["to_ownership"] == str(second.pk)
    assert transfer.payload["offered_by"] == str(officer.pk)
    assert transfer.payload["reason"] == "Leads the team that runs it"


def test_owner_change_signal_is_sent_inside_the_transaction(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    laura = user_with_roles(Role.LEGAL)
    make_owner(deployment, maya, offered_by=officer)
    seen = []

    def receiver(sender, **kwargs):  # type: ignore[no-untyped-def]
        seen.append((kwargs, transaction.get_connection().in_atomic_block))

    accountable_owner_changed.connect(receiver)
    try:
        _accept(_offer(deployment, laura, officer), laura)
    finally:
        accountable_owner_changed.disconnect(receiver)
    [(kwargs, in_transaction)] = seen
    assert in_transaction
    assert kwargs["previous"] == maya and kwargs["current"] == laura and kwargs["actor"] == laura
    assert kwargs["deployment"].pk == deployment.pk
    assert "transferred" in kwargs["cause"]


def test_a_failing_receiver_rolls_the_acceptance_back(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    offer = _offer(deployment, maya, officer)

    def receiver(sender, **kwargs):  # type: ignore[no-untyped-def]
        raise RuntimeError("approvals could not invalidate")

    accountable_owner_changed.connect(receiver)
    try:
        with pytest.raises(RuntimeError):
            _accept(offer, maya)
    finally:
        accountable_owner_changed.disconnect(receiver)
    assert not Ownership.objects.exists()
    assert OwnershipOffer.objects.get().status == OfferStatus.PENDING
    assert not _events("ownership.accepted")


def test_accepting_someone_elses_offer_is_refused(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    tom = user_with_roles(Role.REQUESTER)
    offer = _offer(deployment, maya, officer)
    with pytest.raises(PermissionRefused, match="addressed to"):
        _accept(offer, tom)
    assert accountable_owner(deployment) is None


def test_wrong_password_is_refused_and_ledgered(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    offer = _offer(deployment, maya, officer)
    with pytest.raises(PermissionRefused, match="password"):
        _accept(offer, maya, password="not-my-password")
    [event] = _events("security.reauthentication_failed")
    assert event.payload["purpose"] == "ownership_accept"
    assert event.deployment_id == str(deployment.pk)
    assert OwnershipOffer.objects.get().status == OfferStatus.PENDING
    assert not Ownership.objects.exists()


def test_statement_is_required(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    offer = _offer(deployment, maya, officer)
    with pytest.raises(InvalidInput) as error:
        services.ownership_offer_accept(
            offer=offer,
            actor=maya,
            statement=" ",
            password=PASSWORD,
            request=RequestFactory().post("/"),
        )
    assert "statement" in error.value.fields


def test_decline_needs_a_reason_and_is_ledgered(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    offer = _offer(deployment, maya, officer)
    with pytest.raises(InvalidInput):
        services.ownership_offer_decline(offer=offer, actor=maya, reason="")
    declined = services.ownership_offer_decline(offer=offer, actor=maya, reason="I am on leave")
    assert declined.status == OfferStatus.DECLINED
    [event] = _events("ownership.declined")
    assert event.payload["reason"] == "I am on leave"
    with pytest.raises(Conflict, match="declined"):
        _accept(declined, maya)


def test_first_acceptance_supersedes_the_other_pending_offers(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    laura = user_with_roles(Role.LEGAL)
    to_maya = _offer(deployment, maya, officer)
    to_laura = _offer(deployment, laura, officer)
    _accept(to_laura, laura)
    to_maya.refresh_from_db()
    assert to_maya.status == OfferStatus.SUPERSEDED
    with pytest.raises(Conflict, match="superseded"):
        _accept(to_maya, maya)
    assert accountable_owner(deployment) == laura
    assert len(_events("ownership.offer_superseded")) == 1


def test_offering_to_the_current_owner_is_a_conflict(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    make_owner(deployment, maya, offered_by=officer)
    with pytest.raises(Conflict, match="already the accountable owner"):
        _offer(deployment, maya, officer)


def test_offers_go_only_to_active_people_with_a_qualifying_role(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    auditor = user_with_roles(Role.AUDITOR)
    with pytest.raises(InvalidInput) as error:
        _offer(deployment, auditor, officer)
    assert "to_user" in error.value.fields
    gone = user_with_roles(Role.REQUESTER, is_active=False)
    with pytest.raises(InvalidInput):
        _offer(deployment, gone, officer)


def test_qualifying_roles_come_from_settings(deployment, officer, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ACCOUNTABLE_OWNER_ROLES = ["executive"]
    with pytest.raises(InvalidInput):
        _offer(deployment, user_with_roles(Role.REQUESTER), officer)
    boss = user_with_roles(Role.EXECUTIVE)
    _accept(_offer(deployment, boss, officer), boss)
    assert accountable_owner(deployment) == boss


def test_withdrawn_offer_cannot_be_accepted(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    offer = _offer(deployment, maya, officer)
    services.ownership_offer_withdraw(offer=offer, actor=officer, reason="wrong person")
    assert _events("ownership.offer_withdrawn")
    with pytest.raises(Conflict):
        _accept(offer, maya)


def test_database_refuses_a_second_open_ownership(deployment) -> None:  # type: ignore[no-untyped-def]
    ownership_row(deployment, user_with_roles(Role.REQUESTER))
    with pytest.raises(IntegrityError), transaction.atomic():
        ownership_row(deployment, user_with_roles(Role.LEGAL))


def test_signed_ownership_cannot_be_edited_or_deleted(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    ownership = make_owner(deployment, maya, offered_by=officer)
    ownership.statement = "something else"
    with pytest.raises(ImmutableRecordError):
        ownership.save()
    with pytest.raises(ImmutableRecordError):
        ownership.delete()
    with pytest.raises(ImmutableRecordError):
        Ownership.objects.filter(pk=ownership.pk).update(statement="x")


# --- Orphaning --------------------------------------------------------------------------


def test_deactivating_the_owner_orphans_at_once_and_the_gate_blocks(
    deployment, officer, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    assert "accountable_owner" in registered_checks()
    maya = user_with_roles(Role.REQUESTER, email="maya@example.com")
    other = DeploymentFactory()
    make_owner(deployment, maya, offered_by=officer)
    make_owner(other, maya, offered_by=officer)
    pending = _offer(DeploymentFactory(), maya, officer)
    assert "no accepted accountable owner" not in failing_reasons(deployment)

    with django_capture_on_commit_callbacks(execute=True):
        user_deactivate(user=maya, actor=officer, reason="left the company")

    assert accountable_owners([deployment.pk, other.pk]) == {deployment.pk: None, other.pk: None}
    assert "no accepted accountable owner" in failing_reasons(deployment)
    orphaned = _events("ownership.orphaned")
    assert {e.deployment_id for e in orphaned} == {str(deployment.pk), str(other.pk)}
    assert all(e.payload["cause"] == OwnershipEndCause.DEACTIVATED for e in orphaned)
    pending.refresh_from_db()
    assert pending.status == OfferStatus.LAPSED
    [message] = mail.outbox
    assert message.to == ["officer@example.com"]
    assert "2 deployment(s) orphaned" in message.subject
    assert str(deployment.pk) in message.body

    # Until a new owner accepts, the gate stays closed.
    laura = user_with_roles(Role.LEGAL)
    offer = _offer(deployment, laura, officer)
    assert "no accepted accountable owner" in failing_reasons(deployment)
    _accept(offer, laura)
    assert "no accepted accountable owner" not in failing_reasons(deployment)
    assert verify_chain().ok


def test_losing_the_qualifying_role_orphans(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    make_owner(deployment, maya, offered_by=officer)
    user_roles_set(user=maya, roles=[Role.REQUESTER, Role.AUDITOR], actor=officer)
    assert accountable_owner(deployment) == maya  # still qualifies: nothing happens
    user_roles_set(user=maya, roles=[Role.AUDITOR], actor=officer)
    assert accountable_owner(deployment) is None
    [event] = _events("ownership.orphaned")
    assert event.payload["cause"] == OwnershipEndCause.ROLE_LOST


def test_selector_never_returns_an_owner_who_no_longer_qualifies(deployment) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    ownership_row(deployment, maya)
    assert accountable_owner(deployment) == maya
    # A change made behind the services' back (e.g. a direct database edit).
    maya.role_grants.all().delete()
    assert accountable_owner(deployment) is None


def test_daily_recheck_orphans_what_the_signal_missed_and_is_idempotent(deployment) -> None:  # type: ignore[no-untyped-def]
    maya = user_with_roles(Role.REQUESTER)
    ownership_row(deployment, maya)
    type(maya).objects.filter(pk=maya.pk).update(is_active=False)
    assert recheck_orphans_task() == 1
    assert recheck_orphans_task() == 0
    [event] = _events("ownership.orphaned")
    assert event.actor_name == "system"
    assert Ownership.objects.get().end_cause == OwnershipEndCause.DEACTIVATED


def test_accountable_owners_is_one_query_for_many_deployments(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    deployments = [DeploymentFactory() for _ in range(5)]
    for d in deployments[:3]:
        ownership_row(d, user_with_roles(Role.REQUESTER))
    with django_assert_num_queries(1):
        owners = accountable_owners([d.pk for d in deployments])
    assert sum(owner is not None for owner in owners.values()) == 3


def test_orphaned_snapshot_lists_live_deployments_nobody_owns(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    from governance.liability.selectors import orphaned_snapshot

    maya = user_with_roles(Role.REQUESTER)
    owned = DeploymentFactory()
    make_owner(owned, user_with_roles(Role.LEGAL), offered_by=officer)
    make_owner(deployment, maya, offered_by=officer)
    DeploymentFactory(status="retired")
    never = DeploymentFactory()
    user_deactivate(user=maya, actor=officer)
    rows = {row["deployment"]: row for row in orphaned_snapshot()}
    assert set(rows) == {str(deployment.pk), str(never.pk)}
    assert rows[str(deployment.pk)]["last_owner"]["id"] == str(maya.pk)
    assert rows[str(deployment.pk)]["end_cause"] == "deactivated"
    assert rows[str(never.pk)]["last_owner"] is None


def test_the_deployment_gate_lists_the_missing_owner(deployment, officer) -> None:  # type: ignore[no-untyped-def]
    from governance.approvals.gate import gate_evaluate

    maya = user_with_roles(Role.REQUESTER)
    assert "no accepted accountable owner" in gate_evaluate(deployment).reasons
    make_owner(deployment, maya, offered_by=officer)
    assert "no accepted accountable owner" not in gate_evaluate(deployment).reasons
    user_deactivate(user=maya, actor=officer)
    result = gate_evaluate(deployment)
    assert not result.allowed
    assert "no accepted accountable owner" in result.reasons
