"""Approval requests: opening one, and the ways it closes other than by signatures."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from governance.approvals import context
from governance.approvals.dossier import build_dossier, dossier_hash
from governance.approvals.gate import REAPPROVAL_STATES, gate_verdict
from governance.approvals.gate_checks import GateFacts, check_page, registered_checks
from governance.approvals.models import (
    ALLOWED_TRANSITIONS,
    OPEN_STATUSES,
    ApprovalPolicy,
    ApprovalRequest,
    RequestStatus,
)
from governance.approvals.services.inbox import (
    notify_stage_signers,
    settle_signature_notifications,
)
from governance.core.errors import Conflict, PermissionRefused, TransitionNotAllowed
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment
from governance.inventory.services import deployment_transition
from governance.ledger.services import ledger_append, ledger_write_lock


def _move(request: ApprovalRequest, to_status: str) -> str:
    """Check the request's state machine and set the new status; returns the old one."""
    from_status = request.status
    if to_status not in ALLOWED_TRANSITIONS.get(from_status, frozenset()):
        raise TransitionNotAllowed(
            f"The approval request is {request.get_status_display().lower()}; "
            f"it cannot become {to_status.replace('_', ' ')}.",
            fields={"status": from_status},
        )
    request.status = to_status
    return from_status


def _return_deployment_to_draft(deployment: Deployment, actor: Any, reason: str) -> None:
    if deployment.status in (DeploymentStatus.IN_REVIEW, DeploymentStatus.APPROVED):
        deployment_transition(
            deployment=deployment,
            to_status=DeploymentStatus.DRAFT,
            actor=actor,
            reason=reason,
            workflow=True,
        )


@dataclass(frozen=True)
class Blocker:
    """Something the gate requires that is missing, and the page where it is put right."""

    item: str
    message: str
    url: str = ""

    def __str__(self) -> str:
        return self.message


# The assessment and the owner are worded here (they also go into the dossier); every other
# registered gate check speaks for itself.
_WORDED_HERE = frozenset({"risk_assessment", "accountable_owner"})


def _page(check: str, deployment: Deployment) -> str:
    name = check_page(check)
    try:
        return reverse(name, kwargs={"pk": deployment.pk}) if name else ""
    except NoReverseMatch:
        return ""


def request_blockers(
    deployment: Deployment, facts: GateFacts | None = None
) -> tuple[list[Blocker], Any, Any]:
    """What stands between a deployment and an approval request, in plain words.

    Everything the gate requires must be there first: signatures on a dossier that cannot
    open the gate would be a dead end (the evidence added later changes the dossier).
    """
    facts = facts if facts is not None else GateFacts(deployment)
    assessment = context.current_assessment(deployment, facts)
    owner = context.accountable_owner(deployment, facts)
    risk_page = _page("risk_assessment", deployment)
    problems = []
    if assessment is None:
        problems.append(Blocker("assessment", "It needs a submitted risk assessment.", risk_page))
    elif assessment.is_stale:
        problems.append(
            Blocker(
                "assessment",
                "Its risk assessment is stale: the configuration changed since.",
                risk_page,
            )
        )
    elif assessment.tier == "blocked":
        problems.append(
            Blocker(
                "assessment",
                "Its risk tier is blocked (prohibited practice): it cannot be approved.",
                risk_page,
            )
        )
    if owner is None:
        problems.append(
            Blocker(
                "accountable_owner",
                "It needs an accepted accountable owner.",
                _page("accountable_owner", deployment),
            )
        )
    for name, check in sorted(registered_checks().items()):
        if name in _WORDED_HERE:
            continue
        for reason in check(deployment, facts):
            message = f"The gate requires it: {reason}."
            problems.append(Blocker(name, message, _page(name, deployment)))
    return problems, assessment, owner


def _refuse_unless_requestable(
    locked: Deployment, facts: GateFacts, now: dt.datetime
) -> tuple[ApprovalRequest, str] | None:
    """A draft, or a deployment past review whose approval no longer holds, may be submitted.

    Returns the approval that no longer holds (to be superseded) and why, if there is one.
    """
    if locked.status == DeploymentStatus.DRAFT:
        return None
    if locked.status not in REAPPROVAL_STATES:
        raise Conflict(
            f"A deployment that is {locked.get_status_display().lower()} cannot be submitted "
            "for approval; a draft can, and so can one whose approval no longer holds.",
            fields={"status": locked.status},
        )
    latest = (
        ApprovalRequest.objects.select_for_update()
        .filter(deployment=locked)
        .order_by("-created_at")
        .first()
    )
    verdict = gate_verdict(locked, latest=latest, facts=facts, now=now)
    if verdict.lapse is None:
        state = "a request is pending" if latest and latest.status == "pending" else "it holds"
        raise Conflict(
            f"The deployment is {locked.get_status_display().lower()} and its approval still "
            f"stands ({state}); a new request is needed only once it no longer holds.",
            fields={"status": locked.status},
        )
    if latest is not None and latest.status == RequestStatus.APPROVED:
        return latest, verdict.lapse
    return None


def _invalidate(request: ApprovalRequest, *, cause: str, actor: Any) -> None:
    """Close one open request as invalidated, ledgered; nothing on it waits any more."""
    before = _move(request, RequestStatus.INVALIDATED)
    request.closed_reason = cause
    request.save(update_fields=["status", "closed_reason", "updated_at"])
    ledger_append(
        actor=actor,
        action="approval_request.invalidated",
        subject=request,
        deployment_id=request.deployment_id,
        data={"cause": cause, "was": before, "dossier_hash": request.dossier_hash},
    )
    settle_signature_notifications(request)


