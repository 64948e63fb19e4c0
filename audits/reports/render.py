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
import hashlib
import json
import zlib
from collections.abc import Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pydyf
from django.db import connection
from django.template.loader import render_to_string
from weasyprint import HTML, Attachment

from audits.reports.fetcher import BASE_URL, ReportURLFetcher
from audits.reports.sections import AttachmentProducer, section_by_key
from audits.reports.snapshot import EVIDENCE_NAME
from governance.core.canonical import sha256_hex
from governance.core.read_ahead import read_ahead

PDF_VARIANT = "pdf/a-3b"
# Tagged alongside PDF/A-3b: a structure tree in reading order (headings, paragraphs, lists,
# tables with header cells), MarkInfo Marked, the document language, and each chart a Figure
# whose alternative text is its `alt`. WeasyPrint tags only when asked (the 3b variant does
# not imply it; 3a would, but also demands things WeasyPrint cannot promise for every page).
PDF_TAGS = True
PRECOMPRESS = 256 * 1024  # attachments larger than this are compressed ahead (bytes)
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


def layout_document(
    evidence: Mapping[str, Any], evidence_sha256: str
) -> tuple[Any, ReportURLFetcher]:
    """The report laid out in pages (WeasyPrint's document), and the fetcher that served it."""
    html, images = render_html(evidence, evidence_sha256)
    fetcher = ReportURLFetcher(images)
    document = HTML(string=html, base_url=BASE_URL, url_fetcher=fetcher).render()
    return document, fetcher


@dataclass(frozen=True)
class _Prepared:
    """An attachment read once. A small one keeps its bytes for WeasyPrint; a large one only
    its compressed form, its size and its MD5 (WeasyPrint's checksum)."""

    content: bytes | None
    md5: str
    size: int
    deflated: bytes | None

    @property
    def placeholder(self) -> bytes:
        # What WeasyPrint embeds in place of a large attachment until the finisher swaps in
        # the compressed bytes; unique per attachment, so the finisher can find its stream.
        return f"precompressed attachment {self.md5}".encode()


def _prepare(source: bytes | AttachmentProducer, *, read_ahead_wanted: bool = False) -> _Prepared:
    """Read an attachment once: its MD5 and, when large, its compressed form, each chunk
    hashed and compressed as it arrives from the producer."""
    digest = hashlib.md5(usedforsecurity=False)
    packer = zlib.compressobj(level=1)
    parts: list[bytes] = []
    packed: list[bytes] = []
    size = 0
    if isinstance(source, bytes):
        chunks: Iterable[bytes] = [source]
    else:
        chunks = read_ahead(source) if read_ahead_wanted else source()
    for chunk in chunks:
        size += len(chunk)
        digest.update(chunk)
        packed.append(packer.compress(chunk))
        if size <= PRECOMPRESS:
            parts.append(chunk)
        else:
            parts.clear()  # large: WeasyPrint gets the compressed form, not these bytes
    packed.append(packer.flush())
    if size > PRECOMPRESS:
        return _Prepared(None, digest.hexdigest(), size, b"".join(packed))
    return _Prepared(b"".join(parts), digest.hexdigest(), size, None)


def _use_precompressed(prepared: Mapping[str, _Prepared]) -> Any:
    """A WeasyPrint finisher that swaps in attachments compressed once, ahead of time.

    pydyf deflates a stream at level 9 each time its bytes are asked for (twice with a file
    identifier), which for a 100,000-event ledger slice costs seconds; large attachments are
    compressed once instead (level 1: a few per cent larger, several times faster), in a
    thread, while WeasyPrint lays out the pages. WeasyPrint itself only sees a placeholder,
    so it neither copies nor hashes the large bytes again once the pages are laid out.
    """
    by_placeholder = {
        hashlib.md5(p.placeholder, usedforsecurity=False).hexdigest(): p
        for p in prepared.values()
        if p.deflated is not None
    }

    def finisher(document: Any, pdf: Any) -> None:
        # WeasyPrint's PDF/A step lists each associated file twice in /AF; once is right.
        if "AF" in pdf.catalog:
            pdf.catalog["AF"] = pydyf.Array(dict.fromkeys(pdf.catalog["AF"]))
        for obj in pdf.objects:
            if not isinstance(obj, pydyf.Stream) or obj.extra.get("Type") != "/EmbeddedFile":
                continue
            params = obj.extra["Params"]
            found = by_placeholder.get(str(params["CheckSum"]).strip("<>"))
            if found is not None and found.deflated is not None:
                obj.stream = [found.deflated]
                obj.compress = False
                obj.extra["Filter"] = "/FlateDecode"
                params["CheckSum"] = f"<{found.md5}>"
                params["Size"] = found.size

    return finisher


def _embedded_bytes(prepared: _Prepared) -> bytes:
    return prepared.content if prepared.content is not None else prepared.placeholder


def render_pdf(
    evidence_json: bytes, attachments: Mapping[str, bytes | AttachmentProducer]
) -> RenderedPdf:
    """Render the evidence as PDF/A-3b with the evidence and the attachments embedded.

    Attachments are bytes, or producers (see `sections.AttachmentProducer`) that read
    unchangeable records: outside a transaction they run in a thread while the pages are
    laid out; inside one (a caller's uncommitted data) they run here, in it.
    """
    evidence = json.loads(evidence_json)
    evidence_sha256 = sha256_hex(evidence_json)
    sources: dict[str, bytes | AttachmentProducer] = {EVIDENCE_NAME: evidence_json, **attachments}
    in_transaction = connection.in_atomic_block
    with ThreadPoolExecutor(max_workers=1) as pool:
        pending = {
            name: pool.submit(_prepare, source, read_ahead_wanted=callable(source))
            for name, source in sources.items()
            if not (in_transaction and callable(source))
        }
        prepared = {
            name: _prepare(source) for name, source in sources.items() if name not in pending
        }
        document, fetcher = layout_document(evidence, evidence_sha256)
        prepared.update({name: future.result() for name, future in pending.items()})
    # WeasyPrint writes attachment dates with a literal Z, so it gets naive UTC.
    stamp = snapshot_moment(evidence).replace(tzinfo=None, microsecond=0)
    names = [EVIDENCE_NAME, *sorted(name for name in prepared if name != EVIDENCE_NAME)]
    embedded = [
        Attachment(
            string=_embedded_bytes(prepared[name]),
            name=name,
            description=ATTACHMENT_DESCRIPTIONS.get(name, name),
            created=stamp,
            modified=stamp,
            relationship="Data" if name == EVIDENCE_NAME else "Supplement",
            url_fetcher=fetcher,
        )
        for name in names
    ]
    pdf = document.write_pdf(
        pdf_variant=PDF_VARIANT,
        pdf_tags=PDF_TAGS,
        attachments=embedded,
        pdf_identifier=evidence_sha256[:32].encode(),
        finisher=_use_precompressed(prepared),
    )
    return RenderedPdf(
        content=pdf,
        page_count=len(document.pages),
        refused_urls=tuple(fetcher.refused),
    )
