"""The OpenAPI schema lists every answer an operation can give, errors included.

`AutoSchema` is drf-spectacular's schema class with two additions made in one place rather
than on each view:

- every operation lists the error answers `governance.core.api.exception_handler` and the
  API's error handlers can give it (400 field messages, 401, 403, 404, 409 for writes, 413
  for bodies over the limit, 429 where a password is checked again), each with a shared
  `Error` or `ValidationError` body, so generated clients can decode them;
- a read-only choice field whose model column may be blank lists "" among its values: DRF
  drops `allow_blank` from read-only fields, so the enum would otherwise forbid the blank
  value the API really answers.
"""

from __future__ import annotations

import copy
from typing import Any

from django.core.exceptions import FieldDoesNotExist
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, force_instance, is_serializer
from rest_framework import serializers

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
MEDIA_TYPE = "application/json"

ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "An error with a message for people. `code` names the kind of error where the "
        "domain raised it; a refusal that concerns particular fields also carries "
        "`field name → messages` entries."
    ),
    "properties": {
        "detail": {"type": "string"},
        "code": {"type": "string"},
        "retry_after": {
            "type": "integer",
            "description": "On a 429 for a locked account: seconds until it may try again.",
        },
    },
    "required": ["detail"],
    "additionalProperties": {"type": "array", "items": {"type": "string"}},
}

VALIDATION_ERROR_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": (
        "Input that cannot be accepted. Each field with a problem maps to its messages "
        "(a list of strings, or an object of the same shape for a nested field or a list "
        "item); `non_field_errors` holds messages about the input as a whole; `detail` holds "
        "a message (or messages) not tied to a field, with its `code`."
    ),
    "properties": {
        "detail": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
        },
        "code": {"type": "string"},
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": {"oneOf": [{"type": "array"}, {"type": "object"}]},
}

COMPONENTS = {"Error": ERROR_SCHEMA, "ValidationError": VALIDATION_ERROR_SCHEMA}

DESCRIPTIONS = {
    "400": "The input was refused; the body names each field's problem.",
    "401": "No valid credentials: send `Authorization: Token <key>` or a session cookie.",
    "403": "The caller's roles do not allow this, or the domain refused it (with the reason).",
    "404": "No such record visible to the caller, or no such page of a list.",
    "409": "The request conflicts with the record's current state (e.g. a workflow step "
    "that is not allowed now) or with another record.",
    "413": "The request body is larger than the server accepts.",
    "429": "Too many attempts from this client; the message says when to try again.",
}


class AutoSchema(SpectacularAutoSchema):
    def get_operation(self, *args: Any, **kwargs: Any) -> dict[str, Any] | None:
        operation = super().get_operation(*args, **kwargs)
        if operation is None:
            return None
        responses = operation.setdefault("responses", {})
        for code in self._error_codes(operation):
            responses.setdefault(code, {"description": DESCRIPTIONS[code]})
        for code, response in responses.items():
            # Error answers a view declared with a description only get the shared body too.
            if str(code) >= "400" and "content" not in response:
                name = "ValidationError" if str(code) == "400" else "Error"
                response["content"] = {MEDIA_TYPE: {"schema": self._component(name)}}
        return operation

    def _error_codes(self, operation: dict[str, Any]) -> list[str]:
        parameters = operation.get("parameters", [])
        query = [p for p in parameters if p.get("in") == "query"]
        in_path = [p for p in parameters if p.get("in") == "path"]
        codes = []
        if self.method in WRITE_METHODS or query:
            codes.append("400")
        if self._requires_authentication():
            codes += ["401", "403"]
        # A path names a record that may not exist, a query may name one (the gate's system
        # and version), and a paginated list may be asked for a page past its end.
        if in_path or query:
            codes.append("404")
        if self.method in WRITE_METHODS:
            codes.append("409")
        if "requestBody" in operation:
            codes.append("413")
        if "requestBody" in operation and self._reauthenticates():
            codes.append("429")
        return codes

    def _reauthenticates(self) -> bool:
        # Operations that take the caller's password check it again (signatures); repeated
        # wrong passwords slow the account down, answered with 429 (accounts.reauthenticate).
        serializer = force_instance(self.get_request_serializer())
        return is_serializer(serializer) and "password" in getattr(serializer, "fields", {})

    def _requires_authentication(self) -> bool:
        # An empty requirement ({}) in the operation's security means anonymous callers pass.
        return {} not in (self.get_auth() or [{}])

    def _component(self, name: str) -> dict[str, Any]:
        component = ResolvedComponent(
            name=name,
            type=ResolvedComponent.SCHEMA,
            schema=COMPONENTS[name],
            object=name,
        )
        self.registry.register_on_missing(component)
        return component.ref

    def _map_serializer_field(
        self, field: Any, direction: str, bypass_extensions: bool = False
    ) -> dict[str, Any]:
        if _blank_model_choice(field):
            field = copy.copy(field)
            field.allow_blank = True
        if _through_nullable_relation(field):
            field = copy.copy(field)
            field.allow_null = True
        return super()._map_serializer_field(field, direction, bypass_extensions)


def _model_of(field: Any) -> Any:
    return getattr(getattr(getattr(field, "parent", None), "Meta", None), "model", None)


def _blank_model_choice(field: Any) -> bool:
    """A read-only choice field read from a model column that may hold ""."""
    if not isinstance(field, serializers.ChoiceField) or not field.read_only or field.allow_blank:
        return False
    model = _model_of(field)
    source = field.source
    if model is None or not isinstance(source, str) or "." in source:
        return False
    try:
        model_field = model._meta.get_field(source)
    except FieldDoesNotExist:
        return False
    return bool(getattr(model_field, "blank", False))


def _through_nullable_relation(field: Any) -> bool:
    """A read-only field read through a relation that may be empty (`source="contract.x"`).

    DRF answers null for the whole field when any step of a dotted source is None, whatever
    the field's type; such a field must be nullable even if the final column is not.
    """
    if not field.read_only or field.allow_null or "." not in (field.source or ""):
        return False
    model = _model_of(field)
    for step in field.source.split(".")[:-1]:
        if model is None:
            return False
        try:
            relation = model._meta.get_field(step)
        except FieldDoesNotExist:
            return False
        if getattr(relation, "null", False):
            return True
        model = getattr(relation, "related_model", None)
    return False
