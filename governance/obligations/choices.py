from django.db import models


class ObligationStatus(models.TextChoices):
    """Where a deployment stands against one requirement of a framework."""

    MET = "met", "Met"
    PARTLY_MET = "partly_met", "Partly met"
    MISSING = "missing", "Missing"
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    NOT_YET_IN_FORCE = "not_yet_in_force", "Not yet in force"


class AssertionVerdict(models.TextChoices):
    MET = "met", "Met"
    NOT_APPLICABLE = "not_applicable", "Not applicable"


class DocumentKind(models.TextChoices):
    MODEL_CARD = "model_card", "Model card"
    DPIA = "dpia", "Data protection impact assessment"
    INSTRUCTIONS_FOR_USE = "instructions_for_use", "Instructions for use"
    TEST_REPORT = "test_report", "Test report"
    DECLARATION_OF_CONFORMITY = "declaration_of_conformity", "EU declaration of conformity"
    TRAINING_RECORD = "training_record", "Training record"
    POLICY = "policy", "Policy or procedure"
    OTHER = "other", "Other document"
