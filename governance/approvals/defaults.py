"""The shipped approval policies (version 1 of each tier); admins version them from there.

Tier I: a reviewer. II: a reviewer, then a compliance officer. III: reviewer, compliance
officer, legal, then a final human decision by an executive. IV: as III with two compliance
officers. Re-certification after 24, 12, 12 and 6 months. An open critical finding closes
the gate of every tier; an open high one too in tiers III and IV.
"""

from __future__ import annotations

from typing import Any

REVIEW = {
    "name": "Peer review",
    "required_role": "reviewer",
    "quorum": 1,
    "sla_hours": 48,
    "escalation_role": "compliance_officer",
}
COMPLIANCE = {
    "name": "Compliance review",
    "required_role": "compliance_officer",
    "quorum": 1,
    "sla_hours": 72,
    "escalation_role": "executive",
}
LEGAL = {
    "name": "Legal review",
    "required_role": "legal",
    "quorum": 1,
    "sla_hours": 72,
    "escalation_role": "executive",
}
DECISION = {
    "name": "Final human decision",
    "required_role": "executive",
    "quorum": 1,
    "sla_hours": 48,
    "escalation_role": "admin",
}

DEFAULT_POLICIES: dict[str, tuple[int, list[dict[str, Any]]]] = {
    "I": (24, [REVIEW]),
    "II": (12, [REVIEW, COMPLIANCE]),
    "III": (12, [REVIEW, COMPLIANCE, LEGAL, DECISION]),
    "IV": (6, [REVIEW, {**COMPLIANCE, "quorum": 2}, LEGAL, DECISION]),
}


BLOCKING_FINDING_SEVERITIES: dict[str, list[str]] = {
    "I": ["critical"],
    "II": ["critical"],
    "III": ["high", "critical"],
    "IV": ["high", "critical"],
}


def ensure_default_policies(policy_model: Any = None, stage_model: Any = None) -> None:
    """Create version 1 of each tier's policy where a tier has none (idempotent).

    Takes the model classes so the data migration can pass its historical models.
    """
    if policy_model is None or stage_model is None:
        from governance.approvals.models import ApprovalPolicy, PolicyStage

        policy_model, stage_model = ApprovalPolicy, PolicyStage
    for tier, (months, stages) in DEFAULT_POLICIES.items():
        if policy_model.objects.filter(tier=tier).exists():
            continue
        extra: dict[str, Any] = {}
        # The data migration that first ran this predates the field (added by 0003).
        if any(f.name == "blocking_finding_severities" for f in policy_model._meta.fields):
            extra["blocking_finding_severities"] = BLOCKING_FINDING_SEVERITIES[tier]
        policy = policy_model.objects.create(
            tier=tier,
            version=1,
            is_current=True,
            recertification_months=months,
            notes="Shipped default",
            **extra,
        )
        for order, stage in enumerate(stages, start=1):
            stage_model.objects.create(policy=policy, order=order, **stage)
