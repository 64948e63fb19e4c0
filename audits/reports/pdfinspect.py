"""Reading a report PDF's embedded files with pyHanko (a production dependency), so the offline
check and the export bundles need nothing beyond what renders and signs the reports."""

from __future__ import annotations

import io
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
