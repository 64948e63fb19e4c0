"""How the findings room's ledger events read."""

from __future__ import annotations

from governance.ledger.describe import register_event_sentences

STEP_KINDS = [
    "finding.remediation_started",
    "finding.resolved",
    "finding.verified",
    "finding.closed",
    "finding.reopened",
]


def register() -> None:
    register_event_sentences(
        {
            "finding_policy.versioned": "{actor} published a new findings policy",
            "finding.raised": "{actor} raised a finding on {target}",
            "finding.refused": "{actor} was refused a step on a finding of {target}",
            "finding.remediation_started": "{actor} started remediating a finding of {target}",
            "finding.resolved": "{actor} marked a finding of {target} resolved",
            "finding.verified": "{actor} verified the fix of a finding of {target}",
            "finding.closed": "{actor} closed a finding of {target}",
            "finding.reopened": "{actor} reopened a finding of {target}",
            "finding.owner_changed": "{actor} gave a finding of {target} to a new owner",
            "finding.evidence_added": "{actor} added evidence to a finding of {target}",
            "finding.risk_signed": "{actor} signed the risk acceptance of a finding of {target}",
            "finding.risk_accepted": "The risk of a finding of {target} was accepted",
            "finding.risk_signoff_refused": (
                "{actor} was refused a risk-acceptance sign-off for {target}"
            ),
        },
        emitted_by={"governance.findings.services.findings": STEP_KINDS},
    )
