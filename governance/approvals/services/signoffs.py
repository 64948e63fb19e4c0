"""Sign-offs: re-authenticated, segregated, bound to the dossier, counted exactly once."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone

from governance.accounts.roles import Role
from governance.accounts.services import reauthenticate
from governance.approvals.models import (
    ApprovalRequest,
    Decision,
    PolicyStage,
    RequestStatus,
    SignOff,
    StageCompletion,
)
from governance.approvals.services.inbox import (
    notify_stage_signers,
    settle_signature_notifications,
)
from governance.approvals.services.requests import _move, _return_deployment_to_draft
from governance.core.canonical import canonical_sha256
from governance.core.dates import add_months
from governance.core.errors import Conflict, DomainError, InvalidInput, PermissionRefused
from governance.inventory.choices import DeploymentStatus
from governance.inventory.services import deployment_transition
from governance.ledger.services import ledger_append, ledger_write_lock

VERBS = {
    Decision.APPROVE: "I approve",
    Decision.REJECT: "I reject",
    Decision.REQUEST_CHANGES: "I request changes to",
}


def expected_meaning(request: ApprovalRequest, stage: PolicyStage, decision: str) -> str:
    """The statement a signer reads and signs (21 CFR 11.50: the meaning of the signature)."""
    deployment = request.deployment
    version = deployment.model_version
    role = Role(stage.required_role).label
    return (
        f"{VERBS[Decision(decision)]} the deployment of {version.system.name} "
        f"{version.version_label} to {deployment.environment} "
        f"(dossier {request.dossier_hash[:12]}) as {role}."
    )


def current_stage(request: ApprovalRequest) -> PolicyStage | None:
    return next((s for s in request.policy.stages.all() if s.order == request.current_stage), None)


def signing_refusal(
    request: ApprovalRequest, stage: PolicyStage | None, user: Any, signer_ids: set[Any]
) -> DomainError | None:
    """Why this person may not sign now, or None. Shown on the page before anyone tries."""
    if request.status != RequestStatus.PENDING or stage is None:
        return Conflict(
            f"The request is {request.get_status_display().lower()}; it is not awaiting "
            "signatures.",
            fields={"status": request.status},
        )
    if user.pk == request.requested_by_id:
        return PermissionRefused(
            "You asked for this approval; someone independent of the request must sign it.",
            fields={"signer": "requester"},
        )
    version = request.deployment.model_version
    if user.pk == version.created_by_id:
        return PermissionRefused(
            f"You registered model version {version.version_label}; its author cannot sign "
            "for its deployment.",
            fields={"signer": "model author"},
        )
    if user.pk in signer_ids:
        return PermissionRefused(
            "You have already signed this request; one person signs at most once.",
            fields={"signer": "already signed"},
        )
    if stage.required_role not in user.roles:
        return PermissionRefused(
            f"The “{stage.name}” stage needs a {Role(stage.required_role).label.lower()}; "
            "you do not hold that role.",
            fields={"signer": "wrong role"},
        )
    return None


def _complete_stage_or_request(request: ApprovalRequest, stage: PolicyStage, actor: Any) -> None:
    approvals = request.signoffs.filter(stage_order=stage.order, decision=Decision.APPROVE).count()
    if approvals < stage.quorum:
        return
    now = timezone.now()
    # The unique (request, stage) row makes a second completion impossible even if two
    # transactions ever got here for the same stage.
    StageCompletion.objects.create(request=request, stage_order=stage.order, completed_at=now)
    ledger_append(
        actor=actor,
        action="approval_stage.completed",
        subject=request,
        deployment_id=request.deployment_id,
        data={"stage": stage.order, "name": stage.name, "quorum": stage.quorum},
    )
    # The completed stage waits for nobody now: its reminders leave every signer's inbox.
    settle_signature_notifications(request)
    last = max(s.order for s in request.policy.stages.all())
    if stage.order < last:
        request.current_stage = stage.order + 1
        request.stage_started_at = now
        request.save(update_fields=["current_stage", "stage_started_at", "updated_at"])
        following = current_stage(request)
        if following is not None:
            notify_stage_signers(request, following)
        return
    _move(request, RequestStatus.APPROVED)
    request.decided_at = now
    request.expires_at = add_months(now, request.policy.recertification_months)
    request.save(update_fields=["status", "decided_at", "expires_at", "updated_at"])
    # A re-approval of a live or suspended deployment leaves its status as it is.
    if request.deployment.status == DeploymentStatus.IN_REVIEW:
        deployment_transition(
            deployment=request.deployment,
            to_status=DeploymentStatus.APPROVED,
            actor=actor,
            reason="last required sign-off given",
            workflow=True,
        )
    ledger_append(
        actor=actor,
        action="approval_request.approved",
        subject=request,
        deployment_id=request.deployment_id,
        data={"dossier_hash": request.dossier_hash, "expires_at": request.expires_at},
    )


def _close_with(request: ApprovalRequest, decision: str, actor: Any, comment: str) -> None:
    status = (
        RequestStatus.REJECTED if decision == Decision.REJECT else RequestStatus.CHANGES_REQUESTED
    )
    _move(request, status)
    request.decided_at = timezone.now()
    request.closed_reason = comment
    request.save(update_fields=["status", "decided_at", "closed_reason", "updated_at"])
    _return_deployment_to_draft(request.deployment, actor, f"approval {status.replace('_', ' ')}")
    settle_signature_notifications(request)
    ledger_append(
        actor=actor,
        action=f"approval_request.{status}",
        subject=request,
        deployment_id=request.deployment_id,
        data={"comment": comment},
    )


def _validate_input(decision: str, meaning: str, comment: str) -> None:
    if decision not in Decision.values:
        raise InvalidInput(
            f"Decision must be one of {', '.join(Decision.values)}.", fields={"decision": "unknown"}
        )
    if not meaning.strip():
        raise InvalidInput(
            "Read and confirm the meaning of your signature.", fields={"meaning": "required"}
        )
    if decision != Decision.APPROVE and not comment.strip():
        raise InvalidInput(
            "Say why: rejecting or requesting changes needs a comment.",
            fields={"comment": "required for reject and request_changes"},
        )


def signoff_record(
    *,
    request: ApprovalRequest,
    signer: Any,
    decision: str,
    meaning: str,
    http_request: HttpRequest,
    password: str = "",
    comment: str = "",
    conditions: str = "",
    stage_order: int | None = None,
    reauth: Any = None,
) -> SignOff:
    """Record one electronic signature on the request's current stage.

    The signer re-enters their password first (its failure is ledgered and counts toward
    lockout), or, signing in through the organisation's provider, comes back from a fresh
    login there with `reauth` (a `ReauthProof`); the signature records which. Inside one
    transaction the request row is locked, segregation of duties is checked, the signature
    is written with its hash, and a stage completes — or the request closes — at most once.
    Refusals are ledgered in their own transaction, after the rollback, so the record of
    the attempt survives.
    """
    _validate_input(decision, meaning, comment)
    authenticated_by = reauthenticate(
        user=signer,
        password=password,
        request=http_request,
        purpose="signoff",
        subject=request,
        deployment_id=request.deployment_id,
        proof=reauth,
    )
    try:
        with transaction.atomic():
            ledger_write_lock()
            locked = (
                ApprovalRequest.objects.select_for_update()
                .select_related("deployment__model_version__system", "policy")
                .get(pk=request.pk)
            )
            stage = current_stage(locked)
            if stage_order is not None and stage is not None and stage_order != stage.order:
                raise Conflict(
                    f"Stage {stage_order} is already complete; the request is now at stage "
                    f"{stage.order} ({stage.name}).",
                    fields={"stage": "already complete"},
                )
            signer_ids = set(locked.signoffs.values_list("signer_id", flat=True))
            refusal = signing_refusal(locked, stage, signer, signer_ids)
            if refusal is not None or stage is None:
                raise refusal or Conflict("The request is not awaiting signatures.")
            expected = expected_meaning(locked, stage, decision)
            if meaning.strip() != expected:
                raise InvalidInput(
                    f"The meaning must read exactly: {expected}", fields={"meaning": expected}
                )
            signoff = _write_signoff(
                locked, stage, signer, decision, expected, comment, conditions, authenticated_by
            )
            if decision == Decision.APPROVE:
                _complete_stage_or_request(locked, stage, signer)
            else:
                _close_with(locked, decision, signer, comment)
    except (PermissionRefused, Conflict) as refusal:
        _ledger_refusal(request, signer, decision, refusal)
        raise
    return signoff


def _write_signoff(
    request: ApprovalRequest,
    stage: PolicyStage,
    signer: Any,
    decision: str,
    meaning: str,
    comment: str,
    conditions: str,
    authenticated_by: str,
) -> SignOff:
    signed_at = timezone.now()
    manifest = {
        "request": str(request.pk),
        "stage": stage.order,
        "signed_as": stage.required_role,
        "signer": str(signer.pk),
        "printed_name": signer.get_full_name() or signer.get_username(),
        "decision": decision,
        "meaning": meaning,
        "comment": comment,
        "conditions": conditions,
        "signed_at": signed_at,
        "dossier_hash": request.dossier_hash,
        # How the signer proved it was them just before signing (password or provider login).
        "authenticated_by": authenticated_by,
    }
    signature_hash = canonical_sha256(manifest)
    try:
        with transaction.atomic():
            signoff = SignOff.objects.create(
                request=request,
                stage_order=stage.order,
                stage_name=stage.name,
                signed_as=stage.required_role,
                signer=signer,
                printed_name=manifest["printed_name"],
                decision=decision,
                meaning=meaning,
                comment=comment,
                conditions=conditions,
                signed_at=signed_at,
                dossier_hash=request.dossier_hash,
                signature_hash=signature_hash,
                authenticated_by=authenticated_by,
            )
    except IntegrityError as exc:
        raise PermissionRefused(
            "You have already signed this request; one person signs at most once."
        ) from exc
    ledger_append(
        actor=signer,
        action="signoff.recorded",
        subject=signoff,
        deployment_id=request.deployment_id,
        data={**manifest, "signature_hash": signature_hash},
    )
    return signoff


def _ledger_refusal(request: ApprovalRequest, signer: Any, decision: str, refusal: Any) -> None:
    with transaction.atomic():
        ledger_append(
            actor=signer,
            action="signoff.refused",
            subject=request,
            deployment_id=request.deployment_id,
            data={"decision": decision, "reason": refusal.message, "code": refusal.code},
        )
