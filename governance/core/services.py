"""Helpers every room's services share."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models

from governance.core.errors import InvalidInput


def validated_save(instance: models.Model, *, update_fields: Iterable[str] | None = None) -> None:
    """Run field validators and database constraints before saving; refuse with field messages."""
    try:
        instance.full_clean()
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        first = next(iter(fields.values()))[0]
        raise InvalidInput(str(first), fields=fields) from exc
    instance.save(update_fields=list(update_fields) if update_fields is not None else None)


def json_value(value: Any) -> Any:
    if isinstance(value, models.Model):
        return str(value.pk)
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """JSON-safe values of the named fields (foreign keys as ids), for before/after events."""
    result: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if isinstance(field, models.ForeignKey):
            result[name] = json_value(getattr(instance, field.attname))
        else:
            result[name] = json_value(getattr(instance, name))
    return result


def apply_changes(
    instance: models.Model, changes: Mapping[str, Any], *, editable: Iterable[str]
) -> list[str]:
    """Set the given fields, refusing any that callers may not change; returns the changed names."""
    allowed = set(editable)
    refused = sorted(set(changes) - allowed)
    if refused:
        raise InvalidInput(
            f"These fields cannot be changed here: {', '.join(refused)}.",
            fields=dict.fromkeys(refused, "cannot be changed"),
        )
    changed = []
    for name, value in changes.items():
        if getattr(instance, name) != value:
            setattr(instance, name, value)
            changed.append(name)
    return changed
