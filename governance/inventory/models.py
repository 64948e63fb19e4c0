from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models

from governance.core.models import BaseModel
from governance.inventory.choices import (
    AREA_OF_POINT,
    AnnexIIIArea,
    AnnexIIIPoint,
    DeploymentStatus,
    Hosting,
    LegalBasis,
    RolloutPattern,
    Sourcing,
)

SHA256_VALIDATOR = RegexValidator(
    r"^[0-9a-f]{64}$", "Enter exactly 64 lowercase hexadecimal characters (a SHA-256 digest)."
)
ENVIRONMENT_VALIDATOR = RegexValidator(
    r"^[a-z0-9][a-z0-9-]{0,62}$",
    "Use lowercase letters, digits and hyphens, e.g. prod-eu.",
)


class AISystem(BaseModel):
    name = models.CharField(max_length=200, unique=True)
    purpose = models.TextField()
    intended_use = models.TextField(blank=True)
    business_unit = models.CharField(max_length=200, blank=True)
    people_affected = models.TextField(
        blank=True, help_text="Who is affected by the system's outputs, and roughly how many"
    )
    sourcing = models.CharField(max_length=20, choices=Sourcing.choices, default=Sourcing.IN_HOUSE)
    vendor_name = models.CharField(max_length=200, blank=True)
    annex_iii_area = models.CharField(
        "EU AI Act Annex III area",
        max_length=40,
        choices=AnnexIIIArea.choices,
        default=AnnexIIIArea.NONE,
    )
    annex_iii_point = models.CharField(
        "EU AI Act Annex III point",
        max_length=2,
        choices=AnnexIIIPoint.choices,
        blank=True,
        help_text="Duties differ by point: e.g. Art 27 applies to 5(b) credit scoring, not 4(a)",
    )
    profiles_natural_persons = models.BooleanField(
        default=False, help_text="Profiling in the sense of GDPR Art 4(4)"
    )
    public_service = models.BooleanField(
        "used by a public body or to provide a public service",
        default=False,
        help_text="Deployers that are public bodies or provide public services owe Art 27",
    )
    nyc_employment_decisions = models.BooleanField(
        "used for hiring or promotion in New York City",
        default=False,
        help_text="An automated employment decision tool under NYC Local Law 144",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ("name",)
        verbose_name = "AI system"
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(sourcing=Sourcing.VENDOR) | ~models.Q(vendor_name=""),
                name="aisystem_vendor_named",
                violation_error_message="A vendor-sourced system needs a vendor name.",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        super().clean()
        if not self.annex_iii_point:
            return
        area = AREA_OF_POINT.get(self.annex_iii_point)
        if area is None:
            return  # the field's own choices validation names the bad value
        # A point names its area, so the area is derived from it when left at "none";
        # a different area than the point's is a contradiction the person must resolve.
        if self.annex_iii_area in ("", AnnexIIIArea.NONE):
            self.annex_iii_area = area
        elif self.annex_iii_area != area:
            raise ValidationError(
                {
                    "annex_iii_point": (
                        f"Point {self.get_annex_iii_point_display()} belongs to the area "
                        f"{AnnexIIIArea(area).label}, not {self.get_annex_iii_area_display()}."
                    )
                }
            )


class Dataset(BaseModel):
    name = models.CharField(max_length=200, unique=True)
    source = models.TextField(help_text="Where the data comes from")
    collection_purpose = models.TextField()
    personal_data_categories = models.JSONField(default=list, blank=True)
    legal_basis = models.CharField(max_length=30, choices=LegalBasis.choices)
    retention_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="How long the data is kept; empty when not limited"
    )
    minimisation_notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ("name",)

    def __str__(self) -> str:
        return self.name


class ModelVersion(BaseModel):
    system = models.ForeignKey(AISystem, on_delete=models.PROTECT, related_name="versions")
    version_label = models.CharField(max_length=100)
    artifact_uri = models.CharField("artifact location (URI)", max_length=500)
    artifact_sha256 = models.CharField(
        "artifact SHA-256", max_length=64, validators=[SHA256_VALIDATOR]
    )
    training_datasets = models.ManyToManyField(Dataset, blank=True, related_name="model_versions")
    evaluation_metrics = models.JSONField(default=dict, blank=True)
    intended_use = models.TextField(blank=True)
    out_of_scope_uses = models.TextField(blank=True)
    limitations = models.TextField(blank=True)
    ethical_considerations = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=("system", "version_label"), name="modelversion_label_unique_per_system"
            ),
            models.CheckConstraint(
                condition=models.Q(artifact_sha256__regex=r"^[0-9a-f]{64}$"),
                name="modelversion_sha256_hex64",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.system.name} {self.version_label}"


class Deployment(BaseModel):
    model_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="deployments"
    )
    environment = models.CharField(max_length=63, validators=[ENVIRONMENT_VALIDATOR])
    description = models.TextField(blank=True)
    hosting = models.CharField(max_length=20, choices=Hosting.choices)
    region = models.CharField(max_length=100)
    data_residency = models.CharField(max_length=100, blank=True)
    rollout_pattern = models.CharField(
        max_length=10, choices=RolloutPattern.choices, default=RolloutPattern.FULL
    )
    traffic_percent = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text="Canary traffic share or the A/B split given to this model",
    )
    rollback_target = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    requires_independent_bias_audit = models.BooleanField(default=False)
    status = models.CharField(
        max_length=20, choices=DeploymentStatus.choices, default=DeploymentStatus.DRAFT
    )
    status_changed_at = models.DateTimeField(null=True, blank=True)
    fingerprint = models.CharField(
        max_length=64, help_text="SHA-256 of the canonical material configuration"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    # Set by `deployment_update` on the instance it returns: what its material change voided.
    voided: Sequence[str] = ()

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=DeploymentStatus.values),
                name="deployment_status_known",
            ),
            models.CheckConstraint(
                condition=(
                    models.Q(
                        rollout_pattern__in=[RolloutPattern.FULL, RolloutPattern.SHADOW],
                        traffic_percent__isnull=True,
                    )
                    | models.Q(
                        rollout_pattern__in=[RolloutPattern.CANARY, RolloutPattern.AB],
                        traffic_percent__gte=1,
                        traffic_percent__lte=99,
                    )
                ),
                name="deployment_traffic_matches_pattern",
            ),
            models.UniqueConstraint(
                fields=("model_version", "environment"),
                condition=~models.Q(status=DeploymentStatus.RETIRED),
                name="deployment_one_live_per_version_environment",
                violation_error_message=(
                    "This model version already has a deployment in that environment."
                ),
            ),
        ]
        indexes = [models.Index(fields=("status", "environment"), name="deployment_status_env_idx")]

    def __str__(self) -> str:
        return f"{self.model_version} → {self.environment}"
