"""The obligations room: framework libraries, evidence documents, assertions and statuses.

A framework file (EU AI Act, NIST AI RMF, ISO/IEC 42001 Annex A, NYC LL144) is loaded as an
immutable, hashed version; its requirements carry their applicability rule and evidence rules
as data. Each deployment keeps one status row per requirement of the current framework
versions, updated when the records it depends on change, so pages read it without recomputing.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from governance.core.models import BaseModel, ImmutableQuerySet
from governance.obligations.choices import AssertionVerdict, DocumentKind, ObligationStatus


class Framework(BaseModel):
    """One loaded version of a framework file; never edited, a new version supersedes it."""

    slug = models.SlugField(max_length=60)
    version = models.CharField(max_length=40)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=20, help_text="Prefix of references, e.g. EU-AIA")
    source = models.TextField(blank=True, help_text="The legal text or standard it follows")
    content_sha256 = models.CharField(max_length=64)
    document = models.JSONField(help_text="The parsed file, as loaded")
    is_current = models.BooleanField(default=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(BaseModel.Meta):
        ordering = ("slug", "-created_at")  # type: ignore[assignment]
        constraints = [
            models.UniqueConstraint(fields=("slug", "version"), name="framework_slug_version"),
            models.UniqueConstraint(
                fields=("slug",),
                condition=models.Q(is_current=True),
                name="framework_one_current_version",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.version})"


class Requirement(BaseModel):
    """One duty or control of a framework version, with its rules kept as data."""

    framework = models.ForeignKey(Framework, on_delete=models.PROTECT, related_name="requirements")
    identifier = models.CharField(max_length=60, help_text="Unique within the framework file")
    ref = models.CharField(max_length=80, help_text="As people cite it, e.g. EU-AIA Art 27")
    title = models.CharField(max_length=300)
    summary = models.TextField(blank=True)
    group = models.CharField(max_length=120, blank=True, help_text="Chapter, function or clause")
    position = models.PositiveIntegerField(default=0)
    applies_from = models.DateField(null=True, blank=True)
    applicability = models.JSONField(default=dict, blank=True)
    evidence_rules = models.JSONField(default=list, blank=True)
    assertion_validity_days = models.PositiveIntegerField(null=True, blank=True)
    counterparts = models.ManyToManyField("self", symmetrical=True, blank=True)

    objects = ImmutableQuerySet.as_manager()

    class Meta(BaseModel.Meta):
        ordering = ("framework", "position")  # type: ignore[assignment]
        constraints = [
            models.UniqueConstraint(
                fields=("framework", "identifier"), name="requirement_identifier_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ref} {self.title}"


class EvidenceDocument(BaseModel):
    """An uploaded document kept as immutable evidence; a new version supersedes the old."""

    series = models.UUIDField(db_index=True, help_text="Shared by every version of a document")
    version = models.PositiveIntegerField(default=1)
    title = models.CharField(max_length=200)
    kind = models.CharField(max_length=30, choices=DocumentKind.choices)
    description = models.TextField(blank=True)
    system = models.ForeignKey(
        "inventory.AISystem",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence_documents",
        help_text="Empty for documents that hold for the whole organisation",
    )
    file = models.FileField(upload_to="evidence-documents/%Y/%m/")
    file_name = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveBigIntegerField()
    sha256 = models.CharField(max_length=64)
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    superseded_by = models.OneToOneField(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="supersedes"
    )

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(fields=("series", "version"), name="evidence_document_version"),
            models.CheckConstraint(
                condition=models.Q(valid_until__isnull=True)
                | models.Q(valid_until__gte=models.F("valid_from")),
                name="evidence_document_valid_period",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.title} v{self.version}"


class EvidenceLink(BaseModel):
    """A document offered as evidence for a requirement, for one deployment or for all."""

    document = models.ForeignKey(EvidenceDocument, on_delete=models.PROTECT, related_name="links")
    requirement = models.ForeignKey(
        Requirement, on_delete=models.PROTECT, related_name="document_links"
    )
    deployment = models.ForeignKey(
        "inventory.Deployment",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="evidence_links",
    )
    linked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    unlinked_at = models.DateTimeField(null=True, blank=True)
    unlinked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=("document", "requirement", "deployment"),
                condition=models.Q(unlinked_at__isnull=True, deployment__isnull=False),
                name="evidence_link_unique_active",
            ),
            models.UniqueConstraint(
                fields=("document", "requirement"),
                condition=models.Q(unlinked_at__isnull=True, deployment__isnull=True),
                name="evidence_link_unique_active_everywhere",
            ),
        ]


class Assertion(BaseModel):
    """A compliance officer's signed statement that a requirement is met or does not apply."""

    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.PROTECT, related_name="obligation_assertions"
    )
    requirement = models.ForeignKey(
        Requirement, on_delete=models.PROTECT, related_name="assertions"
    )
    verdict = models.CharField(max_length=20, choices=AssertionVerdict.choices)
    justification = models.TextField()
    documents = models.ManyToManyField(EvidenceDocument, blank=True, related_name="assertions")
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    signed_at = models.DateTimeField()
    signature_meaning = models.TextField()
    reauthenticated_by = models.CharField(max_length=200)
    signature_hash = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the signed statement's canonical form"
    )
    expires_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    withdrawal_reason = models.TextField(blank=True)

    class Meta(BaseModel.Meta):
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(justification=""), name="assertion_justified"
            ),
        ]


class DeploymentObligation(BaseModel):
    """The kept status of one requirement for one deployment, refreshed when its inputs change."""

    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.CASCADE, related_name="obligations"
    )
    requirement = models.ForeignKey(
        Requirement, on_delete=models.CASCADE, related_name="deployment_statuses"
    )
    applies = models.BooleanField()
    in_force = models.BooleanField()
    why = models.TextField(help_text="In words: why it applies or does not")
    status = models.CharField(max_length=20, choices=ObligationStatus.choices)
    evidence = models.JSONField(default=list, blank=True, help_text="What proves it, as found")
    gaps = models.JSONField(default=list, blank=True, help_text="What is still missing")
    assertion = models.ForeignKey(
        Assertion, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    evaluated_at = models.DateTimeField()

    class Meta(BaseModel.Meta):
        ordering = ("requirement__framework__slug", "requirement__position")  # type: ignore[assignment]
        constraints = [
            models.UniqueConstraint(
                fields=("deployment", "requirement"), name="deployment_obligation_unique"
            ),
        ]
        indexes = [models.Index(fields=("requirement", "status"))]


class ObligationSummary(BaseModel):
    """Per deployment and framework: how many applicable, in-force requirements are met.

    Written with the deployment's status rows, so the coverage page sums a few rows per
    deployment instead of every status row of the portfolio.
    """

    deployment = models.ForeignKey(
        "inventory.Deployment", on_delete=models.CASCADE, related_name="obligation_summaries"
    )
    framework = models.ForeignKey(Framework, on_delete=models.CASCADE, related_name="+")
    tier = models.CharField(max_length=8, blank=True, help_text="Risk tier when evaluated")
    applicable = models.PositiveIntegerField(default=0)
    met = models.PositiveIntegerField(default=0)
    partly_met = models.PositiveIntegerField(default=0)
    missing = models.PositiveIntegerField(default=0)
    evaluated_at = models.DateTimeField()

    class Meta(BaseModel.Meta):
        constraints = [
            models.UniqueConstraint(
                fields=("deployment", "framework"), name="obligation_summary_unique"
            ),
        ]
