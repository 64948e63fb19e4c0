"""Risk records: methodologies (immutable data files), assessments, staleness marks, and the
risk register with its acceptances.

Evidence is never rewritten. A loaded methodology, a submitted assessment, a staleness mark
and a risk acceptance refuse updates and deletes at the ORM level; a newer assessment
supersedes an older one by pointing at it, so nothing about the older row changes.
"""

from __future__ import annotations

from functools import cached_property
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q

from governance.core.models import BaseModel, ImmutableQuerySet, ImmutableRecordError
from governance.risk.methodology import (
    KIND_DPIA,
    KIND_EU,
    KIND_FRIA,
    KIND_IMPACT,
    Spec,
    build_spec,
)
from governance.risk.tiers import IMPACT_LEVEL_CHOICES, IMPACT_LEVELS, EUClass, Tier

SHA256_CHECK = r"^[0-9a-f]{64}$"


class MethodologyKind(models.TextChoices):
    IMPACT = KIND_IMPACT, "Impact assessment"
    EU_CLASSIFICATION = KIND_EU, "EU AI Act classification"
    FRIA = KIND_FRIA, "Fundamental-rights impact assessment (EU AI Act Art 27)"
    DPIA = KIND_DPIA, "Data protection impact assessment (GDPR Art 35)"


class Methodology(BaseModel):
    """One version of a methodology file, exactly as loaded (source text and its SHA-256)."""

    slug = models.CharField(max_length=50)
    version = models.CharField(max_length=30)
    kind = models.CharField(max_length=20, choices=MethodologyKind.choices)
    title = models.CharField(max_length=200)
    sha256 = models.CharField("SHA-256 of the file", max_length=64)
    source = models.TextField(help_text="The file's text, byte for byte (UTF-8)")
    file_name = models.CharField(max_length=255, blank=True)
    definition = models.JSONField(help_text="The validated, normalised definition")
    eu_classification = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The EU AI Act questionnaire answered alongside this impact methodology",
    )
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta:
        ordering = ("slug", "version")
        verbose_name_plural = "methodologies"
        constraints = [
            models.UniqueConstraint(fields=("slug", "version"), name="methodology_slug_version"),
            models.CheckConstraint(
                condition=Q(sha256__regex=SHA256_CHECK), name="methodology_sha256_hex64"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=MethodologyKind.values), name="methodology_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(kind=KIND_IMPACT) | Q(eu_classification__isnull=True),
                name="methodology_only_impact_links_classification",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.slug} v{self.version}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("a loaded methodology never changes: load a new version")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("methodologies are kept for as long as their assessments")

    @cached_property
    def spec(self) -> Spec:
        return build_spec(self.definition)

    @property
    def short_sha(self) -> str:
        return self.sha256[:12]


class AssessmentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"


# The assessment lifecycle as data: a draft is submitted once, after which it never changes.
ASSESSMENT_TRANSITIONS = frozenset({(AssessmentStatus.DRAFT, AssessmentStatus.SUBMITTED)})


