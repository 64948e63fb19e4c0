"""JSON bodies with a bounded nesting depth: the project's DRF parser and serializer field.

The standard library's decoder recurses once per level of nesting, so a body of a few
kilobytes (`[[[[…]]]]` two thousand deep) raises RecursionError, which DRF's parser does not
turn into a 400. A structure that does decode but is hundreds of levels deep would hit the
same limit later, in a serializer, in canonical JSON or in a template. No document this
product accepts comes near `MAX_JSON_DEPTH`, so anything deeper is refused at the door.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import IO, Any

from rest_framework import parsers, serializers
from rest_framework.exceptions import ParseError

MAX_JSON_DEPTH = 64
TOO_DEEP = f"JSON nested deeper than {MAX_JSON_DEPTH} levels."


def nested_deeper_than(value: Any, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether lists and objects inside `value` nest more than `limit` levels (no recursion)."""
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if isinstance(item, dict) else item
        stack.extend((c, depth + 1) for c in children if isinstance(c, dict | list))
    return False


class JSONTooDeep(ValueError):
    pass


def loads(text: str | bytes) -> Any:
    """`json.loads` that raises ValueError, never RecursionError, and refuses deep nesting."""
    try:
        value = json.loads(text)
    except RecursionError:
        raise JSONTooDeep(TOO_DEEP) from None
    if nested_deeper_than(value):
        raise JSONTooDeep(TOO_DEEP)
    return value


class JSONParser(parsers.JSONParser):
    """DRF's JSON parser, answering 400 (not 500) to JSON nested too deeply."""

    def parse(
        self,
        stream: IO[Any],
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        try:
            data = super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise ParseError(f"JSON parse error - {TOO_DEEP}") from None
        if nested_deeper_than(data):
            raise ParseError(f"JSON parse error - {TOO_DEEP}")
        return data


class JSONField(serializers.JSONField):
    """A JSON value with bounded nesting, also when it arrives as a string in a form field."""

    def to_internal_value(self, data: Any) -> Any:
        if self.binary or getattr(data, "is_json_string", False):
            try:
                return loads(data)
            except JSONTooDeep:
                raise serializers.ValidationError(TOO_DEEP) from None
            except (TypeError, ValueError):
                self.fail("invalid")
        if nested_deeper_than(data):
            raise serializers.ValidationError(TOO_DEEP)
        return super().to_internal_value(data)
