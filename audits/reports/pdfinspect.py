"""Reading a report PDF's embedded files, structure tree and metadata with pyHanko (a
production dependency), so the offline check and the export bundles need nothing beyond what
renders and signs the reports."""

from __future__ import annotations

import html
import io
import re
from collections import Counter
from dataclasses import dataclass
from typing import Any

from pyhanko.pdf_utils.reader import PdfFileReader


class NotAReport(ValueError):
    """The bytes are not a readable PDF with embedded files."""


def _resolve(value: Any) -> Any:
    return value.get_object() if hasattr(value, "get_object") else value


def embedded_files(pdf: bytes) -> dict[str, bytes]:
    """Name → content of every file embedded in the document's name tree (flat or nested)."""
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        names = _resolve(reader.root).get("/Names")
    except Exception as exc:
        raise NotAReport(f"not a readable PDF ({type(exc).__name__})") from exc
    if names is None or "/EmbeddedFiles" not in _resolve(names):
        return {}
    files: dict[str, bytes] = {}
    pending = [_resolve(_resolve(names)["/EmbeddedFiles"])]
    try:
        while pending:
            node = pending.pop()
            for kid in node.get("/Kids", []):
                pending.append(_resolve(kid))
            pairs = list(node.get("/Names", []))
            for name, spec in zip(pairs[0::2], pairs[1::2], strict=False):
                spec = _resolve(spec)
                stream = _resolve(_resolve(spec["/EF"])["/F"])
                files[str(spec.get("/UF", spec.get("/F", name)))] = bytes(stream.data)
    except Exception as exc:
        raise NotAReport(f"the embedded files cannot be read ({type(exc).__name__})") from exc
    return files


@dataclass(frozen=True)
class Structure:
    """How far a PDF is tagged: its logical structure and the alternative texts of figures."""

    marked: bool
    language: str
    elements: int
    by_type: dict[str, int]
    figures: int
    figures_with_alt: int


def structure_of(pdf: bytes) -> Structure:
    """Walk the structure tree (StructTreeRoot) and count its elements by type."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    root = _resolve(reader.root)
    mark_info = _resolve(root.get("/MarkInfo")) or {}
    counts: Counter[str] = Counter()
    with_alt = 0
    tree = root.get("/StructTreeRoot")
    pending = [_resolve(tree)] if tree is not None else []
    while pending:
        node = pending.pop()
        kids = _resolve(node.get("/K")) if hasattr(node, "get") else None
        if node.get("/Type") == "/StructElem" or "/S" in node:
            kind = str(node.get("/S", "")).lstrip("/")
            counts[kind] += 1
            if kind == "Figure" and str(node.get("/Alt", "")).strip():
                with_alt += 1
        children = kids if isinstance(kids, list) else [kids] if kids is not None else []
        pending.extend(
            child for child in map(_resolve, children) if hasattr(child, "get") and "/S" in child
        )
    return Structure(
        marked=str(mark_info.get("/Marked", "")).lower() == "true",
        language=str(root.get("/Lang", "")),
        elements=sum(counts.values()),
        by_type=dict(sorted(counts.items())),
        figures=counts["Figure"],
        figures_with_alt=with_alt,
    )


def producers(pdf: bytes) -> tuple[str, str]:
    """The Producer of the Info dictionary and the pdf:Producer of the XMP metadata."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    info = _resolve(reader.trailer_view.get("/Info")) or {}
    metadata = _resolve(_resolve(reader.root).get("/Metadata"))
    xmp = bytes(metadata.data).decode("utf-8") if metadata is not None else ""
    found = re.search(r'pdf:Producer(?:="([^"]*)"|>([^<]*)<)', xmp)
    xmp_producer = html.unescape(next(g for g in found.groups() if g is not None)) if found else ""
    return str(info.get("/Producer", "")), xmp_producer
