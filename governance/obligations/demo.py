"""Demo obligations: the shipped frameworks, a document kept as evidence and linked, an
assertion, and every deployment's statuses computed, all through the services.

Idempotent: the document is kept once (by title), the assertion signed once.
"""

from __future__ import annotations

from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from governance.accounts.demo import DEMO_PASSWORD
from governance.inventory.choices import DeploymentStatus
from governance.inventory.models import Deployment
from governance.obligations import services
from governance.obligations.library import shipped_files
from governance.obligations.models import (
    Assertion,
    DeploymentObligation,
    EvidenceDocument,
    EvidenceLink,
    Requirement,
)
from governance.obligations.services.frameworks import frameworks_load

TITLE = "Instructions for use: credit decisioning models"
CONTENT = (
    b"Instructions for use\n\nIntended purpose, known limits, human oversight measures and "
    b"the logs deployers must keep, for every credit decisioning model we deploy.\n"
)


def _requirement_wanting(kind: str) -> Requirement | None:
    for requirement in Requirement.objects.filter(framework__is_current=True).order_by(
        "framework__slug", "position"
    ):
        for rule in requirement.evidence_rules or []:
            if rule.get("kind") == "document" and rule.get("document_kind") == kind:
                return requirement
    return None


def seed(users: dict[str, Any]) -> None:
    officer = users["compliance"]
    # `migrate` loads the shipped frameworks; loading them again changes nothing, and brings
    # them back where a database was emptied without migrating (a flushed test database).
    frameworks_load(files=shipped_files(), actor=None)
    services.obligations_refresh_all()
    document = EvidenceDocument.objects.filter(title=TITLE).first()
    if document is None:
        document = services.evidence_document_upload(
            actor=officer,
            file=SimpleUploadedFile("instructions-for-use.txt", CONTENT),
            title=TITLE,
            kind="instructions_for_use",
            description="Shared by every deployment of our credit models.",
        )
    requirement = _requirement_wanting("instructions_for_use")
    if (
        requirement is not None
        and not EvidenceLink.objects.filter(
            document__series=document.series, requirement=requirement
        ).exists()
    ):
        services.evidence_link_create(actor=officer, document=document, requirement=requirement)
    if not Assertion.objects.exists():
        candidates = (
            DeploymentObligation.objects.filter(
                status="missing", deployment__status=DeploymentStatus.ACTIVE
            )
            .select_related("deployment", "requirement__framework")
            .order_by("requirement__framework__slug", "requirement__position")
        )
        # One that only a signature can meet: it names no evidence the product holds.
        missing = next((o for o in candidates if not o.requirement.evidence_rules), None)
        if missing is not None:
            services.assertion_sign(
                deployment=missing.deployment,
                requirement=missing.requirement,
                signer=officer,
                verdict="met",
                justification="Covered by the instructions for use shared by every deployment.",
                documents=[document],
                password=DEMO_PASSWORD,
                http_request=RequestFactory().post("/"),
            )
    services.obligations_refresh(deployment_ids=Deployment.objects.values_list("pk", flat=True))
