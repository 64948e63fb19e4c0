"""Missing requirements become findings: one action on the Obligations tab, or the daily
sweep for deployments of the tiers `OBLIGATIONS_GAP_SWEEP_TIERS` names, in the frameworks
`OBLIGATIONS_GAP_SWEEP_FRAMEWORKS` names (the binding laws by default).

The findings room knows the cause as source kind `obligation_gap` and a reference naming the
deployment, the framework and the requirement's identifier (not the framework version, so a
new version of the file does not raise the same gap again). Its constraint keeps one
automatic finding per cause, so asking twice, or the sweep after the action, raises nothing
new.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from governance.accounts.permissions import Perm, can
from governance.core.errors import Conflict, PermissionRefused
from governance.findings.choices import SourceKind
from governance.findings.models import Finding
from governance.findings.services import default_owner, finding_raise_automatic
from governance.inventory.choices import DeploymentStatus
from governance.ledger.services import ledger_append
from governance.obligations.choices import ObligationStatus
from governance.obligations.models import DeploymentObligation, ObligationSummary


def gap_source_ref(obligation: DeploymentObligation) -> str:
    requirement = obligation.requirement
    return f"{obligation.deployment_id}:{requirement.framework.slug}:{requirement.identifier}"


def existing_gap_finding(obligation: DeploymentObligation) -> Finding | None:
    return Finding.objects.filter(
        source_kind=SourceKind.OBLIGATION_GAP, source_ref=gap_source_ref(obligation)
    ).first()


def _raise(obligation: DeploymentObligation, *, actor: Any, fallback_owner: Any) -> Finding | None:
    requirement = obligation.requirement
    deployment = obligation.deployment
    missing = ", ".join(obligation.gaps) or "a signed assertion"
    finding = finding_raise_automatic(
        deployment=deployment,
        source_kind=SourceKind.OBLIGATION_GAP,
        source_ref=gap_source_ref(obligation),
        severity=settings.OBLIGATIONS_GAP_SEVERITY,
        title=f"{requirement.ref} is missing: {requirement.title}"[:300],
        description=f"{obligation.why}\n\nNot found: {missing}.",
        owner=default_owner(deployment, fallback=fallback_owner),
    )
    if finding is not None:
        ledger_append(
            actor=actor,
            action="obligation.gap_raised",
            subject=finding,
            deployment_id=deployment.pk,
            data={"ref": requirement.ref, "finding": str(finding.pk), "by_sweep": actor is None},
        )
    return finding


def obligation_gap_raise(*, obligation: DeploymentObligation, actor: Any) -> Finding:
    """Turn one missing, in-force requirement into a finding (or return the one it has)."""
    if not can(actor, Perm.FINDING_CREATE):
        raise PermissionRefused("Your roles do not allow raising findings (findings.create).")
    with transaction.atomic():
        locked = (
            DeploymentObligation.objects.select_for_update()
            .select_related("requirement__framework", "deployment")
            .get(pk=obligation.pk)
        )
        existing = existing_gap_finding(locked)
        if existing is not None:
            return existing
        if not (locked.applies and locked.in_force and locked.status == ObligationStatus.MISSING):
            raise Conflict(
                f"{locked.requirement.ref} is {locked.get_status_display().lower()}, not "
                "missing; only a missing requirement in force becomes a finding.",
                fields={"status": locked.status},
            )
        if locked.deployment.status == DeploymentStatus.RETIRED:
            raise Conflict("The deployment is retired; raise no new findings on it.")
        finding = _raise(locked, actor=actor, fallback_owner=actor)
    return finding or existing_gap_finding(locked)  # type: ignore[return-value]


def obligations_gap_sweep() -> int:
    """Raise a finding for each missing, in-force requirement of deployments in the swept
    tiers; returns how many were raised. Safe to run twice (one finding per cause)."""
    tiers = list(settings.OBLIGATIONS_GAP_SWEEP_TIERS)
    if not tiers:
        return 0
    deployments = (
        ObligationSummary.objects.filter(tier__in=tiers, missing__gt=0)
        .exclude(deployment__status=DeploymentStatus.RETIRED)
        .values_list("deployment_id", flat=True)
    )
    candidates = list(
        DeploymentObligation.objects.filter(
            deployment_id__in=set(deployments),
            status=ObligationStatus.MISSING,
            applies=True,
            in_force=True,
            requirement__framework__is_current=True,
            requirement__framework__slug__in=list(settings.OBLIGATIONS_GAP_SWEEP_FRAMEWORKS),
        ).select_related("requirement__framework", "deployment__created_by")
    )
    raised_refs = set(
        Finding.objects.filter(
            source_kind=SourceKind.OBLIGATION_GAP,
            source_ref__in=[gap_source_ref(c) for c in candidates],
        ).values_list("source_ref", flat=True)
    )
    raised = 0
    for obligation in candidates:
        if gap_source_ref(obligation) in raised_refs:
            continue
        try:
            with transaction.atomic():
                if _raise(obligation, actor=None, fallback_owner=None) is not None:
                    raised += 1
        except Conflict:
            # Nobody can own a finding on this deployment: the sweep goes on with the others
            # (the deployment's page says it has no accountable owner).
            continue
    return raised