class RiskAssessment(BaseModel):
    """Answers to one methodology version for one deployment, with every computed figure.

    The figures are stored, not recomputed on display, so the record shows what was decided;
    `methodology` (with its SHA-256 and source) lets anyone recompute them.
    """

    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="risk_assessments"
    )
    methodology = models.ForeignKey(Methodology, on_delete=models.PROTECT, related_name="+")
    eu_methodology = models.ForeignKey(
        Methodology, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=10, choices=AssessmentStatus.choices, default=AssessmentStatus.DRAFT
    )
    answers = models.JSONField(default=dict, blank=True)
    inventory_facts = models.JSONField(
        default=dict, blank=True, help_text="What the inventory said when the answers were saved"
    )
    raw_score = models.PositiveIntegerField(default=0)
    max_raw_score = models.PositiveIntegerField(default=0)
    mitigation_score = models.PositiveIntegerField(default=0)
    max_mitigation_score = models.PositiveIntegerField(default=0)
    deduction_applied = models.BooleanField(default=False)
    score = models.PositiveIntegerField(default=0)
    score_pct = models.DecimalField(max_digits=5, decimal_places=2, default=0)
    level = models.CharField(max_length=4, choices=IMPACT_LEVEL_CHOICES)
    eu_class = models.CharField(max_length=12, choices=EUClass.choices, blank=True)
    eu_rule = models.CharField(max_length=64, blank=True)
    rationale = models.TextField(blank=True)
    tier = models.CharField(max_length=8, choices=Tier.choices)
    breakdown = models.JSONField(default=list, blank=True, help_text="Points by section")
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text="The deployment's fingerprint when submitted"
    )
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )
    carried_over_from = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text="The earlier submitted assessment this one's answers started from",
    )
    carried_over = models.JSONField(
        default=list,
        blank=True,
        help_text="Question ids whose answer was carried over and not yet changed or confirmed",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=AssessmentStatus.values), name="assessment_status_known"
            ),
            models.CheckConstraint(condition=Q(tier__in=Tier.values), name="assessment_tier_known"),
            models.CheckConstraint(
                condition=Q(level__in=[t.value for t in IMPACT_LEVELS]),
                name="assessment_level_known",
            ),
            models.CheckConstraint(
                condition=Q(eu_class="") | Q(eu_class__in=EUClass.values),
                name="assessment_eu_class_known",
            ),
            models.CheckConstraint(
                condition=(
                    Q(
                        status=AssessmentStatus.DRAFT,
                        submitted_at__isnull=True,
                        submitted_by__isnull=True,
                        supersedes__isnull=True,
                    )
                    | (
                        Q(
                            status=AssessmentStatus.SUBMITTED,
                            submitted_at__isnull=False,
                            submitted_by__isnull=False,
                        )
                        & Q(fingerprint__regex=SHA256_CHECK)
                    )
                ),
                name="assessment_submission_complete",
            ),
            models.CheckConstraint(
                condition=Q(raw_score__lte=F("max_raw_score"))
                & Q(score__lte=F("raw_score"))
                & Q(mitigation_score__lte=F("max_mitigation_score")),
                name="assessment_scores_within_maxima",
            ),
            # A prohibited practice always means a blocked tier, whatever the impact level.
            models.CheckConstraint(
                condition=~Q(eu_class=EUClass.PROHIBITED) | Q(tier=Tier.BLOCKED),
                name="assessment_prohibited_is_blocked",
            ),
        ]
        indexes = [
            models.Index(fields=("deployment", "status", "submitted_at"), name="assessment_dep_idx")
        ]

    def __str__(self) -> str:
        return f"{self.methodology} assessment ({self.get_status_display().lower()})"

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> RiskAssessment:
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.status
        return instance

    def _was_submitted(self) -> bool:
        return getattr(self, "_stored_status", None) == AssessmentStatus.SUBMITTED

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A submitted assessment is evidence: only a new assessment can change the outcome.
        if not self._state.adding and self._was_submitted():
            raise ImmutableRecordError("a submitted risk assessment cannot be changed")
        super().save(*args, **kwargs)
        self._stored_status = self.status

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if self._was_submitted() or self.status == AssessmentStatus.SUBMITTED:
            raise ImmutableRecordError("a submitted risk assessment cannot be deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_submitted(self) -> bool:
        return self.status == AssessmentStatus.SUBMITTED

    def _mark(self) -> StaleMark | None:
        try:
            return self.stale_mark
        except StaleMark.DoesNotExist:
            return None

    @property
    def is_stale(self) -> bool:
        """Submitted, and the deployment changed materially since (or it was marked stale)."""
        if not self.is_submitted:
            return False
        return self._mark() is not None or self.deployment.fingerprint != self.fingerprint

    @property
    def stale_since(self) -> Any:
        mark = self._mark()
        if mark is not None:
            return mark.created_at
        return self.deployment.updated_at if self.is_stale else None

    @property
    def is_blocked(self) -> bool:
        return self.tier == Tier.BLOCKED


class StaleMark(BaseModel):
    """Records that a material change made a submitted assessment stale (evidence, immutable)."""

    assessment = models.OneToOneField(
        RiskAssessment, on_delete=models.PROTECT, related_name="stale_mark"
    )
    fingerprint_before = models.CharField(max_length=64)
    fingerprint_after = models.CharField(max_length=64)
    marked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = ImmutableQuerySet.as_manager()

    def __str__(self) -> str:
        return f"stale since {self.created_at:%Y-%m-%d}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("staleness marks are never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("staleness marks are never deleted")


# --- Assessments the law names (FRIA, DPIA) ---------------------------------------------


class StatutoryKind(models.TextChoices):
    FRIA = KIND_FRIA, "Fundamental-rights impact assessment"
    DPIA = KIND_DPIA, "Data protection impact assessment"


class StatutoryStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted for sign-off"
    SIGNED = "signed", "Signed"


# Submitted answers are frozen for the signer; sending them back reopens the draft. A signed
# version never changes: a new version supersedes it.
STATUTORY_TRANSITIONS: dict[str, frozenset[str]] = {
    StatutoryStatus.DRAFT: frozenset({StatutoryStatus.SUBMITTED}),
    StatutoryStatus.SUBMITTED: frozenset({StatutoryStatus.SIGNED, StatutoryStatus.DRAFT}),
    StatutoryStatus.SIGNED: frozenset(),
}


class StatutoryAssessment(BaseModel):
    """One version of a deployment's Art 27 FRIA or GDPR Art 35 DPIA: answers and sign-off.

    Answered on a `fria` or `dpia` methodology (the same engine and files as the risk
    assessments, unscored). Versions count per deployment and kind; signing a version
    supersedes the deployment's previous signed one of that kind.
    """

    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="statutory_assessments"
    )
    kind = models.CharField(max_length=10, choices=StatutoryKind.choices)
    methodology = models.ForeignKey(Methodology, on_delete=models.PROTECT, related_name="+")
    version = models.PositiveIntegerField()
    status = models.CharField(
        max_length=10, choices=StatutoryStatus.choices, default=StatutoryStatus.DRAFT
    )
    answers = models.JSONField(default=dict, blank=True)
    answers_sha256 = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the submitted answers, as signed"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    submitted_at = models.DateTimeField(null=True, blank=True)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField(null=True, blank=True)
    signer_name = models.CharField(max_length=200, blank=True)
    signature_meaning = models.TextField(blank=True)
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text="The deployment's fingerprint when signed"
    )
    supersedes = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="superseded_by"
    )

    objects = ImmutableQuerySet.as_manager()

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=StatutoryKind.values), name="statutory_kind_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=StatutoryStatus.values), name="statutory_status_known"
            ),
            models.UniqueConstraint(
                fields=("deployment", "kind", "version"), name="statutory_version_unique"
            ),
            # One version in the making per deployment and kind.
            models.UniqueConstraint(
                fields=("deployment", "kind"),
                condition=~Q(status=StatutoryStatus.SIGNED),
                name="statutory_one_open_version",
            ),
            models.CheckConstraint(
                condition=Q(status=StatutoryStatus.DRAFT)
                | (
                    Q(submitted_at__isnull=False, submitted_by__isnull=False)
                    & Q(answers_sha256__regex=SHA256_CHECK)
                ),
                name="statutory_submission_complete",
            ),
            models.CheckConstraint(
                condition=(
                    ~Q(status=StatutoryStatus.SIGNED)
                    & Q(signed_at__isnull=True, signed_by__isnull=True, supersedes__isnull=True)
                )
                | (
                    Q(status=StatutoryStatus.SIGNED, signed_at__isnull=False)
                    & Q(signed_by__isnull=False, fingerprint__regex=SHA256_CHECK)
                    & ~Q(signature_meaning="")
                ),
                name="statutory_signature_complete",
            ),
            models.CheckConstraint(
                condition=~Q(supersedes=F("id")), name="statutory_not_self_superseding"
            ),
        ]
        indexes = [
            models.Index(fields=("deployment", "kind", "status"), name="statutory_dep_kind_idx")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} v{self.version}"

    @classmethod
    def from_db(cls, db: Any, field_names: Any, values: Any) -> StatutoryAssessment:
        instance = super().from_db(db, field_names, values)
        instance._stored_status = instance.status
        return instance

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A signed version is evidence: only a new version can record a different assessment.
        if not self._state.adding and getattr(self, "_stored_status", None) == "signed":
            raise ImmutableRecordError("a signed assessment cannot be changed")
        super().save(*args, **kwargs)
        self._stored_status = self.status

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        if getattr(self, "_stored_status", None) != StatutoryStatus.DRAFT:
            raise ImmutableRecordError("only a draft assessment can be deleted")
        return super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.status == StatutoryStatus.SIGNED

    @property
    def is_draft(self) -> bool:
        return self.status == StatutoryStatus.DRAFT

    @property
    def changed_since_signed(self) -> bool:
        """Signed, and the deployment changed materially since: time to review it."""
        return self.is_signed and self.deployment.fingerprint != self.fingerprint


