"""Accountable ownership: offers, signed acceptances, declines, withdrawals and orphaning.

Lock order, the same in every writer here and in the accounts services that deactivate
people or remove roles: the user rows involved (by primary key), then the deployment, then
offers and ownerships, then the ledger head (taken by `ledger_append`, last). Keeping one
order means a deactivation racing a transfer queues instead of deadlocking.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest
from django.utils import timezone

from governance.accounts.models import RoleGrant, User
from governance.accounts.services import reauthenticate
from governance.core.canonical import canonical_sha256, format_timestamp
from governance.core.errors import Conflict, InvalidInput, PermissionRefused
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment
from governance.ledger.services import ledger_append, ledger_write_lock
from governance.liability import conf
from governance.liability.choices import ALLOWED_OFFER_TRANSITIONS, OfferStatus, OwnershipEndCause
from governance.liability.inbox import (
    notify_offer_answered,
    notify_offered,
    notify_orphaned,
    settle_offer,
)
from governance.liability.models import Ownership, OwnershipOffer
from governance.liability.notify import notify_compliance_of_orphans
from governance.liability.signals import accountable_owner_changed

SIGNATURE_MEANING = "responsibility"
RETRIES = 3

END_CAUSE_WORDS: dict[str, str] = {
    OwnershipEndCause.TRANSFERRED: "accountability transferred to a new owner",
    OwnershipEndCause.DEACTIVATED: "the owner's account was deactivated",
    OwnershipEndCause.ROLE_LOST: "the owner no longer holds a role that may carry accountability",
}


def default_statement(deployment: Deployment) -> str:
    return (
        f"I accept accountability for {deployment}: I answer for its operation, its outcomes "
        "and its compliance until I transfer this accountability or it is ended."
    )


def user_qualifies(user: User) -> bool:
    """Active and holding at least one role that may carry accountability (read fresh)."""
    if not user.is_active:
        return False
    roles = set(RoleGrant.objects.filter(user=user).values_list("role", flat=True))
    return bool(roles & conf.qualifying_roles())


def _lock_users(*user_ids: Any) -> dict[Any, User]:
    ids = sorted({uid for uid in user_ids if uid is not None}, key=str)
    return {u.pk: u for u in User.objects.select_for_update().filter(pk__in=ids).order_by("pk")}


def _decide(offer: OwnershipOffer, status: str, *, actor: Any, reason: str = "") -> None:
    if status not in ALLOWED_OFFER_TRANSITIONS.get(offer.status, frozenset()):
        raise Conflict(
            f"This offer is already {offer.get_status_display().lower()}.",
            fields={"status": offer.status},
        )
    offer.status = status
    offer.decided_at = timezone.now()
    offer.decided_by = actor if getattr(actor, "is_authenticated", False) else None
    offer.decision_reason = reason
    offer.save(
        update_fields=["status", "decided_at", "decided_by", "decision_reason", "updated_at"]
    )


def _offer_event(offer: OwnershipOffer, action: str, actor: Any, **extra: Any) -> None:
    ledger_append(
        actor=actor,
        action=action,
        subject=offer,
        deployment_id=offer.deployment_id,
        data={
            "offer": str(offer.pk),
            "to_user": str(offer.to_user_id),
            "offered_by": str(offer.offered_by_id or ""),
            "status": offer.status,
            **extra,
        },
    )


# --- Offers -----------------------------------------------------------------------------


def ownership_offer_create(
    *, deployment: Deployment, to_user: User, reason: str, actor: Any
) -> OwnershipOffer:
    """Offer accountable ownership of a deployment to a person, who must accept it to own it.

    Until they accept, the current owner (if any) stays accountable.
    """
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why ownership is offered.", fields={"reason": "required"})
    if not user_qualifies(to_user):
        raise InvalidInput(
            f"{to_user.display_name} cannot carry accountability: the account must be active "
            f"and hold one of these roles: {', '.join(sorted(conf.qualifying_roles()))}.",
            fields={"to_user": "not active or no qualifying role"},
        )
    with transaction.atomic():
        locked = Deployment.objects.select_for_update().get(pk=deployment.pk)
        if locked.status == DeploymentStatus.RETIRED:
            raise Conflict("A retired deployment needs no accountable owner.")
        current = Ownership.objects.filter(deployment=locked, ended_at__isnull=True).first()
        if current is not None and current.user_id == to_user.pk:
            raise Conflict(
                f"{to_user.display_name} is already the accountable owner of this deployment.",
                fields={"to_user": "already the accountable owner"},
            )
        pending = OwnershipOffer.objects.filter(
            deployment=locked, to_user=to_user, status=OfferStatus.PENDING
        ).exists()
        if pending:
            raise Conflict(
                f"{to_user.display_name} already has a pending offer for this deployment.",
                fields={"to_user": "offer already pending"},
            )
        offer = OwnershipOffer.objects.create(
            deployment=locked, to_user=to_user, offered_by=actor, reason=reason
        )
        _offer_event(
            offer,
            "ownership.offered",
            actor,
            reason=reason,
            current_owner=str(current.user_id) if current else None,
        )
        notify_offered(offer)
    return offer


def offer_check_recipient(offer: OwnershipOffer, actor: Any) -> None:
    """Only the offered person may answer an offer (403 for anyone else)."""
    if offer.to_user_id != getattr(actor, "pk", None):
        raise PermissionRefused(
            f"This offer is addressed to {offer.to_user.display_name}; only they can answer it."
        )


def ownership_offer_decline(*, offer: OwnershipOffer, actor: User, reason: str) -> OwnershipOffer:
    """The offered person declines, saying why; the current owner stays accountable."""
    offer_check_recipient(offer, actor)
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput("Say why you decline.", fields={"reason": "required"})
    with transaction.atomic():
        _lock_users(actor.pk)
        locked = OwnershipOffer.objects.select_for_update().get(pk=offer.pk)
        _decide(locked, OfferStatus.DECLINED, actor=actor, reason=reason)
        _offer_event(locked, "ownership.declined", actor, reason=reason)
        notify_offer_answered(locked)
    return locked


def ownership_offer_withdraw(
    *, offer: OwnershipOffer, actor: Any, reason: str = ""
) -> OwnershipOffer:
    """Take back a pending offer before it is answered."""
    with transaction.atomic():
        _lock_users(offer.to_user_id)
        locked = OwnershipOffer.objects.select_for_update().get(pk=offer.pk)
        _decide(locked, OfferStatus.WITHDRAWN, actor=actor, reason=(reason or "").strip())
        _offer_event(locked, "ownership.offer_withdrawn", actor, reason=locked.decision_reason)
        settle_offer(locked)
    return locked


class _OwnerChanged(Exception):
    """The owner read before locking changed before the lock was granted; try again."""


def ownership_offer_accept(
    *,
    offer: OwnershipOffer,
    actor: User,
    statement: str,
    request: HttpRequest,
    password: str = "",
    reauth: Any = None,
) -> Ownership:
    """Accept an offer with a re-authenticated statement; the acceptor becomes the owner.

    The previous owner's ownership ends (a transfer) and every other pending offer for the
    deployment is superseded, all in one transaction that also ledgers the signature and
    tells other rooms (`accountable_owner_changed`). The acceptor re-enters their password,
    or comes back from a fresh login at the organisation's provider with `reauth`; the
    ownership records which.
    """
    offer_check_recipient(offer, actor)
    statement = (statement or "").strip()
    if not statement:
        raise InvalidInput("Write the statement you sign.", fields={"statement": "required"})
    # Before the transaction: a refused password is ledgered on its own and must stay so.
    authenticated_by = reauthenticate(
        user=actor,
        password=password,
        request=request,
        purpose="ownership_accept",
        subject=offer,
        deployment_id=offer.deployment_id,
        proof=reauth,
    )
    for _attempt in range(RETRIES):
        owner_id = (
            Ownership.objects.filter(deployment_id=offer.deployment_id, ended_at__isnull=True)
            .values_list("user_id", flat=True)
            .first()
        )
        try:
            return _accept(offer, actor, statement, owner_id, authenticated_by)
        except _OwnerChanged:
            continue
    raise Conflict("The accountable owner changed while you were signing; please try again.")


def _accept(
    offer: OwnershipOffer, actor: User, statement: str, owner_id: Any, authenticated_by: str
) -> Ownership:
    with transaction.atomic():
        ledger_write_lock()
        users = _lock_users(actor.pk, owner_id)
        deployment = (
            Deployment.objects.select_for_update()
            .select_related("model_version__system")
            .get(pk=offer.deployment_id)
        )
        current = (
            Ownership.objects.select_for_update()
            .filter(deployment=deployment, ended_at__isnull=True)
            .first()
        )
        if (current.user_id if current else None) != owner_id:
            raise _OwnerChanged
        pending = list(
            OwnershipOffer.objects.select_for_update()
            .filter(Q(pk=offer.pk) | Q(deployment=deployment, status=OfferStatus.PENDING))
            .order_by("pk")
        )
        locked = next(o for o in pending if o.pk == offer.pk)
        if locked.status != OfferStatus.PENDING:
            raise Conflict(
                f"This offer is {locked.get_status_display().lower()}"
                + (f": {locked.decision_reason}" if locked.decision_reason else "."),
                fields={"status": locked.status},
            )
        acceptor = users[actor.pk]
        if not user_qualifies(acceptor):
            raise PermissionRefused(
                "You no longer hold a role that may carry accountability for a deployment."
            )
        if deployment.status == DeploymentStatus.RETIRED:
            raise Conflict("A retired deployment needs no accountable owner.")

        now = timezone.now()
        previous = users.get(owner_id) if current else None
        if current is not None:
            current.ended_at = now
            current.end_cause = OwnershipEndCause.TRANSFERRED
            current.ended_by = acceptor
            current.save(update_fields=["ended_at", "end_cause", "ended_by", "updated_at"])
        ownership = Ownership(
            deployment=deployment,
            user=acceptor,
            offer=locked,
            statement=statement,
            meaning=SIGNATURE_MEANING,
            printed_name=acceptor.display_name,
            accepted_at=now,
            fingerprint=deployment.fingerprint,
            authenticated_by=authenticated_by,
        )
        ownership.signature_hash = signature_hash(ownership)
        try:
            with transaction.atomic():
                ownership.save()
        except IntegrityError as exc:
            # The partial unique index is the last word on "one owner per deployment".
            raise Conflict("This deployment already has an accountable owner.") from exc
        _decide(locked, OfferStatus.ACCEPTED, actor=acceptor)
        superseded = [o for o in pending if o.pk != locked.pk]
        for other in superseded:
            _decide(
                other,
                OfferStatus.SUPERSEDED,
                actor=acceptor,
                reason=f"{acceptor.display_name} accepted accountability on "
                f"{format_timestamp(now)}.",
            )

        ledger_append(
            actor=acceptor,
            action="ownership.accepted",
            subject=ownership,
            deployment_id=deployment.pk,
            data={
                "offer": str(locked.pk),
                "offered_by": str(locked.offered_by_id or ""),
                "offer_reason": locked.reason,
                "user": str(acceptor.pk),
                "printed_name": ownership.printed_name,
                "meaning": ownership.meaning,
                "statement": statement,
                "accepted_at": format_timestamp(now),
                "fingerprint": ownership.fingerprint,
                "signature_hash": ownership.signature_hash,
                "authenticated_by": authenticated_by,
                "previous_owner": str(previous.pk) if previous else None,
            },
        )
        for other in superseded:
            _offer_event(other, "ownership.offer_superseded", acceptor, by_offer=str(locked.pk))
            settle_offer(other)
        notify_offer_answered(locked)
        if current is not None:
            ledger_append(
                actor=acceptor,
                action="ownership.transferred",
                subject=ownership,
                deployment_id=deployment.pk,
                data={
                    "from_user": str(current.user_id),
                    "from_ownership": str(current.pk),
                    "to_user": str(acceptor.pk),
                    "to_ownership": str(ownership.pk),
                    "offered_by": str(locked.offered_by_id or ""),
                    "reason": locked.reason,
                },
            )
        accountable_owner_changed.send(
            sender=Ownership,
            deployment=deployment,
            previous=previous,
            current=acceptor,
            actor=acceptor,
            cause=(
                f"accountability transferred from {previous.display_name} to "
                f"{acceptor.display_name}"
                if previous
                else f"{acceptor.display_name} accepted accountability"
            ),
        )
    return ownership


def signature_hash(ownership: Ownership) -> str:
    """SHA-256 over what was signed: who, when, what it means, the words, and the deployment."""
    return canonical_sha256(
        {
            "deployment": str(ownership.deployment_id),
            "fingerprint": ownership.fingerprint,
            "offer": str(ownership.offer_id),
            "user": str(ownership.user_id),
            "printed_name": ownership.printed_name,
            "meaning": ownership.meaning,
            "statement": ownership.statement,
            "accepted_at": format_timestamp(ownership.accepted_at),
        }
    )


# --- Orphaning --------------------------------------------------------------------------


def ownerships_orphan_for_user(*, user: User, actor: Any, cause: str) -> list[Ownership]:
    """End every ownership the person holds, leaving those deployments orphaned, at once.

    Also lapses the offers waiting for them. Compliance officers are emailed after commit.
    Safe to call again: ended ownerships are not touched twice.
    """
    with transaction.atomic():
        ledger_write_lock()
        _lock_users(user.pk)
        open_ownerships = list(
            Ownership.objects.select_for_update()
            .filter(user=user, ended_at__isnull=True)
            .select_related("deployment__model_version__system")
            .order_by("pk")
        )
        offers = list(
            OwnershipOffer.objects.select_for_update()
            .filter(to_user=user, status=OfferStatus.PENDING)
            .order_by("pk")
        )
        if not open_ownerships and not offers:
            return []
        now = timezone.now()
        words = END_CAUSE_WORDS.get(cause, cause)
        for ownership in open_ownerships:
            ownership.ended_at = now
            ownership.end_cause = cause
            ownership.ended_by = actor if getattr(actor, "is_authenticated", False) else None
            ownership.save(update_fields=["ended_at", "end_cause", "ended_by", "updated_at"])
        for offer in offers:
            _decide(offer, OfferStatus.LAPSED, actor=actor, reason=words)
        for ownership in open_ownerships:
            ledger_append(
                actor=actor,
                action="ownership.orphaned",
                subject=ownership,
                deployment_id=ownership.deployment_id,
                data={"user": str(user.pk), "cause": cause, "explanation": words},
            )
        for offer in offers:
            _offer_event(offer, "ownership.offer_lapsed", actor, reason=words)
            settle_offer(offer)
        notify_orphaned(open_ownerships, former_owner=user.display_name, words=words)
        for ownership in open_ownerships:
            accountable_owner_changed.send(
                sender=Ownership,
                deployment=ownership.deployment,
                previous=user,
                current=None,
                actor=actor,
                cause=f"orphaned: {words}",
            )
        if open_ownerships:
            deployment_ids = [o.deployment_id for o in open_ownerships]
            transaction.on_commit(
                lambda: notify_compliance_of_orphans(
                    deployment_ids=deployment_ids, former_owner=user.display_name, cause=words
                )
            )
    return open_ownerships


def _unqualified_users() -> list[Any]:
    qualifies = Exists(
        RoleGrant.objects.filter(user=OuterRef("pk"), role__in=conf.qualifying_roles())
    )
    holders = Q(Exists(Ownership.objects.filter(user=OuterRef("pk"), ended_at__isnull=True))) | Q(
        Exists(OwnershipOffer.objects.filter(to_user=OuterRef("pk"), status=OfferStatus.PENDING))
    )
    return list(
        User.objects.filter(holders)
        .filter(Q(is_active=False) | ~qualifies)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def ownership_orphans_recheck(*, actor: Any = None) -> int:
    """Find owners who are inactive or lost their qualifying role, and orphan their deployments.

    The daily beat job calls this as a safety net behind the immediate reaction to
    `user_access_reduced`. Returns how many ownerships it ended; a second run ends none.
    """
    ended = 0
    for user_id in _unqualified_users():
        user = User.objects.get(pk=user_id)
        cause = OwnershipEndCause.DEACTIVATED if not user.is_active else OwnershipEndCause.ROLE_LOST
        ended += len(ownerships_orphan_for_user(user=user, actor=actor, cause=cause))
    return ended


def offer_orphans_to(*, ownerships: Iterable[Ownership], successor: User, actor: Any) -> int:
    """Offer the deployments a deactivated owner left to the successor chosen with the
    deactivation. Ownership needs the successor's signed acceptance, so the deployments stay
    orphaned (and on the overview) until they accept; none are offered to a successor who
    cannot carry accountability. Returns how many offers were made."""
    if not user_qualifies(successor):
        return 0
    made = 0
    for ownership in ownerships:
        pending = OwnershipOffer.objects.filter(
            deployment_id=ownership.deployment_id, to_user=successor, status=OfferStatus.PENDING
        ).exists()
        if pending or ownership.deployment.status == DeploymentStatus.RETIRED:
            continue
        ownership_offer_create(
            deployment=ownership.deployment,
            to_user=successor,
            reason=f"Handed over from {ownership.user.display_name}, whose account was "
            "deactivated.",
            actor=actor,
        )
        made += 1
    return made


def react_to_access_reduced(
    *, user: User, actor: Any, deactivated: bool, removed_roles: Iterable[str] = ()
) -> list[Ownership]:
    """React to `user_access_reduced`: orphan the person's deployments if they no longer qualify."""
    if deactivated or not user.is_active:
        cause = OwnershipEndCause.DEACTIVATED
    elif not user_qualifies(user):
        cause = OwnershipEndCause.ROLE_LOST
    else:
        return []
    return ownerships_orphan_for_user(user=user, actor=actor, cause=cause)
