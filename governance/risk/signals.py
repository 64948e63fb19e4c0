"""Signals the risk room sends. Receivers run inside the sender's transaction.

`assessment_submitted`: sent by `risk_assessment_submit` after the ledger event, with
`assessment` (the newly submitted RiskAssessment), `previous` (the assessment it supersedes,
or None) and `actor`. Approvals invalidates approvals when the tier rises
(`tier_rank(assessment.tier) > tier_rank(previous.tier)`).
"""

from django.dispatch import Signal

assessment_submitted = Signal()
