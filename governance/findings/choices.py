"""Vocabularies of the findings room: severities, sources, and the state machine as data."""

from __future__ import annotations

from django.db import models


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


# Highest first, for sorting and for "at least this severe".
SEVERITY_RANK = {Severity.LOW: 1, Severity.MEDIUM: 2, Severity.HIGH: 3, Severity.CRITICAL: 4}


class SourceKind(models.TextChoices):
    """Where a finding came from. Findings know the raising room only as a kind and an id."""

    BIAS_AUDIT = "bias_audit", "Bias audit category"
    RISK_REGISTER = "risk_register", "Risk register entry above appetite"
    MONITORING_ALERT = "monitoring_alert", "Monitoring alert"
    INCIDENT = "incident", "Incident"
    OBLIGATION_GAP = "obligation_gap", "Obligation gap"
    MANUAL = "manual", "Raised by a person"


class FindingState(models.TextChoices):
    OPEN = "open", "Open"
    IN_REMEDIATION = "in_remediation", "In remediation"
    RESOLVED = "resolved", "Resolved (awaiting verification)"
    VERIFIED = "verified", "Verified"
    CLOSED = "closed", "Closed"
    RISK_ACCEPTED = "risk_accepted", "Risk accepted"
    REOPENED = "reopened", "Reopened"


S = FindingState
# Every move a finding can make, and the service step that makes it. Any state except a
# fresh or already reopened one can be reopened with a reason.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    S.OPEN: frozenset({S.IN_REMEDIATION, S.RISK_ACCEPTED}),
    S.REOPENED: frozenset({S.IN_REMEDIATION, S.RISK_ACCEPTED}),
    S.IN_REMEDIATION: frozenset({S.RESOLVED, S.RISK_ACCEPTED, S.REOPENED}),
    S.RESOLVED: frozenset({S.VERIFIED, S.REOPENED}),
    S.VERIFIED: frozenset({S.CLOSED, S.REOPENED}),
    S.CLOSED: frozenset({S.REOPENED}),
    S.RISK_ACCEPTED: frozenset({S.REOPENED}),
}

# States in which somebody still has to act on the finding.
ACTIVE_STATES = frozenset({S.OPEN, S.REOPENED, S.IN_REMEDIATION, S.RESOLVED, S.VERIFIED})
# States from which risk can be accepted (signatures may be gathered).
ACCEPTABLE_FROM = frozenset(
    s for s, targets in ALLOWED_TRANSITIONS.items() if S.RISK_ACCEPTED in targets
)


def may_move(from_state: str, to_state: str) -> bool:
    return to_state in ALLOWED_TRANSITIONS.get(from_state, frozenset())
