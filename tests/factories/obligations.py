from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from governance.obligations.models import EvidenceDocument, Framework, Requirement
from governance.obligations.services import evidence_document_upload
from tests.factories.accounts import user_with_roles

IN_FORCE = dt.date(2025, 2, 2)


class FrameworkFactory(factory.django.DjangoModelFactory[Framework]):
    class Meta:
        model = Framework

    slug = factory.Sequence(lambda n: f"framework-{n}")
    version = "1"
    name = factory.LazyAttribute(lambda f: f"Framework {f.slug}")
    short_name = factory.Sequence(lambda n: f"FW{n}")
    source = "Test framework"
    content_sha256 = factory.LazyAttribute(lambda f: hashlib.sha256(f.slug.encode()).hexdigest())
    document = factory.LazyFunction(dict)
    is_current = True


class RequirementFactory(factory.django.DjangoModelFactory[Requirement]):
    """A requirement that applies to every deployment and is in force, unless told otherwise."""

    class Meta:
        model = Requirement

    framework = factory.SubFactory(FrameworkFactory)
    identifier = factory.Sequence(lambda n: f"req-{n}")
    ref = factory.LazyAttribute(lambda r: f"{r.framework.short_name} {r.identifier}")
    title = factory.Sequence(lambda n: f"Duty number {n}")
    group = "General"
    position = factory.Sequence(lambda n: n)
    applies_from = IN_FORCE
    applicability = factory.LazyFunction(lambda: {"when": None, "scope": "Every deployment"})
    evidence_rules = factory.LazyFunction(list)


def pdf_upload(name: str = "model-card.pdf", content: bytes = b"%PDF-1.4 test\n") -> Any:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def evidence_document(actor: Any = None, **kwargs: Any) -> EvidenceDocument:
    """A document kept through the upload service (file stored, hashed, ledgered)."""
    actor = actor or user_with_roles("compliance_officer")
    fields: dict[str, Any] = {
        "file": pdf_upload(),
        "title": "Model card",
        "kind": "model_card",
        **kwargs,
    }
    return evidence_document_upload(actor=actor, **fields)
