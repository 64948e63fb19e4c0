from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from governance.accounts.roles import Role
from governance.approvals.defaults import BLOCKING_FINDING_SEVERITIES
from governance.approvals.models import POLICY_TIERS, ApprovalPolicy, PolicyStage
from governance.core.errors import InvalidInput
from governance.core.services import validated_save
from governance.ledger.services import ledger_append

# The severities a finding can have (the findings room's vocabulary, kept as plain values so
# approvals does not depend on it).
FINDING_SEVERITIES = ("low", "medium", "high", "critical")
STAGE_KEYS = ("name", "required_role", "quorum", "sla_hours", "escalation_role")


def _clean_stages(stages: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    if not stages:
        raise InvalidInput("A policy needs at least one stage.", fields={"stages": "empty"})
    cleaned = []
    for number, stage in enumerate(stages, start=1):
        missing = [key for key in STAGE_KEYS if stage.get(key) in (None, "")]
        if missing:
            raise InvalidInput(
                f"Stage {number} is missing {', '.join(missing)}.",
                fields={"stages": f"stage {number}: missing {', '.join(missing)}"},
            )
        for key in ("required_role", "escalation_role"):
            if stage[key] not in Role.values:
                raise InvalidInput(
                    f"Stage {number}: unknown role {stage[key]!r}.",
                    fields={"stages": f"stage {number}: unknown {key}"},
                )
        for key in ("quorum", "sla_hours"):
            value = stage[key]
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                raise InvalidInput(
                    f"Stage {number}: {key} must be a whole number of at least 1.",
                    fields={"stages": f"stage {number}: {key}"},
                )
        cleaned.append({key: stage[key] for key in STAGE_KEYS})
    return cleaned


def policy_create_version(
    *,
    tier: str,
    stages: Sequence[dict[str, Any]],
    recertification_months: int,
    actor: Any,
    notes: str = "",
    blocking_finding_severities: Sequence[str] | None = None,
) -> ApprovalPolicy:
    """Make a new current version of a tier's policy; open requests keep their version.

    `blocking_finding_severities` (which open findings close the gate) carries over from the
    previous version when not given, or from the shipped default of the tier.
    """
    if tier not in dict(POLICY_TIERS):
        raise InvalidInput(
            "Policies exist for tiers I to IV; blocked deployments cannot be approved.",
            fields={"tier": "unknown"},
        )
    cleaned = _clean_stages(stages)
    if blocking_finding_severities is not None:
        unknown = sorted(set(blocking_finding_severities) - set(FINDING_SEVERITIES))
        if unknown:
            raise InvalidInput(
                f"Unknown finding severities: {', '.join(unknown)}.",
                fields={"blocking_finding_severities": "unknown"},
            )
    with transaction.atomic():
        previous = (
            ApprovalPolicy.objects.select_for_update().filter(tier=tier, is_current=True).first()
        )
        latest = ApprovalPolicy.objects.filter(tier=tier).order_by("-version").first()
        if previous is not None:
            ApprovalPolicy.objects.filter(pk=previous.pk).update(is_current=False)
        if blocking_finding_severities is None:
            blocking_finding_severities = (
                previous.blocking_finding_severities
                if previous is not None
                else BLOCKING_FINDING_SEVERITIES[tier]
            )
        policy = ApprovalPolicy(
            tier=tier,
            blocking_finding_severities=sorted(set(blocking_finding_severities)),
            version=(latest.version + 1) if latest else 1,
            recertification_months=recertification_months,
            notes=notes,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        validated_save(policy)
        PolicyStage.objects.bulk_create(
            [PolicyStage(policy=policy, order=i, **s) for i, s in enumerate(cleaned, start=1)]
        )
        ledger_append(
            actor=actor,
            action="approval_policy.versioned",
            subject=policy,
            data={
                "tier": tier,
                "version": policy.version,
                "recertification_months": recertification_months,
                "stages": cleaned,
                "blocking_finding_severities": policy.blocking_finding_severities,
                "replaces": str(previous.pk) if previous else None,
            },
        )
    return policy
