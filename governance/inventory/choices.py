from django.db import models


class Sourcing(models.TextChoices):
    IN_HOUSE = "in_house", "In-house"
    OPEN_SOURCE = "open_source", "Open-source"
    VENDOR = "vendor", "Commercial vendor or API"


class AnnexIIIArea(models.TextChoices):
    """EU AI Act Annex III high-risk areas (Regulation (EU) 2024/1689)."""

    NONE = "none", "None"
    BIOMETRICS = "biometrics", "Biometrics"
    CRITICAL_INFRASTRUCTURE = "critical_infrastructure", "Critical infrastructure"
    EDUCATION = "education", "Education and vocational training"
    EMPLOYMENT = "employment", "Employment and workers management"
    ESSENTIAL_SERVICES = (
        "essential_services",
        "Essential private and public services (incl. credit)",
    )
    LAW_ENFORCEMENT = "law_enforcement", "Law enforcement"
    MIGRATION = "migration", "Migration, asylum and border control"
    JUSTICE = "justice", "Administration of justice and democratic processes"


class LegalBasis(models.TextChoices):
    """GDPR Art 6(1) lawful bases."""

    CONSENT = "consent", "Consent"
    CONTRACT = "contract", "Contract"
    LEGAL_OBLIGATION = "legal_obligation", "Legal obligation"
    VITAL_INTERESTS = "vital_interests", "Vital interests"
    PUBLIC_TASK = "public_task", "Public task"
    LEGITIMATE_INTERESTS = "legitimate_interests", "Legitimate interests"
    NOT_PERSONAL = "not_personal", "No personal data"


class Hosting(models.TextChoices):
    CLOUD = "cloud", "Cloud"
    ON_PREMISES = "on_premises", "On-premises"
    HYBRID = "hybrid", "Hybrid"
    EDGE = "edge", "Edge"


class RolloutPattern(models.TextChoices):
    FULL = "full", "Full rollout"
    CANARY = "canary", "Canary"
    SHADOW = "shadow", "Shadow"
    AB = "ab", "A/B test"


class DeploymentStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    IN_REVIEW = "in_review", "In review"
    APPROVED = "approved", "Approved"
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"
    RETIRED = "retired", "Retired"