# --- Risk register ----------------------------------------------------------------------


class RiskCategory(models.TextChoices):
    FAIRNESS = "fairness", "Fairness / bias"
    PRIVACY = "privacy", "Privacy"
    SECURITY = "security", "Security"
    ROBUSTNESS = "robustness", "Robustness"
    SAFETY = "safety", "Safety"
    LEGAL = "legal", "Legal"
    OPERATIONAL = "operational", "Operational"
    THIRD_PARTY = "third_party", "Third-party"


class Treatment(models.TextChoices):
    MITIGATE = "mitigate", "Mitigate"
    ACCEPT = "accept", "Accept"
    TRANSFER = "transfer", "Transfer"
    AVOID = "avoid", "Avoid"


class RiskStatus(models.TextChoices):
    OPEN = "open", "Open"
    ACCEPTED = "accepted", "Accepted"
    CLOSED = "closed", "Closed"


RISK_TRANSITIONS: dict[tuple[str, str], str] = {
    (RiskStatus.OPEN, RiskStatus.ACCEPTED): "residual risk accepted",
    (RiskStatus.OPEN, RiskStatus.CLOSED): "closed",
    (RiskStatus.ACCEPTED, RiskStatus.CLOSED): "closed",
    (RiskStatus.ACCEPTED, RiskStatus.OPEN): "reopened",
    (RiskStatus.CLOSED, RiskStatus.OPEN): "reopened",
}

