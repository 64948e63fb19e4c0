"""Domain errors raised by services; the API and the pages turn them into responses.

Services never return HTTP responses. They raise one of these, and
`governance.core.api.exception_handler` maps them to 400/403/404/409 with a message, while
pages show the message next to the form.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence


class DomainError(Exception):
    status_code = 400
    code = "invalid"

    def __init__(self, message: str, *, fields: Mapping[str, Sequence[str] | str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields: dict[str, list[str]] = {
            name: [errs] if isinstance(errs, str) else list(errs)
            for name, errs in (fields or {}).items()
        }


class InvalidInput(DomainError):
    """Input that a service cannot accept (400)."""


class PermissionRefused(DomainError):
    """The actor may not do this (403); the message says why in plain words."""

    status_code = 403
    code = "permission_denied"


class NotFound(DomainError):
    status_code = 404
    code = "not_found"


class Conflict(DomainError):
    """The request is well-formed but conflicts with the current state (409)."""

    status_code = 409
    code = "conflict"


class TransitionNotAllowed(Conflict):
    code = "transition_not_allowed"
