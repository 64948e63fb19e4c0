"""What accountability puts in people's inboxes: offers to their addressees, answers to those
who offered, and orphaned deployments to compliance officers (who are also e-mailed).

Called inside the transaction of the offer, answer or orphaning, so the inbox and the
records agree.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.urls import reverse

from governance.accounts.models import User
from governance.accounts.roles import Role
from governance.liability.models import Ownership, OwnershipOffer
from governance.notifications.models import NotificationKind
from governance.notifications.services import (
    notification_create,
    notifications_create,
    notifications_resolve,
)


def _offer_path(offer: OwnershipOffer) -> str:
    return reverse("liability:offer_detail", args=[offer.pk])


def notify_offered(offer: OwnershipOffer) -> None:
    """The addressee learns that an offer waits for their answer."""
    who = offer.offered_by.display_name if offer.offered_by else "The system"
    notification_create(
        recipient=offer.to_user,
        kind=NotificationKind.OWNERSHIP_OFFER,
        title=f"{who} offers you accountable ownership of {offer.deployment}",
        link=_offer_path(offer),
        subject=offer,
        deployment=offer.deployment_id,
        dedup_key=f"ownership_offer:{offer.pk}",
    )


def notify_offer_answered(offer: OwnershipOffer) -> None:
    """The person who made the offer learns the answer; the addressee's item is settled."""
    settle_offer(offer)
    offerer = offer.offered_by
    if offerer is None or not offerer.is_active or offerer.pk == offer.to_user_id:
        return
    answer = f"{offer.to_user.display_name} {offer.get_status_display().lower()}"
    title = f"{answer} accountable ownership of {offer.deployment}"
    if offer.decision_reason:
        title += f": {offer.decision_reason}"
    notification_create(
        recipient=offerer,
        kind=NotificationKind.OWNERSHIP_OFFER_ANSWERED,
        title=title,
        link=_offer_path(offer),
        subject=offer,
        deployment=offer.deployment_id,
        dedup_key=f"ownership_offer:{offer.pk}:answer",
    )


def settle_offer(offer: OwnershipOffer) -> None:
    """The offer is no longer pending (answered, withdrawn, superseded, lapsed)."""
    notifications_resolve(subject=offer, kinds=[NotificationKind.OWNERSHIP_OFFER])


def notify_orphaned(ownerships: Sequence[Ownership], *, former_owner: str, words: str) -> None:
    """Compliance officers learn which deployments have nobody accountable any more."""
    officers = list(
        User.objects.filter(is_active=True, role_grants__role=Role.COMPLIANCE_OFFICER).distinct()
    )
    for ownership in ownerships:
        notifications_create(
            recipients=officers,
            kind=NotificationKind.OWNERSHIP_ORPHANED,
            title=(
                f"{ownership.deployment} has no accountable owner: {former_owner} is no longer "
                f"accountable because {words}"
            ),
            link=reverse("liability:deployment_accountability", args=[ownership.deployment_id]),
            subject=ownership,
            deployment=ownership.deployment_id,
            dedup_key=f"ownership:{ownership.pk}:orphaned",
        )
