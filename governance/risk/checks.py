"""How the risk tier reaches the rest of the product: a gate check and a lifecycle guard.

Both are registered from `RiskConfig.ready()` and run one query each.
"""

from __future__ import annotations

from typing import Any

from governance.approvals.gate_checks import GateFacts, facts_for
from governance.inventory.choices import DeploymentStatus
from governance.risk.models import RiskAssessment
from governance.risk.selectors import current_assessment
from governance.risk.tiers import Tier

CURRENT_ASSESSMENT = "risk.current_assessment"

# A blocked deployment can never be put up for approval, approved, or run.
BLOCKED_TARGETS = frozenset(
    {DeploymentStatus.IN_REVIEW, DeploymentStatus.APPROVED, DeploymentStatus.ACTIVE}
)


def blocked_reason(assessment: RiskAssessment) -> str:
    return f"risk tier is blocked (prohibited practice: {assessment.rationale})"


def risk_assessment_gate(deployment: Any, facts: GateFacts | None = None) -> list[str]:
    """Reasons the deployment gate stays closed on risk grounds, in plain words."""
    assessment = facts_for(deployment, facts).memo(
        CURRENT_ASSESSMENT, lambda: current_assessment(deployment)
    )
    if assessment is None:
        return ["no submitted risk assessment"]
    reasons = []
    if assessment.tier == Tier.BLOCKED:
        reasons.append(blocked_reason(assessment))
    if assessment.is_stale:
        since = assessment.stale_since
        when = f" since {since:%Y-%m-%d}" if since else ""
        reasons.append(
            f"the risk assessment is stale{when}: the deployment changed materially after it "
            "was submitted"
        )
    return reasons


def blocked_tier_guard(deployment: Any, to_status: str) -> str | None:
    """Lifecycle guard: a deployment in tier blocked cannot move towards approval or go live."""
    if to_status not in BLOCKED_TARGETS:
        return None
    assessment = current_assessment(deployment)
    if assessment is not None and assessment.tier == Tier.BLOCKED:
        return (
            f"The deployment cannot be {to_status.replace('_', ' ')}: {blocked_reason(assessment)}."
        )
    return None


def assessment_voided(deployment: Any) -> list[str]:
    """Before a material change: the current assessment it would turn stale (one query)."""
    assessment = current_assessment(deployment)
    if assessment is None or assessment.is_stale:
        return []
    return [
        f"The risk assessment submitted on {assessment.submitted_at:%Y-%m-%d} (tier "
        f"{assessment.tier}, score {assessment.score}) turns stale: a new assessment is needed "
        "before approval."
    ]
