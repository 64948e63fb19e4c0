"""Bias audit records and their per-category results.

A final audit is evidence: the ORM refuses to change or delete it (and its results), the
admin only shows it, and a correction is a new audit that supersedes it. Drafts can still
be edited, have exclusions chosen, or be discarded, all through `audits.bias.services`.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from audits.bias.choices import (
    AUDIT_TYPE_TITLES,
    INDEPENDENCE_STATEMENTS,
    AuditStatus,
    AuditType,
    DataFormat,
    DataSource,
)
from governance.core.models import BaseModel, ImmutableRecordError
from governance.inventory.models import SHA256_VALIDATOR, Deployment, ModelVersion


def upload_path(instance: BiasAudit, filename: str) -> str:
    # The audit id keeps uploads apart; the original name is kept in `file_name` only.
    return f"bias-audits/{instance.pk}/data.csv"


class BiasAuditQuerySet(models.QuerySet["BiasAudit"]):
    """Bulk writes may touch drafts only; a final audit is never rewritten or deleted."""

    def _refuse_final(self) -> None:
        if self.filter(status=AuditStatus.FINAL).exists():
            raise ImmutableRecordError("final bias audits are immutable")

    def update(self, **kwargs: Any) -> int:
        self._refuse_final()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._refuse_final()
        return super().delete()

    def independent(self) -> BiasAuditQuerySet:
        return self.filter(**dict.fromkeys(INDEPENDENCE_STATEMENTS, True))


class BiasAudit(BaseModel):
    deployment = models.ForeignKey(
        Deployment,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="bias_audits",
        help_text="Empty when the audit covers the model version wherever it is deployed",
    )
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="bias_audits"
    )
    audit_type = models.CharField(max_length=20, choices=AuditType.choices)
    data_format = models.CharField(max_length=10, choices=DataFormat.choices)
    status = models.CharField(max_length=10, choices=AuditStatus.choices, default=AuditStatus.DRAFT)

    auditor_name = models.CharField(max_length=200)
    auditor_organisation = models.CharField(max_length=200)
    attests_not_involved = models.BooleanField(
        default=False, help_text=INDEPENDENCE_STATEMENTS["attests_not_involved"]
    )
    attests_no_employment = models.BooleanField(
        default=False, help_text=INDEPENDENCE_STATEMENTS["attests_no_employment"]
    )
    attests_no_financial_interest = models.BooleanField(
        default=False, help_text=INDEPENDENCE_STATEMENTS["attests_no_financial_interest"]
    )

    data_source = models.CharField(max_length=20, choices=DataSource.choices)
    data_description = models.TextField(help_text="Source and explanation of the data")
    test_data_explanation = models.TextField(
        blank=True,
        help_text="For test data: why historical data was insufficient and how it was made",
    )
    data_period_start = models.DateField()
    data_period_end = models.DateField()
    distribution_date = models.DateField(help_text="When the tool was first distributed")
    audit_date = models.DateField()
    next_due_date = models.DateField()

    dimensions = models.JSONField(help_text="Column names audited as dimensions, in order")
    column_mapping = models.JSONField(help_text="Role → column name in the uploaded file")
    unknown_values = models.JSONField(help_text="Cell values read as an unknown category")
    privileged_groups = models.JSONField(default=dict, blank=True)

    data_file = models.FileField(upload_to=upload_path, max_length=255)
    file_name = models.CharField(max_length=255)
    file_sha256 = models.CharField(max_length=64, validators=[SHA256_VALIDATOR])
    file_size = models.BigIntegerField()

    total_count = models.BigIntegerField(help_text="People in the audit data")
    unknown_count = models.BigIntegerField(
        help_text="People whose category is unknown in at least one audited dimension"
    )
    median_score = models.FloatField(null=True, blank=True)
    dimension_summaries = models.JSONField(default=list)
    library_versions = models.JSONField(default=dict)

    supersedes = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    finalised_at = models.DateTimeField(null=True, blank=True)
    finalised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = BiasAuditQuerySet.as_manager()
    _stored_status = ""

    class Meta:
        ordering = ("-audit_date", "-created_at")
        indexes = [
            models.Index(fields=("deployment", "status", "audit_date"), name="biasaudit_gate_idx"),
            models.Index(
                fields=("model_version", "status", "audit_date"), name="biasaudit_version_idx"
            ),
            models.Index(fields=("status", "next_due_date"), name="biasaudit_due_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=AuditStatus.values), name="biasaudit_status_known"
            ),
            models.CheckConstraint(
                condition=models.Q(audit_type__in=AuditType.values), name="biasaudit_type_known"
            ),
            models.CheckConstraint(
                condition=models.Q(data_format=DataFormat.ROWS)
                | models.Q(audit_type=AuditType.SELECTION),
                name="biasaudit_counts_only_for_selection",
                violation_error_message=(
                    "Aggregated counts can only be used for selection audits."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(data_source=DataSource.HISTORICAL)
                | ~models.Q(test_data_explanation=""),
                name="biasaudit_test_data_explained",
                violation_error_message=(
                    "Test data needs an explanation of why historical data was insufficient "
                    "and how the test data was generated."
                ),
            ),
            models.CheckConstraint(
                condition=models.Q(data_period_start__lte=models.F("data_period_end")),
                name="biasaudit_period_ordered",
                violation_error_message="The data period must start before it ends.",
            ),
            models.CheckConstraint(
                condition=models.Q(next_due_date__gt=models.F("audit_date")),
                name="biasaudit_due_after_audit",
                violation_error_message="The next due date must be after the audit date.",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(audit_type=AuditType.SCORING, median_score__isnull=False)
                    | (
                        ~models.Q(audit_type=AuditType.SCORING)
                        & models.Q(median_score__isnull=True)
                    )
                ),
                name="biasaudit_median_only_for_scoring",
            ),
            models.CheckConstraint(
                condition=models.Q(status=AuditStatus.DRAFT)
                | models.Q(finalised_at__isnull=False, finalised_by__isnull=False),
                name="biasaudit_final_has_finaliser",
            ),
            models.CheckConstraint(
                condition=models.Q(file_size__gte=1)
                & models.Q(total_count__gte=1)
                & models.Q(unknown_count__gte=0)
                & models.Q(unknown_count__lte=models.F("total_count")),
                name="biasaudit_counts_consistent",
            ),
            models.CheckConstraint(
                condition=models.Q(file_sha256__regex=r"^[0-9a-f]{64}$"),
                name="biasaudit_sha256_hex64",
            ),
            models.UniqueConstraint(
                fields=("supersedes",),
                condition=models.Q(status=AuditStatus.FINAL),
                name="biasaudit_one_final_successor",
                violation_error_message="This audit has already been superseded by a final one.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.type_title} bias audit of {self.audit_date:%Y-%m-%d}"

    @property
    def type_title(self) -> str:
        return AUDIT_TYPE_TITLES.get(self.audit_type, self.get_audit_type_display())

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> BiasAudit:
        instance = super().from_db(db, field_names, values)
        instance._stored_status = str(instance.__dict__.get("status", ""))
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        # What the database holds decides: a final audit is never written again.
        if getattr(self, "_stored_status", None) == AuditStatus.FINAL:
            raise ImmutableRecordError("final bias audits are immutable")
        super().save(*args, **kwargs)
        self._stored_status = self.status

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if BiasAudit.objects.filter(pk=self.pk, status=AuditStatus.FINAL).exists():
            raise ImmutableRecordError("final bias audits are immutable")
        return super().delete(*args, **kwargs)

    @property
    def is_final(self) -> bool:
        return self.status == AuditStatus.FINAL

    @property
    def is_independent(self) -> bool:
        return all(getattr(self, name) for name in INDEPENDENCE_STATEMENTS)

    @property
    def independence(self) -> list[tuple[str, bool]]:
        return [(text, getattr(self, name)) for name, text in INDEPENDENCE_STATEMENTS.items()]

    @property
    def system(self) -> Any:
        return self.model_version.system


class BiasResultQuerySet(models.QuerySet["BiasAuditResult"]):
    def _refuse_final(self) -> None:
        if self.filter(audit__status=AuditStatus.FINAL).exists():
            raise ImmutableRecordError("results of a final bias audit are immutable")

    def update(self, **kwargs: Any) -> int:
        self._refuse_final()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._refuse_final()
        return super().delete()


class BiasAuditResult(BaseModel):
    """One category of one dimension (or of the intersection), as computed from the file."""

    audit = models.ForeignKey(BiasAudit, on_delete=models.CASCADE, related_name="results")
    dimension = models.CharField(max_length=300)
    is_intersection = models.BooleanField(default=False)
    category = models.CharField(max_length=600)
    position = models.PositiveIntegerField()
    n = models.BigIntegerField()
    selected = models.BigIntegerField(help_text="Selected, or scored strictly above the median")
    rate = models.FloatField(null=True, blank=True)
    impact_ratio = models.FloatField(null=True, blank=True)
    is_reference = models.BooleanField(default=False)
    flagged = models.BooleanField(default=False)
    z = models.FloatField(null=True, blank=True)
    p_value_z = models.FloatField(null=True, blank=True)
    p_value_fisher = models.FloatField(null=True, blank=True)
    below_two_percent = models.BooleanField(default=False)
    excluded = models.BooleanField(default=False)
    exclusion_justification = models.TextField(blank=True)
    tpr = models.FloatField("true positive rate", null=True, blank=True)
    fpr = models.FloatField("false positive rate", null=True, blank=True)

    objects = BiasResultQuerySet.as_manager()

    class Meta:
        ordering = ("audit", "position")
        constraints = [
            models.UniqueConstraint(
                fields=("audit", "dimension", "category"), name="biasresult_unique_category"
            ),
            models.UniqueConstraint(
                fields=("audit", "dimension"),
                condition=models.Q(is_reference=True),
                name="biasresult_one_reference",
            ),
            models.CheckConstraint(
                condition=models.Q(n__gte=0, selected__gte=0, selected__lte=models.F("n")),
                name="biasresult_counts_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(excluded=False)
                | models.Q(
                    below_two_percent=True,
                    impact_ratio__isnull=True,
                    flagged=False,
                    is_reference=False,
                )
                & ~models.Q(exclusion_justification=""),
                name="biasresult_exclusion_rule",
                violation_error_message=(
                    "Only a category under 2 % of the data can be excluded, with a "
                    "justification, and it then has no impact ratio."
                ),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dimension}: {self.category}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if BiasAudit.objects.filter(pk=self.audit_id, status=AuditStatus.FINAL).exists():
            raise ImmutableRecordError("results of a final bias audit are immutable")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if BiasAudit.objects.filter(pk=self.audit_id, status=AuditStatus.FINAL).exists():
            raise ImmutableRecordError("results of a final bias audit are immutable")
        return super().delete(*args, **kwargs)
