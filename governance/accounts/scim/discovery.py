"""What the SCIM service offers, for providers that ask (RFC 7643 §5-7, RFC 7644 §4)."""

from __future__ import annotations

from typing import Any

from django.urls import reverse

from governance.accounts.scim.protocol import (
    GROUP_SCHEMA,
    MAX_RESULTS,
    RESOURCE_TYPE,
    SCHEMA,
    SERVICE_PROVIDER_CONFIG,
    USER_SCHEMA,
)


def _url(request: Any, url_name: str, **kwargs: str) -> str:
    return str(request.build_absolute_uri(reverse(url_name, kwargs=kwargs or None)))


def service_provider_config(request: Any) -> dict[str, Any]:
    return {
        "schemas": [SERVICE_PROVIDER_CONFIG],
        "documentationUri": "",
        "patch": {"supported": True},
        "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
        "filter": {"supported": True, "maxResults": MAX_RESULTS},
        "changePassword": {"supported": False},
        "sort": {"supported": False},
        "etag": {"supported": False},
        "authenticationSchemes": [
            {
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "An API token with the scim scope, owned by an administrator.",
                "primary": True,
            }
        ],
        "meta": {
            "resourceType": "ServiceProviderConfig",
            "location": _url(request, "scim:service_provider_config"),
        },
    }


def resource_types(request: Any) -> list[dict[str, Any]]:
    return [
        {
            "schemas": [RESOURCE_TYPE],
            "id": name,
            "name": name,
            "endpoint": endpoint,
            "description": description,
            "schema": schema,
            "meta": {
                "resourceType": "ResourceType",
                "location": _url(request, "scim:resource_type", name=name),
            },
        }
        for name, endpoint, description, schema in (
            ("User", "/Users", "A person with an account", USER_SCHEMA),
            ("Group", "/Groups", "A group of GROUP_ROLES, granting its roles", GROUP_SCHEMA),
        )
    ]


def _attribute(
    name: str,
    kind: str = "string",
    *,
    required: bool = False,
    mutability: str = "readWrite",
    multi: bool = False,
    unique: str = "none",
    sub: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "name": name,
        "type": kind,
        "multiValued": multi,
        "required": required,
        "caseExact": False,
        "mutability": mutability,
        "returned": "default",
        "uniqueness": unique,
    }
    if sub is not None:
        attribute["subAttributes"] = sub
    return attribute


def schemas(request: Any) -> list[dict[str, Any]]:
    user_attributes = [
        _attribute("userName", required=True, unique="server"),
        _attribute(
            "name",
            "complex",
            sub=[_attribute("givenName"), _attribute("familyName"), _attribute("formatted")],
        ),
        _attribute("displayName", mutability="readOnly"),
        _attribute("active", "boolean"),
        _attribute(
            "emails",
            "complex",
            multi=True,
            sub=[_attribute("value"), _attribute("type"), _attribute("primary", "boolean")],
        ),
        _attribute(
            "groups",
            "complex",
            multi=True,
            mutability="readOnly",
            sub=[
                _attribute("value", mutability="readOnly"),
                _attribute("display", mutability="readOnly"),
            ],
        ),
    ]
    group_attributes = [
        _attribute("displayName", required=True, mutability="immutable", unique="server"),
        _attribute(
            "members",
            "complex",
            multi=True,
            sub=[
                _attribute("value", mutability="immutable"),
                _attribute("display", mutability="readOnly"),
            ],
        ),
    ]
    return [
        {
            "schemas": [SCHEMA],
            "id": urn,
            "name": name,
            "description": description,
            "attributes": attributes,
            "meta": {"resourceType": "Schema", "location": _url(request, "scim:schema", urn=urn)},
        }
        for urn, name, description, attributes in (
            (USER_SCHEMA, "User", "A person with an account", user_attributes),
            (GROUP_SCHEMA, "Group", "A group of GROUP_ROLES", group_attributes),
        )
    ]
