"""The numbers this room applies, kept as data in one place (docs/monitoring.md cites them).

Each table is read by the code that applies it; none of these numbers is repeated elsewhere.
The Art 73 clocks are counted from the moment the organisation became aware of the incident.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from governance.monitoring.choices import (
    Direction,
    DriftBand,
    IncidentStatus,
    MetricKind,
    SeriousCategory,
    Severity,
)

# Population Stability Index bands: (lower bound inclusive, band). A PSI of exactly 0.10 is a
# moderate shift and exactly 0.25 a major one (the usual reading of the bands).
PSI_BANDS: tuple[tuple[Decimal, str], ...] = (
    (Decimal("0.25"), DriftBand.MAJOR),
    (Decimal("0.10"), DriftBand.MODERATE),
    (Decimal("0"), DriftBand.STABLE),
)

# An empty bin would make ln(c/r) infinite. Empty bins get this proportion instead, and the
# proportions are renormalised to sum to one (docs/monitoring.md shows the arithmetic).
PSI_EPSILON = 1e-4

# EU AI Act Art 73: the latest a serious incident may be reported, after awareness.
ART73_REPORT_DEADLINES: dict[str, dt.timedelta] = {
    SeriousCategory.CRITICAL_INFRASTRUCTURE: dt.timedelta(days=2),  # Art 73(3)
    SeriousCategory.WIDESPREAD_INFRINGEMENT: dt.timedelta(days=2),  # Art 73(3)
    SeriousCategory.DEATH: dt.timedelta(days=10),  # Art 73(4)
    SeriousCategory.OTHER: dt.timedelta(days=15),  # Art 73(2)
}

# Reminders before the deadline, as shares of the time from awareness to the deadline, plus
# one when it has passed.
REMINDER_SHARES: tuple[Decimal, ...] = (Decimal("0.5"), Decimal("0.8"))

INCIDENT_TRANSITIONS: dict[str, frozenset[str]] = {
    IncidentStatus.OPEN: frozenset({IncidentStatus.INVESTIGATING, IncidentStatus.REPORTED}),
    IncidentStatus.INVESTIGATING: frozenset(
        {IncidentStatus.REPORTED, IncidentStatus.CORRECTIVE_ACTION, IncidentStatus.CLOSED}
    ),
    # An initial report may be followed by the complete one while staying "reported".
    IncidentStatus.REPORTED: frozenset(
        {IncidentStatus.REPORTED, IncidentStatus.CORRECTIVE_ACTION, IncidentStatus.CLOSED}
    ),
    IncidentStatus.CORRECTIVE_ACTION: frozenset({IncidentStatus.CLOSED}),
    IncidentStatus.CLOSED: frozenset(),
}

# A serious incident cannot be closed before the authority has had its report.
SERIOUS_CLOSE_NEEDS_REPORT = True

# Ingestion bounds (the API names the point that breaks them).
MAX_BATCH_POINTS = 10_000
MAX_BINS = 1_000

# A metric silent for longer than this many cadences opens a "monitoring silent" finding.
SILENCE_CADENCES = 2

# Plans start from these templates, by risk tier (a higher tier watches more, more often).
# (key, name, kind, direction, warning, breach, cadence hours, severity)
PlanRow = tuple[str, str, str, str, Decimal, Decimal, int, str]
_BASE: tuple[PlanRow, ...] = (
    (
        "accuracy",
        "Accuracy",
        MetricKind.PERFORMANCE,
        Direction.HIGHER_IS_BETTER,
        Decimal("0.85"),
        Decimal("0.80"),
        24,
        Severity.MEDIUM,
    ),
    (
        "missing_rate",
        "Share of missing input values",
        MetricKind.DATA_QUALITY,
        Direction.LOWER_IS_BETTER,
        Decimal("0.05"),
        Decimal("0.10"),
        24,
        Severity.MEDIUM,
    ),
)
_FAIRNESS: PlanRow = (
    "selection_rate_ratio",
    "Lowest selection-rate ratio between groups",
    MetricKind.FAIRNESS,
    Direction.HIGHER_IS_BETTER,
    Decimal("0.85"),
    Decimal("0.80"),
    24 * 7,
    Severity.HIGH,
)
PLAN_TEMPLATES: dict[str, tuple[PlanRow, ...]] = {
    "I": _BASE,
    "II": _BASE,
    "III": (*_BASE, _FAIRNESS),
    "IV": (
        *((*row[:6], 12, Severity.HIGH) for row in _BASE),
        (*_FAIRNESS[:7], Severity.CRITICAL),
    ),
}
