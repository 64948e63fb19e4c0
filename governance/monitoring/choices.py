"""The vocabularies of the monitoring room (states as data; labels people read)."""

from __future__ import annotations

from django.db import models


class MetricKind(models.TextChoices):
    PERFORMANCE = "performance", "Performance (accuracy, AUC, error rate …)"
    DATA_QUALITY = "data_quality", "Data quality (missing rate …)"
    DRIFT = "drift", "Drift of one input feature (PSI)"
    FAIRNESS = "fairness", "Fairness in production (selection-rate ratio …)"


class Direction(models.TextChoices):
    # Which way is worse decides how a value is compared with the thresholds.
    HIGHER_IS_BETTER = "higher_is_better", "Higher is better (alert when it falls)"
    LOWER_IS_BETTER = "lower_is_better", "Lower is better (alert when it rises)"


class Severity(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class AlertLevel(models.TextChoices):
    WARNING = "warning", "Warning"
    BREACH = "breach", "Breach"
    SILENT = "silent", "Monitoring silent"


class DriftBand(models.TextChoices):
    STABLE = "stable", "Stable"
    MODERATE = "moderate", "Moderate shift"
    MAJOR = "major", "Major shift"


class SeriousCategory(models.TextChoices):
    # EU AI Act Art 3(49) and Art 73(2)-(4): the category decides the reporting clock.
    DEATH = "death", "Death of a person"
    CRITICAL_INFRASTRUCTURE = (
        "critical_infrastructure",
        "Serious and irreversible disruption of critical infrastructure",
    )
    WIDESPREAD_INFRINGEMENT = "widespread_infringement", "Widespread infringement"
    OTHER = "other", "Harm to health, fundamental rights, property or the environment"


class IncidentStatus(models.TextChoices):
    OPEN = "open", "Open"
    INVESTIGATING = "investigating", "Investigating"
    REPORTED = "reported", "Reported to the authority"
    CORRECTIVE_ACTION = "corrective_action", "Corrective action"
    CLOSED = "closed", "Closed"


class AuthorityReportKind(models.TextChoices):
    # Art 73(5): an incomplete initial report may come first, the complete one after.
    INITIAL = "initial", "Initial (incomplete) report"
    COMPLETE = "complete", "Complete report"


class DeploymentActionKind(models.TextChoices):
    SUSPEND = "suspend", "Suspended"
    ROLLBACK = "rollback", "Rolled back"
