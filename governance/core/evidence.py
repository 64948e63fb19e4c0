"""Stored evidence files and the hashes recorded for them, checked again on demand.

Rooms that keep files as evidence register the model, its file field and the field holding
the file's SHA-256 (`register_evidence_files`, from their AppConfig.ready()), so
`verify_evidence` and its weekly task check every room's files without knowing the rooms.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from django.db import models

from governance.core.uploads import chunks_of


@dataclass(frozen=True)
class EvidenceFiles:
    model: type[models.Model]
    file_field: str
    sha256_field: str

    @property
    def label(self) -> str:
        return f"{self.model._meta.label}.{self.file_field}"


@dataclass(frozen=True)
class EvidenceProblem:
    label: str
    pk: str
    name: str
    problem: str

    def __str__(self) -> str:
        return f"{self.problem.split(':')[0].upper()} {self.label} {self.pk} ({self.name}): " + (
            self.problem
        )


_REGISTRY: dict[str, EvidenceFiles] = {}


def register_evidence_files(
    model: type[models.Model], *, file_field: str, sha256_field: str
) -> None:
    """Declare that `model.file_field` stores evidence whose SHA-256 is in `sha256_field`."""
    # A wrong name fails at start-up, not at the weekly check.
    if not isinstance(model._meta.get_field(file_field), models.FileField):
        raise TypeError(f"{model._meta.label}.{file_field} is not a file field")
    model._meta.get_field(sha256_field)
    source = EvidenceFiles(model, file_field, sha256_field)
    _REGISTRY[source.label] = source


def registered_evidence() -> list[EvidenceFiles]:
    return sorted(_REGISTRY.values(), key=lambda source: source.label)


def file_sha256(handle: Any) -> str:
    digest = hashlib.sha256()
    for piece in chunks_of(handle):
        digest.update(piece)
    return digest.hexdigest()


def _records(source: EvidenceFiles) -> Iterator[tuple[object, str, str]]:
    # Records still being produced (no file or no hash yet) have nothing to check.
    rows = (
        source.model._default_manager.exclude(**{source.file_field: ""})
        .exclude(**{source.sha256_field: ""})
        .order_by("pk")
        .values_list("pk", source.file_field, source.sha256_field)
    )
    yield from rows.iterator(chunk_size=500)


def check_evidence() -> tuple[int, list[EvidenceProblem]]:
    """Re-hash every registered file; returns how many were checked and what is wrong."""
    checked, problems = 0, []
    for source in registered_evidence():
        storage = cast(models.FileField, source.model._meta.get_field(source.file_field)).storage
        for pk, name, expected in _records(source):
            checked += 1
            if not storage.exists(name):
                problems.append(EvidenceProblem(source.label, str(pk), name, "missing"))
                continue
            with storage.open(name, "rb") as handle:
                actual = file_sha256(handle)
            if actual != expected:
                problems.append(
                    EvidenceProblem(
                        source.label,
                        str(pk),
                        name,
                        f"altered: recorded SHA-256 {expected}, file has {actual}",
                    )
                )
    return checked, problems
