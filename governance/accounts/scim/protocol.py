"""The SCIM wire format: schema URNs, errors, list responses and the small filter grammar."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from django.http import HttpRequest, HttpResponse

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_USER = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
SERVICE_PROVIDER_CONFIG = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:Schema"

MEDIA_TYPE = "application/scim+json"
MAX_RESULTS = 200


class ScimError(Exception):
    """An answer in SCIM's error form (RFC 7644 §3.12)."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type

    def response(self) -> HttpResponse:
        body: dict[str, Any] = {
            "schemas": [ERROR],
            "status": str(self.status),
            "detail": self.detail,
        }
        if self.scim_type:
            body["scimType"] = self.scim_type
        response = scim_response(body, status=self.status)
        if self.status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="scim"'
        return response


def scim_response(body: Mapping[str, Any] | None, *, status: int = 200) -> HttpResponse:
    if body is None:
        return HttpResponse(status=status)
    return HttpResponse(json.dumps(body), status=status, content_type=MEDIA_TYPE)


def read_body(request: HttpRequest) -> dict[str, Any]:
    """The request's JSON object, or a SCIM 400 naming what is wrong with it."""
    try:
        body = json.loads(request.body or b"")
    except (ValueError, UnicodeDecodeError) as exc:
        raise ScimError(400, f"The body is not JSON: {exc}.", "invalidSyntax") from exc
    if not isinstance(body, dict):
        raise ScimError(400, "The body must be a JSON object.", "invalidSyntax")
    return body


def page_params(request: HttpRequest) -> tuple[int, int]:
    """`startIndex` (1-based) and `count` from the query, clamped as RFC 7644 §3.4.2.4 says."""
    try:
        start = int(request.GET.get("startIndex", "1"))
        count = int(request.GET.get("count", str(MAX_RESULTS)))
    except ValueError as exc:
        raise ScimError(400, "startIndex and count are whole numbers.", "invalidValue") from exc
    return max(start, 1), min(max(count, 0), MAX_RESULTS)


def list_response(resources: list[dict[str, Any]], *, total: int, start: int) -> HttpResponse:
    return scim_response(
        {
            "schemas": [LIST_RESPONSE],
            "totalResults": total,
            "startIndex": start,
            "itemsPerPage": len(resources),
            "Resources": resources,
        }
    )


_EQ_FILTER = re.compile(r'^\s*([A-Za-z][\w.:]*)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)


def equality_filter(text: str, allowed: Mapping[str, str]) -> tuple[str, str] | None:
    """`attribute eq "value"` for one of the allowed attributes (names compared without case),
    as (our name for it, value); None for no filter; a SCIM 400 for anything else."""
    if not text.strip():
        return None
    match = _EQ_FILTER.match(text)
    if match is None:
        raise ScimError(
            400,
            f'Only filters of the form attribute eq "value" are supported: {text!r}.',
            "invalidFilter",
        )
    attribute, value = match.groups()
    ours = {name.lower(): target for name, target in allowed.items()}.get(attribute.lower())
    if ours is None:
        raise ScimError(
            400,
            f"Filtering on {attribute!r} is not supported; use one of: {', '.join(allowed)}.",
            "invalidFilter",
        )
    return ours, re.sub(r"\\(.)", r"\1", value)


def as_bool(value: Any, attribute: str) -> bool:
    """A SCIM boolean; some providers send "True"/"False" strings."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ScimError(400, f"{attribute} must be true or false.", "invalidValue")


def as_text(value: Any, attribute: str) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ScimError(400, f"{attribute} must be a string.", "invalidValue")
    if "\x00" in value:
        raise ScimError(400, f"{attribute} contains a NUL character.", "invalidValue")
    return value
