"""Evidence → HTML → PDF/A-3b, deterministically.

The PDF is a function of the evidence bytes and the attachments only: every date (document
metadata, attachment dates) comes from the snapshot time in the evidence, the file identifier
from the evidence hash, and the HTML from templates that read nothing but the evidence. The
same snapshot therefore renders to byte-identical unsigned PDFs, and anyone holding the
embedded evidence can re-render and compare (the signature is an incremental update, so the
unsigned bytes are a prefix of the signed file).
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string
from weasyprint import HTML, Attachment

from audits.reports.fetcher import BASE_URL, ReportURLFetcher
from audits.reports.sections import section_by_key
from audits.reports.snapshot import EVIDENCE_NAME
from governance.core.canonical import sha256_hex

PDF_VARIANT = "pdf/a-3b"
ATTACHMENT_DESCRIPTIONS = {
    EVIDENCE_NAME: "The evidence snapshot this document was rendered from (canonical JSON)",
    "ledger-slice.csv": "The complete slice of the audit trail for this subject",
}


@dataclass(frozen=True)
class RenderedPdf:
    content: bytes
    page_count: int
    refused_urls: tuple[str, ...]


def snapshot_moment(evidence: Mapping[str, Any]) -> dt.datetime:
    raw = evidence["snapshot"]["taken_at"]
    return dt.datetime.fromisoformat(raw.replace("Z", "+00:00")).astimezone(dt.UTC)


def render_html(evidence: Mapping[str, Any], evidence_sha256: str) -> tuple[str, dict[str, bytes]]:
    """The report's HTML and the images it references, from the evidence alone."""
    kind = evidence["report"]["kind"]
    sections: list[dict[str, Any]] = []
    images: dict[str, bytes] = {}
    for entry in evidence["sections"]:
        section = section_by_key(kind, entry["key"])
        if section is None:
            template = "reports/sections/_unknown.html"
        else:
            template = section.template
            if section.images is not None:
                images.update(section.images(entry["data"]))
        sections.append({**entry, "template": template})
    moment = snapshot_moment(evidence)
    html = render_to_string(
        "reports/pdf/report.html",
        {
            "evidence": evidence,
            "report": evidence["report"],
            "kind": kind,
            "sections": sections,
            "evidence_sha256": evidence_sha256,
            "pdf_date": moment.strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
    )
    return html, images


def render_pdf(evidence_json: bytes, attachments: Mapping[str, bytes]) -> RenderedPdf:
    """Render the evidence as PDF/A-3b with the evidence and the attachments embedded."""
    evidence = json.loads(evidence_json)
    evidence_sha256 = sha256_hex(evidence_json)
    html, images = render_html(evidence, evidence_sha256)
    fetcher = ReportURLFetcher(images)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render()
    # WeasyPrint writes attachment dates with a literal Z, so it gets naive UTC.
    stamp = snapshot_moment(evidence).replace(tzinfo=None, microsecond=0)
    files = [(EVIDENCE_NAME, evidence_json), *sorted(attachments.items())]
    embedded = [
        Attachment(
            string=content,
            name=name,
            description=ATTACHMENT_DESCRIPTIONS.get(name, name),
            created=stamp,
            modified=stamp,
            relationship="Data" if name == EVIDENCE_NAME else "Supplement",
            url_fetcher=fetcher,
        )
        for name, content in files
    ]
    pdf = document.write_pdf(
        pdf_variant=PDF_VARIANT,
        attachments=embedded,
        pdf_identifier=evidence_sha256[:32].encode(),
    )
    return RenderedPdf(
        content=pdf, page_count=len(document.pages), refused_urls=tuple(fetcher.refused)
    )
