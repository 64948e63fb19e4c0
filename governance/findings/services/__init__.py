"""Every write to findings. Other rooms call these; findings knows them as a source kind and id."""

from governance.findings.services.acceptance import (
    finding_acceptances_expire,
    finding_risk_signoff_record,
)
from governance.findings.services.findings import (
    default_owner,
    finding_close,
    finding_create,
    finding_evidence_add,
    finding_owner_change,
    finding_raise_automatic,
    finding_reopen,
    finding_resolve,
    finding_start_remediation,
    finding_verify,
    findings_hand_over,
)
from governance.findings.services.policy import current_policy, finding_policy_create_version

__all__ = [
    "current_policy",
    "default_owner",
    "finding_acceptances_expire",
    "finding_close",
    "finding_create",
    "finding_evidence_add",
    "finding_owner_change",
    "finding_policy_create_version",
    "finding_raise_automatic",
    "finding_reopen",
    "finding_resolve",
    "finding_risk_signoff_record",
    "finding_start_remediation",
    "finding_verify",
    "findings_hand_over",
]
