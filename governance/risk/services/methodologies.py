"""Loading methodology files into immutable, versioned records."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from governance.core.canonical import sha256_hex
from governance.core.errors import Conflict, InvalidInput
from governance.ledger.services import ledger_append
from governance.risk.methodology import KIND_EU, MethodologyFormatError, parse_methodology
from governance.risk.models import Methodology


def _parse(content: bytes, file_name: str) -> dict[str, Any]:
    try:
        return parse_methodology(content)
    except MethodologyFormatError as exc:
        where = f"{file_name}: " if file_name else ""
        fields = dict(exc.errors)
        first_path, first_message = exc.errors[0]
        more = f" (and {len(exc.errors) - 1} more)" if len(exc.errors) > 1 else ""
        raise InvalidInput(f"{where}{first_path} {first_message}{more}", fields=fields) from None


def _linked_classification(definition: dict[str, Any]) -> Methodology | None:
    reference = definition.get("eu_classification")
    if reference is None:
        return None
    slug, version = reference["slug"], reference["version"]
    linked = Methodology.objects.filter(slug=slug, version=version).first()
    if linked is None:
        raise InvalidInput(
            f"eu_classification: {slug} v{version} is not loaded; load it first.",
            fields={"eu_classification": f"{slug} v{version} is not loaded"},
        )
    if linked.kind != KIND_EU:
        raise InvalidInput(
            f"eu_classification: {slug} v{version} is not an EU AI Act classification.",
            fields={"eu_classification": "not an eu_classification methodology"},
        )
    shared = sorted(
        {q["id"] for q in definition["questions"]}
        & {q["id"] for q in linked.definition["questions"]}
    )
    if shared:
        # Both questionnaires are answered in one set of answers, so ids must not collide.
        raise InvalidInput(
            f"questions: ids {shared} are also used by {slug} v{version}.",
            fields={"questions": f"ids shared with {slug} v{version}: {shared}"},
        )
    return linked


def methodology_load(
    *, content: bytes, actor: Any, file_name: str = ""
) -> tuple[Methodology, bool]:
    """Load one methodology file; returns the record and whether it was newly created.

    The same bytes under an existing slug + version are a no-op; different bytes under an
    existing slug + version are refused, because assessments already point at that version.
    """
    definition = _parse(content, file_name)
    digest = sha256_hex(content)
    slug, version = definition["slug"], definition["version"]
    with transaction.atomic():
        existing = Methodology.objects.filter(slug=slug, version=version).first()
        if existing is not None:
            if existing.sha256 == digest:
                return existing, False
            raise Conflict(
                f"{slug} v{version} is already loaded from a different file "
                f"(SHA-256 {existing.sha256[:12]}…, this file {digest[:12]}…). "
                "A methodology version never changes: give the file a new version.",
                fields={"version": f"{version} already loaded with different content"},
            )
        methodology = Methodology(
            slug=slug,
            version=version,
            kind=definition["kind"],
            title=definition["title"],
            sha256=digest,
            source=content.decode("utf-8"),
            file_name=file_name[-255:],
            definition=definition,
            eu_classification=_linked_classification(definition),
            loaded_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        methodology.save()
        ledger_append(
            actor=actor,
            action="risk_methodology.loaded",
            subject=methodology,
            data={
                "slug": slug,
                "version": version,
                "kind": methodology.kind,
                "sha256": digest,
                "file_name": methodology.file_name,
                "questions": len(definition["questions"]),
                "eu_classification": (
                    str(methodology.eu_classification) if methodology.eu_classification else None
                ),
            },
        )
    return methodology, True


def methodologies_load(
    *, files: Sequence[tuple[str, bytes]], actor: Any
) -> list[tuple[Methodology, bool]]:
    """Load several files all-or-nothing, classifications first so impact files can link them."""
    parsed = []
    for name, content in files:
        parsed.append((name, content, _parse(content, name)))
    parsed.sort(key=lambda item: item[2]["kind"] != KIND_EU)
    with transaction.atomic():
        return [
            methodology_load(content=content, actor=actor, file_name=name)
            for name, content, _ in parsed
        ]
