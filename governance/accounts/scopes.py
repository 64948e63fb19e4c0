"""What an API token may be used for: its scopes, and which requests need which scope.

A token acts for its owner, but only within its scopes, so a CI pipeline's token can be
limited to asking the gate. Roles still decide what the owner may do at all
(governance/accounts/permissions.py); a scope only narrows that, never widens it.

The rule for a request, declared here and applied by `permissions.TokenScopes`:

- safe methods (GET, HEAD, OPTIONS) need one of the view's `read_scopes`, by default `read`
  (the gate views also accept `gate:read`);
- other methods need the view's `required_scope`, by default `write` (an observation
  ingestion endpoint declares `required_scope = Scope.OBSERVATIONS_WRITE`).

Browser requests authenticated by the session carry no token and are not affected.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from rest_framework.permissions import SAFE_METHODS


class Scope(models.TextChoices):
    READ = "read", "Read every record the owner may see"
    WRITE = "write", "Change records, as far as the owner's roles allow"
    GATE_READ = "gate:read", "Ask the deployment gate (nothing else)"
    OBSERVATIONS_WRITE = "observations:write", "Send monitoring observations"
    # An identity provider's provisioning token: the SCIM endpoints accept nothing else, and
    # no other endpoint accepts it.
    SCIM = "scim", "Provision people through SCIM (identity providers)"


# Scopes that change nothing: the only ones a person whose roles only read may give a token.
READ_ONLY_SCOPES = frozenset({Scope.READ, Scope.GATE_READ})

# What tokens made before scopes existed were given, so they keep working as they did.
PRE_SCOPE_TOKENS = frozenset({Scope.READ, Scope.WRITE, Scope.GATE_READ})

SAFE_DEFAULT: tuple[Scope, ...] = (Scope.READ,)
# The gate views' `read_scopes`; the gate's replay checks the same (approvals/gate_replay.py).
GATE_SCOPES: tuple[Scope, ...] = (Scope.GATE_READ, Scope.READ)
UNSAFE_DEFAULT = Scope.WRITE

SEPARATOR = " "
# The stored form (space-separated, sorted, as in OAuth's `scope`), also checked by the
# database: one or more known scopes.
STORED_PATTERN = r"^({known})( ({known}))*$".format(known="|".join(sorted(Scope.values)))


def scopes_text(scopes: Iterable[str]) -> str:
    return SEPARATOR.join(sorted(set(scopes)))


def scopes_of(text: str) -> frozenset[str]:
    return frozenset(text.split(SEPARATOR)) if text else frozenset()


def accepted_scopes(method: str, view: Any) -> tuple[str, ...]:
    """The scopes of which a token needs one for this request to this view."""
    if method in SAFE_METHODS:
        return tuple(getattr(view, "read_scopes", SAFE_DEFAULT))
    # A view may accept several scopes for writes (`write_scopes`), e.g. a pipeline's narrow
    # `observations:write` or a general `write`.
    if hasattr(view, "write_scopes"):
        return tuple(view.write_scopes)
    return (getattr(view, "required_scope", UNSAFE_DEFAULT),)