def approval_request_create(
    *, deployment: Deployment, actor: Any, reason: str = ""
) -> ApprovalRequest:
    """Open an approval request for the deployment's current dossier and put it in review."""
    with transaction.atomic():
        ledger_write_lock()
        locked = (
            Deployment.objects.select_for_update()
            .select_related("model_version__system")
            .get(pk=deployment.pk)
        )
        # Both reads share one set of facts: nothing is written between them.
        facts = GateFacts(locked)
        lapsed = _refuse_unless_requestable(locked, facts, timezone.now())
        problems, assessment, owner = request_blockers(locked, facts)
        if problems:
            raise Conflict(
                " ".join(p.message for p in problems),
                fields={
                    "deployment": [p.message for p in problems],
                    "missing": [p.item for p in problems],
                },
            )
        policy = ApprovalPolicy.objects.filter(tier=assessment.tier, is_current=True).first()
        if policy is None:
            raise Conflict(f"No approval policy is configured for tier {assessment.tier}.")
        if lapsed is not None:
            # Only one request is open at a time: the approval that no longer holds closes.
            superseded, why = lapsed
            _invalidate(superseded, cause=f"superseded by a new request: {why}", actor=actor)
        dossier = build_dossier(locked, assessment=assessment, owner=owner)
        request = ApprovalRequest.objects.create(
            deployment=locked,
            policy=policy,
            assessment_id=assessment.pk,
            tier=assessment.tier,
            dossier=dossier,
            dossier_hash=dossier_hash(dossier),
            stage_started_at=timezone.now(),
            requested_by=actor,
            reason=reason,
        )
        # A live or suspended deployment keeps its status while it is reviewed again; its
        # gate stays closed until the new approval is complete.
        if locked.status in (DeploymentStatus.DRAFT, DeploymentStatus.APPROVED):
            deployment_transition(
                deployment=locked,
                to_status=DeploymentStatus.IN_REVIEW,
                actor=actor,
                reason="approval requested",
                workflow=True,
            )
        ledger_append(
            actor=actor,
            action="approval_request.created",
            subject=request,
            deployment_id=locked.pk,
            data={
                "policy": str(policy.pk),
                "policy_version": policy.version,
                "tier": request.tier,
                "dossier": dossier,
                "dossier_hash": request.dossier_hash,
                "reason": reason,
            },
        )
        stage = request.policy.stages.filter(order=request.current_stage).first()
        if stage is not None:
            notify_stage_signers(request, stage)
    return request


def approval_request_withdraw(
    *, request: ApprovalRequest, actor: Any, reason: str = ""
) -> ApprovalRequest:
    from governance.accounts.permissions import Perm, can

    with transaction.atomic():
        ledger_write_lock()
        locked = ApprovalRequest.objects.select_for_update().get(pk=request.pk)
        if locked.requested_by_id != actor.pk and not can(actor, Perm.POLICY_EDIT):
            raise PermissionRefused("Only the person who asked for approval can withdraw it.")
        _move(locked, RequestStatus.WITHDRAWN)
        locked.closed_reason = reason or "withdrawn by the requester"
        locked.decided_at = timezone.now()
        locked.save(update_fields=["status", "closed_reason", "decided_at", "updated_at"])
        _return_deployment_to_draft(locked.deployment, actor, "approval request withdrawn")
        ledger_append(
            actor=actor,
            action="approval_request.withdrawn",
            subject=locked,
            deployment_id=locked.deployment_id,
            data={"reason": locked.closed_reason},
        )
        settle_signature_notifications(locked)
    return locked


def approvals_invalidate(*, deployment: Deployment, cause: str, actor: Any) -> int:
    """Invalidate the deployment's pending and approved requests; it needs approval again.

    Called inside the transaction of the change that caused it (a material change, a higher
    risk tier, a new accountable owner), so the cause and its consequence commit together.
    """
    with transaction.atomic():
        ledger_write_lock()
        requests = list(
            ApprovalRequest.objects.select_for_update().filter(
                deployment=deployment, status__in=OPEN_STATUSES
            )
        )
        for request in requests:
            _invalidate(request, cause=cause, actor=actor)
        if requests:
            fresh = Deployment.objects.select_for_update().get(pk=deployment.pk)
            _return_deployment_to_draft(fresh, actor, f"approval invalidated: {cause}")
    return len(requests)


def approvals_expire_due(*, now: dt.datetime | None = None) -> int:
    """Expire approvals whose re-certification date has passed (beat job; safe to repeat)."""
    now = now or timezone.now()
    due = list(
        ApprovalRequest.objects.filter(
            status=RequestStatus.APPROVED, expires_at__lte=now
        ).values_list("pk", flat=True)
    )
    expired = 0
    for pk in due:
        with transaction.atomic():
            ledger_write_lock()
            request = ApprovalRequest.objects.select_for_update().get(pk=pk)
            if request.status != RequestStatus.APPROVED:
                continue  # another run got there first
            _move(request, RequestStatus.EXPIRED)
            request.closed_reason = "re-certification date passed"
            request.save(update_fields=["status", "closed_reason", "updated_at"])
            deployment = Deployment.objects.select_for_update().get(pk=request.deployment_id)
            if deployment.status == DeploymentStatus.APPROVED:
                _return_deployment_to_draft(deployment, None, "approval expired")
            ledger_append(
                actor=None,
                action="approval_request.expired",
                subject=request,
                deployment_id=request.deployment_id,
                data={"expires_at": request.expires_at},
            )
            expired += 1
    return expired