# Residual scores from here up need a person with the executive role to accept them.
EXECUTIVE_ACCEPTANCE_SCORE = 15

_SCALE = [MinValueValidator(1), MaxValueValidator(5)]


class Risk(BaseModel):
    """One entry of a deployment's risk register: likelihood × impact before and after control."""

    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="risks"
    )
    category = models.CharField(max_length=20, choices=RiskCategory.choices)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    inherent_likelihood = models.PositiveSmallIntegerField(validators=_SCALE)
    inherent_impact = models.PositiveSmallIntegerField(validators=_SCALE)
    treatment = models.CharField(max_length=10, choices=Treatment.choices)
    control_description = models.TextField(
        blank=True, help_text="The control that treats the risk (not needed when accepting)"
    )
    residual_likelihood = models.PositiveSmallIntegerField(validators=_SCALE)
    residual_impact = models.PositiveSmallIntegerField(validators=_SCALE)
    inherent_score = models.GeneratedField(
        expression=F("inherent_likelihood") * F("inherent_impact"),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    residual_score = models.GeneratedField(
        expression=F("residual_likelihood") * F("residual_impact"),
        output_field=models.PositiveSmallIntegerField(),
        db_persist=True,
    )
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=10, choices=RiskStatus.choices, default=RiskStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(BaseModel.Meta):
        constraints = [
            *[
                models.CheckConstraint(
                    condition=Q(**{f"{name}__gte": 1, f"{name}__lte": 5}),
                    name=f"risk_{name}_1_to_5",
                    violation_error_message=f"{name.replace('_', ' ')} must be 1 to 5",
                )
                for name in (
                    "inherent_likelihood",
                    "inherent_impact",
                    "residual_likelihood",
                    "residual_impact",
                )
            ],
            models.CheckConstraint(
                condition=Q(residual_likelihood__lte=F("inherent_likelihood"))
                & Q(residual_impact__lte=F("inherent_impact")),
                name="risk_residual_not_above_inherent",
                violation_error_message=(
                    "Residual likelihood and impact cannot exceed the inherent ones: "
                    "a control does not make a risk worse."
                ),
            ),
            models.CheckConstraint(
                condition=Q(category__in=RiskCategory.values), name="risk_category_known"
            ),
            models.CheckConstraint(
                condition=Q(treatment__in=Treatment.values), name="risk_treatment_known"
            ),
            models.CheckConstraint(
                condition=Q(status__in=RiskStatus.values), name="risk_status_known"
            ),
            models.CheckConstraint(
                condition=Q(treatment=Treatment.ACCEPT) | ~Q(control_description=""),
                name="risk_control_described",
                violation_error_message="Describe the control for this treatment.",
            ),
        ]
        indexes = [
            models.Index(fields=("deployment", "status"), name="risk_deployment_status_idx"),
            models.Index(
                fields=("residual_likelihood", "residual_impact"), name="risk_residual_idx"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def needs_executive(self) -> bool:
        return self.residual_likelihood * self.residual_impact >= EXECUTIVE_ACCEPTANCE_SCORE


class RiskAcceptance(BaseModel):
    """A person's acceptance of a risk's residual score, kept even after the risk changes."""

    risk = models.ForeignKey(Risk, on_delete=models.PROTECT, related_name="acceptances")
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    accepted_by_name = models.CharField(max_length=200)
    residual_likelihood = models.PositiveSmallIntegerField()
    residual_impact = models.PositiveSmallIntegerField()
    residual_score = models.PositiveSmallIntegerField()
    # Not tied to the score by a constraint: it records the rule that applied when the risk
    # was accepted, which must stay true of old records if the threshold ever changes.
    executive_required = models.BooleanField()
    rationale = models.TextField()

    objects = ImmutableQuerySet.as_manager()

    def __str__(self) -> str:
        return f"accepted by {self.accepted_by_name} at score {self.residual_score}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        if not self._state.adding:
            raise ImmutableRecordError("a risk acceptance is never changed")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise ImmutableRecordError("a risk acceptance is never deleted")
