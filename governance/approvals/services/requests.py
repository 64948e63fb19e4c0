"""Approval requests: opening one, and the ways it closes other than by signatures."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from governance.approvals import context
from governance.approvals.dossier import build_dossier, dossier_hash
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


def request_blockers(deployment: Deployment) -> tuple[list[str], Any, Any]:
    """What stands between a deployment and an approval request, in plain words."""
    assessment = context.current_assessment(deployment)
    owner = context.accountable_owner(deployment)
    problems = []
    if assessment is None:
        problems.append("It needs a submitted risk assessment.")
    elif assessment.is_stale:
        problems.append("Its risk assessment is stale: the configuration changed since.")
    elif assessment.tier == "blocked":
        problems.append("Its risk tier is blocked (prohibited practice): it cannot be approved.")
    if owner is None:
        problems.append("It needs an accepted accountable owner.")
    return problems, assessment, owner


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
        if locked.status != DeploymentStatus.DRAFT:
            raise Conflict(
                f"Only a draft deployment can be submitted for approval; this one is "
                f"{locked.get_status_display().lower()}.",
                fields={"status": locked.status},
            )
        problems, assessment, owner = request_blockers(locked)
        if problems:
            raise Conflict(" ".join(problems), fields={"deployment": problems})
        policy = ApprovalPolicy.objects.filter(tier=assessment.tier, is_current=True).first()
        if policy is None:
            raise Conflict(f"No approval policy is configured for tier {assessment.tier}.")
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
            before = _move(request, RequestStatus.INVALIDATED)
            request.closed_reason = cause
            request.save(update_fields=["status", "closed_reason", "updated_at"])
            ledger_append(
                actor=actor,
                action="approval_request.invalidated",
                subject=request,
                deployment_id=deployment.pk,
                data={"cause": cause, "was": before, "dossier_hash": request.dossier_hash},
            )
            settle_signature_notifications(request)
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
