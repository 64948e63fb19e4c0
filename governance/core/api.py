"""Shared DRF plumbing: the exception handler that keeps every error a clear 4xx, and pagination."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from governance.core.errors import DomainError

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, DomainError):
        body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
        body.update(exc.fields)
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, IntegrityError):
        # A constraint the serializer could not foresee (usually a race with another writer).
        logger.info("integrity error turned into 409: %s", exc)
        return Response(
            {"detail": "This conflicts with an existing record.", "code": "conflict"},
            status=status.HTTP_409_CONFLICT,
        )
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(response.data, list):
        # A refusal not tied to a field (`ValidationError("...")` outside a serializer, a
        # filter's own check) comes from DRF as a bare list; every error body is an object
        # (the schema's `ValidationError`), so clients decode one shape.
        response.data = {"detail": response.data}
    return response


class StandardPagination(PageNumberPagination):
    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 200


UUID_PATTERN = "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"


class UUIDLookup:
    """Route only UUID-shaped ids, so anything else is a plain 404 rather than a parse error."""

    lookup_value_regex = UUID_PATTERN
