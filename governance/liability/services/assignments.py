"""Writes to RACI accountability assignments (system defaults and deployment overrides)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from governance.core.errors import Conflict, InvalidInput
from governance.core.services import snapshot, validated_save
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import AISystem, Deployment
from governance.ledger.services import ledger_append
from governance.liability import conf
from governance.liability.choices import Raci
from governance.liability.models import AccountabilityAssignment, Contract, Party

ASSIGNMENT_FIELDS = (
    "system",
    "deployment",
    "party",
    "raci",
    "scope",
    "ai_act_role",
    "contract",
    "effective_from",
    "effective_to",
    "notes",
)


def _check_input(
    *, scope: str, effective_from: Any, effective_to: Any, party: Party, contract: Any
) -> None:
    known = conf.scopes()
    if scope not in known:
        raise InvalidInput(
            f"Unknown scope {scope!r}. Known scopes: {', '.join(known)}.",
            fields={"scope": f"unknown scope {scope!r}"},
        )
    if not isinstance(effective_from, dt.date):
        raise InvalidInput(
            "Give the date the assignment starts.", fields={"effective_from": "required"}
        )
    if effective_to is not None and effective_to < effective_from:
        raise InvalidInput(
            "The end date cannot be before the start date.",
            fields={"effective_to": "before effective_from"},
        )
    if contract is not None and contract.party_id != party.pk:
        raise InvalidInput(
            f"Contract {contract.reference} is with {contract.party}, not {party}.",
            fields={"contract": "belongs to another party"},
        )


def _overlapping_accountable(
    target: Q, scope: str, start: dt.date, end: dt.date | None
) -> AccountabilityAssignment | None:
    overlap = Q(effective_to__isnull=True) | Q(effective_to__gte=start)
    if end is not None:
        overlap &= Q(effective_from__lte=end)
    return (
        AccountabilityAssignment.objects.filter(
            target, overlap, scope=scope, raci=Raci.ACCOUNTABLE, ended_at__isnull=True
        )
        .select_related("party")
        .first()
    )


def assignment_create(
    *,
    actor: Any,
    party: Party,
    raci: str,
    scope: str,
    effective_from: dt.date,
    deployment: Deployment | None = None,
    system: AISystem | None = None,
    ai_act_role: str = "",
    contract: Contract | None = None,
    effective_to: dt.date | None = None,
    notes: str = "",
) -> AccountabilityAssignment:
    """Give a party a RACI role for one scope, on a deployment or as its AI system's default.

    RACI allows one Accountable per scope: a second one whose dates overlap is refused with a
    conflict naming the current one, which must be ended first.
    """
    if (deployment is None) == (system is None):
        raise InvalidInput(
            "Assign to a deployment or to an AI system.", fields={"deployment": "one target"}
        )
    _check_input(
        scope=scope,
        effective_from=effective_from,
        effective_to=effective_to,
        party=party,
        contract=contract,
    )
    with transaction.atomic():
        # Locking the target serialises assignments to it, so the overlap check below holds.
        if deployment is not None:
            deployment = Deployment.objects.select_for_update().get(pk=deployment.pk)
            if deployment.status == DeploymentStatus.RETIRED:
                raise Conflict("A retired deployment's accountability is closed.")
            target = Q(deployment=deployment)
        else:
            system = AISystem.objects.select_for_update().get(pk=system.pk)  # type: ignore[union-attr]
            target = Q(system=system)
        if raci == Raci.ACCOUNTABLE:
            existing = _overlapping_accountable(target, scope, effective_from, effective_to)
            if existing is not None:
                raise Conflict(
                    f"{existing.party} is already accountable for {conf.scope_label(scope)} "
                    f"here (from {existing.effective_from}); end that assignment first.",
                    fields={"raci": "a second accountable party for this scope"},
                )
        assignment = AccountabilityAssignment(
            deployment=deployment,
            system=system,
            party=party,
            raci=raci,
            scope=scope,
            ai_act_role=ai_act_role,
            contract=contract,
            effective_from=effective_from,
            effective_to=effective_to,
            notes=notes,
            created_by=actor,
        )
        validated_save(assignment)
        ledger_append(
            actor=actor,
            action="assignment.created",
            subject=assignment,
            deployment_id=deployment.pk if deployment is not None else None,
            data=snapshot(assignment, ASSIGNMENT_FIELDS),
        )
    return assignment


def assignment_end(
    *, assignment: AccountabilityAssignment, actor: Any, reason: str = ""
) -> AccountabilityAssignment:
    """End an assignment now; it stays on record, and the system default applies again."""
    with transaction.atomic():
        locked = AccountabilityAssignment.objects.select_for_update().get(pk=assignment.pk)
        if locked.ended_at is not None:
            raise Conflict("This assignment has already ended.")
        locked.ended_at = timezone.now()
        locked.ended_by = actor
        locked.end_reason = reason.strip()
        locked.save(update_fields=["ended_at", "ended_by", "end_reason", "updated_at"])
        ledger_append(
            actor=actor,
            action="assignment.ended",
            subject=locked,
            deployment_id=locked.deployment_id,
            data={
                "party": str(locked.party_id),
                "raci": locked.raci,
                "scope": locked.scope,
                "reason": locked.end_reason,
            },
        )
    return locked
