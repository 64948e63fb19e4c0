"""Post-market monitoring (EU AI Act Art 72) and serious incidents (Art 73).

Plans are versioned (a change makes a new version; the old one stays as evidence).
Observations are stored per point but ledgered per batch: the batch row carries the SHA-256 of
the canonical batch and its count, and the ledger event names both.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from governance.core.models import BaseModel, ImmutableQuerySet
from governance.monitoring.choices import (
    AlertLevel,
    AuthorityReportKind,
    DeploymentActionKind,
    Direction,
    DriftBand,
    IncidentStatus,
    MetricKind,
    SeriousCategory,
    Severity,
)


class MonitoringPlan(BaseModel):
    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="monitoring_plans"
    )
    version = models.PositiveIntegerField()
    is_current = models.BooleanField(default=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ("deployment", "-version")  # type: ignore[assignment]
        constraints = [
            models.UniqueConstraint(
                fields=("deployment", "version"), name="monitoring_plan_version_unique"
            ),
            models.UniqueConstraint(
                fields=("deployment",),
                condition=models.Q(is_current=True),
                name="monitoring_plan_one_current",
            ),
        ]

    def __str__(self) -> str:
        return f"Monitoring plan v{self.version} of {self.deployment_id}"


class PlanMetric(models.Model):
    plan = models.ForeignKey(MonitoringPlan, on_delete=models.CASCADE, related_name="metrics")
    key = models.SlugField(max_length=80, help_text="what pipelines send as `metric`")
    name = models.CharField(max_length=200)
    kind = models.CharField(max_length=20, choices=MetricKind.choices)
    direction = models.CharField(max_length=20, choices=Direction.choices)
    warning_threshold = models.DecimalField(max_digits=14, decimal_places=6)
    breach_threshold = models.DecimalField(max_digits=14, decimal_places=6)
    cadence_hours = models.PositiveIntegerField(help_text="how often a value is expected")
    severity = models.CharField(max_length=10, choices=Severity.choices)
    feature = models.CharField(max_length=200, blank=True, help_text="for drift metrics")

    class Meta:
        ordering = ("plan", "key")
        constraints = [
            models.UniqueConstraint(fields=("plan", "key"), name="plan_metric_key_unique"),
            models.CheckConstraint(
                condition=models.Q(cadence_hours__gte=1), name="plan_metric_cadence_positive"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def level_of(self, value: float) -> str | None:
        """The alert level a value reaches (breach before warning), or None when it is fine."""
        worse_when_lower = self.direction == Direction.HIGHER_IS_BETTER
        for level, threshold in (
            (AlertLevel.BREACH, self.breach_threshold),
            (AlertLevel.WARNING, self.warning_threshold),
        ):
            limit = float(threshold)
            if (value < limit) if worse_when_lower else (value > limit):
                return level
        return None


class ObservationBatch(BaseModel):
    """One call of the ingestion API: what the ledger names (SHA-256 and count)."""

    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="observation_batches"
    )
    sha256 = models.CharField(max_length=64)
    count = models.PositiveIntegerField()
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ImmutableQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.count} observations ({self.sha256[:12]})"


class Observation(models.Model):
    # Integer key: millions of rows, never shown in a URL.
    id = models.BigAutoField(primary_key=True)
    batch = models.ForeignKey(ObservationBatch, on_delete=models.PROTECT, related_name="points")
    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="+", db_index=False
    )
    metric = models.SlugField(max_length=80, db_index=False)
    segment = models.CharField(max_length=200, blank=True)
    value = models.FloatField()
    window_start = models.DateTimeField()
    window_end = models.DateTimeField()

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=("deployment", "metric", "window_end"), name="observation_series_idx"
            )
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(window_end__gte=models.F("window_start")),
                name="observation_window_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"{self.metric}={self.value}"


class DriftResult(BaseModel):
    """PSI and Jensen–Shannon distance of one feature, with the counts and ε that gave them."""

    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="drift_results"
    )
    feature = models.CharField(max_length=200)
    bins = models.JSONField(default=list, blank=True)
    reference_counts = models.JSONField()
    current_counts = models.JSONField()
    epsilon = models.FloatField()
    psi = models.FloatField()
    js_distance = models.FloatField()
    band = models.CharField(max_length=10, choices=DriftBand.choices)
    window_start = models.DateTimeField(null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    received_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=("deployment", "feature", "-created_at"), name="drift_idx")]

    def __str__(self) -> str:
        return f"PSI {self.psi:.4f} on {self.feature}"


class Alert(BaseModel):
    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="monitoring_alerts"
    )
    metric = models.SlugField(max_length=80)
    level = models.CharField(max_length=10, choices=AlertLevel.choices)
    value = models.FloatField(null=True, blank=True)
    threshold = models.DecimalField(max_digits=14, decimal_places=6, null=True, blank=True)
    window_end = models.DateTimeField(null=True, blank=True)
    batch = models.ForeignKey(
        ObservationBatch, null=True, blank=True, on_delete=models.PROTECT, related_name="alerts"
    )
    # The finding this alert opened or was attached to (the findings room knows alerts only
    # as a source kind and this id).
    finding_id = models.UUIDField(null=True, blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta(BaseModel.Meta):
        indexes = [models.Index(fields=("deployment", "metric", "-created_at"), name="alert_idx")]

    def __str__(self) -> str:
        return f"{self.get_level_display()} of {self.metric}"


class Incident(BaseModel):
    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="incidents"
    )
    title = models.CharField(max_length=200)
    description = models.TextField()
    occurred_at = models.DateTimeField()
    aware_at = models.DateTimeField()
    severity = models.CharField(max_length=10, choices=Severity.choices)
    serious = models.BooleanField(default=False)
    serious_category = models.CharField(
        max_length=30, choices=SeriousCategory.choices, blank=True, default=""
    )
    report_due_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=20, choices=IncidentStatus.choices, default=IncidentStatus.OPEN
    )
    reported_at = models.DateTimeField(null=True, blank=True)
    report_kind = models.CharField(
        max_length=10, choices=AuthorityReportKind.choices, blank=True, default=""
    )
    authority = models.CharField(max_length=200, blank=True)
    authority_reference = models.CharField(max_length=200, blank=True)
    corrective_action = models.TextField(blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminders_sent = models.PositiveSmallIntegerField(
        default=0, help_text="how many of the clock's reminders went out (50 %, 80 %, overdue)"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(aware_at__gte=models.F("occurred_at")),
                name="incident_aware_after_occurred",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(serious=False, serious_category="")
                    | (models.Q(serious=True) & ~models.Q(serious_category=""))
                ),
                name="incident_serious_has_category",
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=IncidentStatus.values),
                name="incident_status_known",
            ),
        ]
        indexes = [models.Index(fields=("status", "report_due_at"), name="incident_clock_idx")]

    def __str__(self) -> str:
        return self.title


class DeploymentAction(BaseModel):
    """A suspension or rollback taken in response to an incident (who, why, where to)."""

    incident = models.ForeignKey(
        Incident, null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=DeploymentActionKind.choices)
    reason = models.TextField()
    rollback_to = models.ForeignKey(
        "inventory.Deployment", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    objects = ImmutableQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.reason[:40]}"
