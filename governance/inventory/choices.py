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


class AnnexIIIPoint(models.TextChoices):
    """Points of Annex III of Regulation (EU) 2024/1689; duties differ by point, not only area.

    The value is the point as cited without brackets ("5b" is point 5(b)); `AREA_OF_POINT`
    gives the area each point belongs to, so the system's area and point never disagree.
    """

    BIOMETRIC_IDENTIFICATION = "1a", "1(a) Remote biometric identification"
    BIOMETRIC_CATEGORISATION = "1b", "1(b) Biometric categorisation by sensitive traits"
    EMOTION_RECOGNITION = "1c", "1(c) Emotion recognition"
    CRITICAL_INFRASTRUCTURE = "2", "2 Safety component of critical infrastructure"
    EDUCATION_ACCESS = "3a", "3(a) Access or admission to education"
    EDUCATION_OUTCOMES = "3b", "3(b) Evaluating learning outcomes"
    EDUCATION_LEVEL = "3c", "3(c) Assessing the level of education a person receives"
    EDUCATION_PROCTORING = "3d", "3(d) Monitoring behaviour during tests"
    RECRUITMENT = "4a", "4(a) Recruitment and selection"
    WORK_DECISIONS = "4b", "4(b) Promotion, termination, task allocation, monitoring at work"
    PUBLIC_BENEFITS = "5a", "5(a) Eligibility for public assistance benefits and services"
    CREDITWORTHINESS = "5b", "5(b) Creditworthiness and credit scoring"
    INSURANCE_PRICING = "5c", "5(c) Life and health insurance risk assessment and pricing"
    EMERGENCY_TRIAGE = "5d", "5(d) Emergency calls, dispatch and triage"
    VICTIM_RISK = "6a", "6(a) Law enforcement: risk of becoming a victim"
    POLYGRAPH_LAW_ENFORCEMENT = "6b", "6(b) Law enforcement: polygraphs and similar tools"
    EVIDENCE_RELIABILITY = "6c", "6(c) Law enforcement: reliability of evidence"
    OFFENDING_RISK = "6d", "6(d) Law enforcement: risk of offending or re-offending"
    PROFILING_INVESTIGATION = "6e", "6(e) Law enforcement: profiling in investigations"
    POLYGRAPH_MIGRATION = "7a", "7(a) Migration: polygraphs and similar tools"
    MIGRATION_RISK = "7b", "7(b) Migration: security, irregular migration or health risk"
    ASYLUM_VISA = "7c", "7(c) Examining asylum, visa and residence applications"
    MIGRATION_IDENTIFICATION = "7d", "7(d) Migration: detecting or identifying persons"
    JUDICIAL_ASSISTANCE = "8a", "8(a) Assisting judicial authorities"
    ELECTIONS = "8b", "8(b) Influencing elections or voting behaviour"


AREA_OF_POINT: dict[str, str] = {
    point.value: area
    for area, prefix in (
        (AnnexIIIArea.BIOMETRICS, "1"),
        (AnnexIIIArea.CRITICAL_INFRASTRUCTURE, "2"),
        (AnnexIIIArea.EDUCATION, "3"),
        (AnnexIIIArea.EMPLOYMENT, "4"),
        (AnnexIIIArea.ESSENTIAL_SERVICES, "5"),
        (AnnexIIIArea.LAW_ENFORCEMENT, "6"),
        (AnnexIIIArea.MIGRATION, "7"),
        (AnnexIIIArea.JUSTICE, "8"),
    )
    for point in AnnexIIIPoint
    if point.value[0] == prefix
}


def annex_iii_point_label(point: str) -> str:
    """The point as people cite it: "5b" → "5(b)", "2" → "2"."""
    if len(point) == 2:
        return f"{point[0]}({point[1]})"
    return point
