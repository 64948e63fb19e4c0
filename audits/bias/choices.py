from django.db import models


class AuditType(models.TextChoices):
    SELECTION = "selection", "Selection (selected or not)"
    SCORING = "scoring", "Scoring (numeric score)"
    CLASSIFICATION = "classification", "Classification with ground truth"


# How an audit of each type is titled ("Selection-rate bias audit of 2026-03-01"): the
# choice labels explain the data a type needs, which reads badly inside a title.
AUDIT_TYPE_TITLES: dict[str, str] = {
    AuditType.SELECTION: "Selection-rate",
    AuditType.SCORING: "Scoring-rate",
    AuditType.CLASSIFICATION: "Classification",
}


class DataFormat(models.TextChoices):
    ROWS = "rows", "Row-level: one row per person"
    COUNTS = "counts", "Aggregated: applicants and selected per category"


class DataSource(models.TextChoices):
    """LL144 §5-302: historical data, or test data when historical data is insufficient."""

    HISTORICAL = "historical", "Historical data"
    TEST = "test", "Test data"


class AuditStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    FINAL = "final", "Final"


# A final audit is evidence: nothing leaves that state (a correction is a new audit that
# supersedes it).
ALLOWED_TRANSITIONS: dict[tuple[str, str], str] = {
    (AuditStatus.DRAFT, AuditStatus.FINAL): "finalised by the auditor",
}

# LL144 §5-300 "independent auditor": each statement is attested separately, so a record
# shows exactly which condition an internal audit does not meet.
INDEPENDENCE_STATEMENTS: dict[str, str] = {
    "attests_not_involved": (
        "The auditor was not involved in using, developing or distributing the tool."
    ),
    "attests_no_employment": (
        "At no point during the audit did the auditor have an employment relationship with "
        "the employer or employment agency using the tool, or with its vendor."
    ),
    "attests_no_financial_interest": (
        "At no point during the audit did the auditor have a direct financial interest or a "
        "material indirect financial interest in the employer or employment agency, or in "
        "the vendor."
    ),
}
