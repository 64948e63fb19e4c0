"""The findings room's deployment-gate check (registered from `apps.py`).

Which severities close the gate is data in the approval policy of the deployment's tier
(`ApprovalPolicy.blocking_finding_severities`): by default high and critical for tiers III
and IV, critical for tiers I and II. Without a usable tier (no assessment yet, or blocked)
the strictest current policy applies. Two queries: the open findings, and the policies.
"""

from __future__ import annotations

from typing import Any

from governance.approvals.gate_checks import GateFacts, facts_for

OPEN_FINDINGS = "findings.open"
BLOCKING_SEVERITIES = "findings.blocking_severities"


def blocking_severities_by_tier() -> dict[str, frozenset[str]]:
    from governance.approvals.models import ApprovalPolicy

    rows = ApprovalPolicy.objects.filter(is_current=True).values_list(
        "tier", "blocking_finding_severities"
    )
    return {tier: frozenset(severities or ()) for tier, severities in rows}


def _tier(deployment: Any, facts: GateFacts) -> str | None:
    from governance.approvals.context import current_assessment

    assessment = current_assessment(deployment, facts)
    return assessment.tier if assessment is not None else None


def blocking_for(tier: str | None, by_tier: dict[str, frozenset[str]]) -> frozenset[str]:
    if tier in by_tier:
        return by_tier[tier]
    return frozenset().union(*by_tier.values()) if by_tier else frozenset()


def reason(finding: Any) -> str:
    return f"open {finding.severity} finding: {finding.title} ({finding.pk})"


def open_findings_check(deployment: Any, facts: GateFacts | None = None) -> list[str]:
    """Closed while an open finding of a severity the tier's policy names is unresolved."""
    from governance.findings.selectors import open_findings_by_deployment

    facts = facts_for(deployment, facts)
    found = facts.memo(
        OPEN_FINDINGS, lambda: open_findings_by_deployment([deployment.pk])[deployment.pk]
    )
    if not found:
        return []
    by_tier = facts.memo(BLOCKING_SEVERITIES, blocking_severities_by_tier)
    blocking = blocking_for(_tier(deployment, facts), by_tier)
    return [reason(f) for f in found if f.severity in blocking]
