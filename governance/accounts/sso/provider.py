"""The provider's configuration: discovery, and the group-to-role mapping from settings."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

import requests
from django.conf import settings

from governance.accounts.group_roles import group_roles

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


def roles_for_groups(groups: list[str]) -> RoleMapping:
    mapping = group_roles()  # the one mapping SCIM uses too (settings.GROUP_ROLES)
    roles: set[str] = set()
    unknown: list[str] = []
    for group in groups:
        if group.casefold() in mapping:
            roles |= mapping[group.casefold()]
        else:
            unknown.append(group)
    return RoleMapping(roles=frozenset(roles), unknown_groups=tuple(sorted(set(unknown))))
