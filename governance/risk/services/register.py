"""Writes to the risk register: entries, acceptance of residual risk, closing and reopening."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.db import transaction

from governance.accounts.roles import Role
from governance.core.errors import Conflict, InvalidInput, PermissionRefused, TransitionNotAllowed
from governance.core.services import apply_changes, snapshot, validated_save
from governance.findings.choices import Severity, SourceKind
from governance.findings.services import default_owner, finding_raise_automatic
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment
from governance.ledger.services import changes, ledger_append
from governance.risk.models import (
    EXECUTIVE_ACCEPTANCE_SCORE,
    RISK_TRANSITIONS,
    Risk,
    RiskAcceptance,
    RiskStatus,
)

RISK_FIELDS = (
    "category",
    "title",
    "description",
    "inherent_likelihood",
    "inherent_impact",
    "treatment",
    "control_description",
    "residual_likelihood",
    "residual_impact",
    "owner",
    "due_date",
)
# What an acceptance covers: changing any of these means the accepted risk is a different
# risk, so it goes back to open and needs accepting again. Owner, due date and title do not.
ACCEPTANCE_COVERS = frozenset(RISK_FIELDS) - {"owner", "due_date", "title"}
# From this residual score up, a finding raised for exceeding the appetite is critical.
CRITICAL_RESIDUAL_SCORE = 20


def _scores(risk: Risk) -> dict[str, int]:
    return {
        "inherent_score": risk.inherent_likelihood * risk.inherent_impact,
        "residual_score": risk.residual_likelihood * risk.residual_impact,
    }


def _check_owner(owner: Any) -> None:
    if owner is not None and not owner.is_active:
        raise InvalidInput(
            f"{owner} is deactivated and cannot own a risk.", fields={"owner": "deactivated"}
        )


def above_appetite(risk: Risk) -> bool:
    """Whether the residual score exceeds the risk appetite (settings.FINDINGS_RISK_APPETITE)."""
    return risk.residual_likelihood * risk.residual_impact > settings.FINDINGS_RISK_APPETITE


def _raise_finding(risk: Risk, actor: Any) -> None:
    """A residual score above the appetite is a finding on the deployment (once per entry)."""
    if not above_appetite(risk):
        return
    score = risk.residual_likelihood * risk.residual_impact
    deployment = risk.deployment
    finding_raise_automatic(
        deployment=deployment,
        source_kind=SourceKind.RISK_REGISTER,
        source_ref=str(risk.pk),
        severity=Severity.CRITICAL if score >= CRITICAL_RESIDUAL_SCORE else Severity.HIGH,
        title=f"Residual risk {score} above appetite: {risk.title}",
        description=(
            f"The risk register entry “{risk.title}” has a residual score of {score} "
            f"(likelihood {risk.residual_likelihood} × impact {risk.residual_impact}), above "
            f"the risk appetite of {settings.FINDINGS_RISK_APPETITE}."
        ),
        owner=default_owner(deployment, preferred=risk.owner, fallback=actor),
    )


def _refresh_scores(risk: Risk) -> Risk:
    # The scores are computed by the database (generated columns); read them back.
    risk.refresh_from_db(fields=["inherent_score", "residual_score"])
    return risk


def risk_create(*, deployment: Deployment, actor: Any, **fields: Any) -> Risk:
    """Add an entry to a deployment's risk register."""
    if deployment.status == DeploymentStatus.RETIRED:
        raise Conflict("The deployment is retired; its register is closed.")
    unknown = sorted(set(fields) - set(RISK_FIELDS))
    if unknown:
        raise InvalidInput(
            f"Unknown fields: {', '.join(unknown)}.", fields=dict.fromkeys(unknown, "unknown")
        )
    risk = Risk(deployment=deployment, created_by=actor, **fields)
    _check_owner(fields.get("owner"))
    with transaction.atomic():
        validated_save(risk)
        data = snapshot(risk, RISK_FIELDS)
        data.update(_scores(risk), status=risk.status)
        ledger_append(
            actor=actor, action="risk.created", subject=risk, deployment_id=deployment.pk, data=data
        )
        _raise_finding(risk, actor)
    return _refresh_scores(risk)


def _locked(risk: Risk) -> Risk:
    return Risk.objects.select_for_update().select_related("owner").get(pk=risk.pk)


def _transition(locked: Risk, to_status: str) -> str:
    from_status = locked.status
    if (from_status, to_status) not in RISK_TRANSITIONS:
        raise TransitionNotAllowed(
            f"A {from_status} risk cannot become {to_status}.",
            fields={"status": f"not allowed from {from_status}"},
        )
    locked.status = to_status
    return from_status


