"""The provider's configuration: discovery, and the group-to-role mapping from settings."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

from governance.accounts.roles import Role

logger = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
# Discovery is read again after an hour, so rotated endpoints are followed without a restart.
DISCOVERY_TTL_SECONDS = 3600
_discovered: dict[str, tuple[float, dict[str, Any]]] = {}


class ProviderUnavailable(Exception):
    """The provider's discovery document could not be read or is unusable."""


def enabled() -> bool:
    return bool(settings.OIDC_ENABLED)


def provider_name() -> str:
    return str(settings.OIDC_PROVIDER_NAME)


def metadata() -> dict[str, Any]:
    """The issuer's discovery document (cached per issuer for an hour)."""
    issuer = settings.OIDC_ISSUER
    cached = _discovered.get(issuer)
    if cached and time.monotonic() - cached[0] < DISCOVERY_TTL_SECONDS:
        return cached[1]
    url = issuer.rstrip("/") + DISCOVERY_PATH
    try:
        response = requests.get(url, timeout=settings.OIDC_TIMEOUT)
        response.raise_for_status()
        document = response.json()
    except (requests.RequestException, ValueError) as exc:
        logger.warning("OpenID Connect discovery at %s failed: %s", url, exc)
        raise ProviderUnavailable(f"{provider_name()} cannot be reached just now.") from exc
    needed = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
    missing = [key for key in needed if not isinstance(document.get(key), str)]
    if missing:
        raise ProviderUnavailable(f"The provider's discovery document lacks {', '.join(missing)}.")
    # OpenID Connect Discovery 1.0 §4.3: the document must name the issuer it was asked for.
    if document["issuer"].rstrip("/") != issuer.rstrip("/"):
        raise ProviderUnavailable(
            f"The provider at {issuer} calls itself {document['issuer']}; check OIDC_ISSUER."
        )
    _discovered[issuer] = (time.monotonic(), document)
    return document


@dataclass(frozen=True)
class RoleMapping:
    roles: frozenset[str]
    unknown_groups: tuple[str, ...]


def parse_group_roles(text: str) -> dict[str, frozenset[str]]:
    """`"gov-reviewers=reviewer,gov-compliance=compliance_officer"` as {group: roles}."""
    mapping: dict[str, set[str]] = {}
    for item in text.split(","):
        if not item.strip():
            continue
        group, sep, role = item.partition("=")
        if not sep or not group.strip() or not role.strip():
            raise ValueError(f"{item.strip()!r} is not group=role")
        if role.strip() not in Role.values:
            raise ValueError(
                f"{role.strip()!r} (for group {group.strip()!r}) is not a role; "
                f"known roles: {', '.join(Role.values)}"
            )
        mapping.setdefault(group.strip(), set()).add(role.strip())
    return {group: frozenset(roles) for group, roles in mapping.items()}


def roles_for_groups(groups: list[str]) -> RoleMapping:
    mapping = parse_group_roles(settings.OIDC_GROUP_ROLES)
    roles: set[str] = set()
    unknown: list[str] = []
    for group in groups:
        if group in mapping:
            roles |= mapping[group]
        else:
            unknown.append(group)
    return RoleMapping(roles=frozenset(roles), unknown_groups=tuple(sorted(set(unknown))))
