"""PostgreSQL: the one-accountable-owner invariant under real concurrency."""

from __future__ import annotations

import multiprocessing

import pytest
from django.db import connection

from governance.accounts.roles import Role
from governance.ledger.models import LedgerEvent
from governance.ledger.verify import verify_chain
from governance.liability import services
from governance.liability.choices import OfferStatus
from governance.liability.models import Ownership, OwnershipOffer
from governance.liability.selectors import accountable_owner
from tests.factories import DeploymentFactory, user_with_roles
from tests.factories.accounts import PASSWORD
from tests.factories.liability import make_owner
from tests.governance.liability.workers import accept_offer

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _race(offers: list[OwnershipOffer]) -> list[tuple[str, str, str, str]]:
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(offers))
    results = context.Queue()
    name = connection.settings_dict["NAME"]
    processes = [
        context.Process(target=accept_offer, args=(name, str(o.pk), PASSWORD, barrier, results))
        for o in offers
    ]
    for process in processes:
        process.start()
    outcomes = [results.get(timeout=120) for _ in processes]
    for process in processes:
        process.join(timeout=120)
    assert all(p.exitcode == 0 for p in processes), [p.exitcode for p in processes]
    return outcomes


@pytest.mark.parametrize("with_previous_owner", [False, True])
def test_two_offers_accepted_at_the_same_moment_leave_exactly_one_owner(
    with_previous_owner: bool,
) -> None:
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    deployment = DeploymentFactory()
    previous = user_with_roles(Role.EXECUTIVE) if with_previous_owner else None
    if previous is not None:
        make_owner(deployment, previous, offered_by=officer)
    candidates = [user_with_roles(Role.REQUESTER), user_with_roles(Role.LEGAL)]
    offers = [
        services.ownership_offer_create(
            deployment=deployment, to_user=person, reason="Takes over", actor=officer
        )
        for person in candidates
    ]

    outcomes = _race(offers)

    accepted = [o for o in outcomes if o[1] == "accepted"]
    refused = [o for o in outcomes if o[1] == "refused"]
    assert len(accepted) == 1 and len(refused) == 1, outcomes
    assert refused[0][2] == "Conflict" and "superseded" in refused[0][3]
    # Exactly one open ownership, held by the winner; the other offer is superseded.
    [open_ownership] = Ownership.objects.filter(deployment=deployment, ended_at__isnull=True)
    assert str(open_ownership.pk) == accepted[0][2]
    winner_offer = OwnershipOffer.objects.get(pk=accepted[0][0])
    loser_offer = OwnershipOffer.objects.get(pk=refused[0][0])
    assert winner_offer.status == OfferStatus.ACCEPTED
    assert loser_offer.status == OfferStatus.SUPERSEDED
    assert accountable_owner(deployment) == winner_offer.to_user
    # The history tells the same story, once, in a chain that verifies.
    events = LedgerEvent.objects.filter(deployment_id=str(deployment.pk))
    expected_accepted = 2 if with_previous_owner else 1
    assert events.filter(action="ownership.accepted").count() == expected_accepted
    assert events.filter(action="ownership.offer_superseded").count() == 1
    transfers = list(events.filter(action="ownership.transferred"))
    if with_previous_owner:
        assert previous is not None
        [transfer] = transfers
        assert transfer.payload["from_user"] == str(previous.pk)
        assert transfer.payload["to_user"] == str(winner_offer.to_user_id)
        assert Ownership.objects.filter(deployment=deployment).count() == 2
    else:
        assert transfers == []
    assert verify_chain().ok
