"""The base every domain model inherits: UUID keys (nothing enumerable in URLs) and timestamps."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models


class BaseModel(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True
        ordering = ("-created_at",)


class ImmutableRecordError(Exception):
    """Raised when code tries to edit or delete a record that is evidence."""


class ImmutableQuerySet(models.QuerySet):
    """Bulk UPDATE and DELETE are refused: evidence is superseded, never rewritten."""

    def update(self, **kwargs: Any) -> int:
        raise ImmutableRecordError(f"{self.model.__name__} records are immutable")

    def delete(self) -> tuple[int, dict[str, int]]:
        raise ImmutableRecordError(f"{self.model.__name__} records are immutable")
