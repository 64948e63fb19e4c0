"""The verification block: what a reader needs to check the document independently."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse

from audits.reports.sections import Section, SnapshotContext
from audits.reports.sections.ledger import CSV_NAME
from audits.reports.signing import signed_with, signing_material


def build(ctx: SnapshotContext) -> dict[str, Any]:
    # Loading the key here also stops a job early when signing is not configured.
    material = signing_material()
    return {
        "organisation": settings.REPORT_ORGANISATION,
        "verify_url": settings.SITE_URL + reverse("reports:verify"),
        "offline_command": "python manage.py verify_report <file.pdf>",
        "ledger_head": {"seq": ctx.head_seq, "hash": ctx.head_hash},
        # Sections before this one attached the slice (dossiers, the portfolio) or did not.
        "ledger_slice": CSV_NAME if CSV_NAME in ctx.attachments else None,
        "signing_certificate": {
            "subject": material.subject,
            "sha256": material.certificate_sha256,
            "development": material.is_development,
        },
        "signed_with": signed_with(
            subject=material.subject,
            sha256=material.certificate_sha256,
            development=material.is_development,
        ),
    }


SECTION = Section(
    key="verification",
    title="How to verify this document",
    annex_iv=(),
    template="reports/sections/verification.html",
    build=build,
)