def risk_update(*, risk: Risk, actor: Any, fields: Mapping[str, Any]) -> Risk:
    """Change a register entry. Changing what an acceptance covered reopens the risk."""
    with transaction.atomic():
        locked = _locked(risk)
        if locked.status == RiskStatus.CLOSED:
            raise Conflict("The risk is closed; reopen it before changing it.")
        before = snapshot(locked, RISK_FIELDS)
        changed = apply_changes(locked, fields, editable=RISK_FIELDS)
        if not changed:
            return locked
        if "owner" in changed:
            _check_owner(locked.owner)
        lapsed = locked.status == RiskStatus.ACCEPTED and bool(ACCEPTANCE_COVERS & set(changed))
        if lapsed:
            _transition(locked, RiskStatus.OPEN)
        validated_save(locked)
        ledger_append(
            actor=actor,
            action="risk.updated",
            subject=locked,
            deployment_id=locked.deployment_id,
            data={
                "changes": changes(before, snapshot(locked, RISK_FIELDS)),
                "scores": _scores(locked),
                "acceptance_lapsed": lapsed,
            },
        )
        _raise_finding(locked, actor)
    return _refresh_scores(locked)


def risk_accept(*, risk: Risk, actor: Any, rationale: str) -> RiskAcceptance:
    """Accept a risk's residual score. From 15 up only a person with the executive role may.

    A refusal on those grounds is written to the ledger in its own transaction before the
    error is raised, so the attempt stays on record.
    """
    rationale = (rationale or "").strip()
    if not rationale:
        raise InvalidInput(
            "Say why the residual risk is acceptable.", fields={"rationale": "required"}
        )
    current = Risk.objects.get(pk=risk.pk)
    score = current.residual_likelihood * current.residual_impact
    executive_required = score >= EXECUTIVE_ACCEPTANCE_SCORE
    if executive_required and not actor.has_role(Role.EXECUTIVE):
        with transaction.atomic():
            ledger_append(
                actor=actor,
                action="risk.acceptance_refused",
                subject=current,
                deployment_id=current.deployment_id,
                data={"residual_score": score, "reason": "executive role required"},
            )
        raise PermissionRefused(
            f"The residual score is {score} (≥ {EXECUTIVE_ACCEPTANCE_SCORE}): only a person with "
            "the executive role can accept it.",
            fields={"rationale": "executive acceptance required"},
        )
    with transaction.atomic():
        locked = _locked(risk)
        locked_score = locked.residual_likelihood * locked.residual_impact
        if locked_score != score:
            raise Conflict("The risk changed while you were accepting it; review it again.")
        from_status = _transition(locked, RiskStatus.ACCEPTED)
        locked.save(update_fields=["status", "updated_at"])
        acceptance = RiskAcceptance.objects.create(
            risk=locked,
            accepted_by=actor,
            accepted_by_name=actor.display_name,
            residual_likelihood=locked.residual_likelihood,
            residual_impact=locked.residual_impact,
            residual_score=score,
            executive_required=executive_required,
            rationale=rationale,
        )
        ledger_append(
            actor=actor,
            action="risk.accepted",
            subject=locked,
            deployment_id=locked.deployment_id,
            data={
                "from": from_status,
                "acceptance": str(acceptance.pk),
                "residual_likelihood": locked.residual_likelihood,
                "residual_impact": locked.residual_impact,
                "residual_score": score,
                "executive_required": executive_required,
                "rationale": rationale,
            },
        )
    return acceptance


def _move(risk: Risk, *, to_status: str, actor: Any, reason: str, action: str) -> Risk:
    with transaction.atomic():
        locked = _locked(risk)
        from_status = _transition(locked, to_status)
        locked.save(update_fields=["status", "updated_at"])
        ledger_append(
            actor=actor,
            action=action,
            subject=locked,
            deployment_id=locked.deployment_id,
            data={"from": from_status, "to": to_status, "reason": reason},
        )
    return _refresh_scores(locked)


def risk_close(*, risk: Risk, actor: Any, reason: str = "") -> Risk:
    """Close a risk that no longer applies or whose treatment is complete."""
    return _move(
        risk, to_status=RiskStatus.CLOSED, actor=actor, reason=reason, action="risk.closed"
    )


def risk_reopen(*, risk: Risk, actor: Any, reason: str = "") -> Risk:
    """Reopen a closed or accepted risk; an accepted one must then be accepted again."""
    return _move(
        risk, to_status=RiskStatus.OPEN, actor=actor, reason=reason, action="risk.reopened"
    )


def risk_delete(*, risk: Risk, actor: Any) -> None:
    """Remove an entry made in error. Only an open risk never accepted can go; close others."""
    with transaction.atomic():
        locked = _locked(risk)
        if locked.status != RiskStatus.OPEN or locked.acceptances.exists():
            raise Conflict(
                "Only an open risk that was never accepted can be deleted; close it instead.",
                fields={"status": locked.status},
            )
        data = snapshot(locked, RISK_FIELDS)
        data.update(_scores(locked))
        pk, deployment_id = locked.pk, locked.deployment_id
        locked.delete()
        locked.pk = pk  # Django clears the key on delete; the event still names the entry.
        ledger_append(
            actor=actor,
            action="risk.deleted",
            subject=locked,
            deployment_id=deployment_id,
            data=data,
        )
