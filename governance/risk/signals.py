"""Signals the risk room sends. Receivers run inside the sender's transaction.

`assessment_submitted`: sent by `risk_assessment_submit` after the ledger event, with
`assessment` (the newly submitted RiskAssessment), `previous` (the assessment it supersedes,
or None) and `actor`. Approvals invalidates approvals when the tier rises
(`tier_rank(assessment.tier) > tier_rank(previous.tier)`).

`statutory_assessment_signed`: sent by `statutory_assessment_sign` after the ledger event,
with `assessment` (the newly signed FRIA or DPIA version), `previous` (the signed version it
supersedes, or None) and `actor`. The obligations room refreshes the deployment's kept
statuses, whose `fria` and `dpia` evidence rules read the signed versions.
"""

from django.dispatch import Signal

assessment_submitted = Signal()
statutory_assessment_signed = Signal()
