"""Validate an API answer against a component of the generated OpenAPI schema."""

from __future__ import annotations

import functools
from typing import Any

import jsonschema
from drf_spectacular.generators import SchemaGenerator


@functools.cache
def openapi_schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _as_json_schema(node: Any) -> Any:
    # OpenAPI 3.0's `nullable: true` is JSON Schema's "or null".
    if isinstance(node, list):
        return [_as_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    converted = {key: _as_json_schema(value) for key, value in node.items() if key != "nullable"}
    if node.get("nullable"):
        return {"anyOf": [converted, {"type": "null"}]}
    return converted


def schema_errors(body: Any, component: str) -> list[str]:
    """Messages for each way `body` breaks `#/components/schemas/<component>` (none if valid)."""
    document = {
        "$ref": f"#/components/schemas/{component}",
        "components": _as_json_schema(openapi_schema()["components"]),
    }
    # OpenAPI 3.0's schema objects follow JSON Schema draft 4 (boolean exclusiveMaximum).
    validator = jsonschema.Draft4Validator(document)
    return [
        f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
        for error in validator.iter_errors(body)
    ]


def response_component(path: str, method: str, status: int) -> str:
    """The component name an operation's answer with `status` is documented with."""
    responses = openapi_schema()["paths"][path][method]["responses"]
    schema = responses[str(status)]["content"]["application/json"]["schema"]
    return str(schema["$ref"]).rsplit("/", 1)[-1]
