from django.db import models


class Role(models.TextChoices):
    REQUESTER = "requester", "Requester (ML engineer)"
    REVIEWER = "reviewer", "Reviewer"
    COMPLIANCE_OFFICER = "compliance_officer", "Compliance officer"
    LEGAL = "legal", "Legal"
    EXECUTIVE = "executive", "Executive"
    AUDITOR = "auditor", "Auditor"
    ADMIN = "admin", "Administrator"
