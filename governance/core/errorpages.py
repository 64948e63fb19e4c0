"""Error answers: HTML pages for people, `{"detail": ...}` JSON under /api/ for programs.

Django calls these handlers for what fails outside a DRF view, or what a DRF view does not
turn into a response itself: a body over `DATA_UPLOAD_MAX_MEMORY_SIZE`, an unknown /api/
path, an unhandled exception, a CSRF failure. A client of the API parses every answer as
JSON, so under /api/ each of them answers in the shape DRF uses, and a 500 says nothing of
the failure beyond that it was logged.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views import csrf, defaults

API_PREFIX = "/api/"
SERVER_ERROR = "Server error. It has been logged; nothing was half-saved."
# What an error under /api/ says when nothing more particular is known; the handlers here and
# `middleware.ApiErrorsAsJSON` (for error answers that came back as HTML) both use it.
API_DETAILS = {
    401: "Authentication credentials were not provided.",
    403: "You do not have permission to do this.",
    404: "Not found.",
    413: "The request body is too large.",
    429: "Too many requests; try again later.",
    500: SERVER_ERROR,
}


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(API_PREFIX)


def api_error(status: int, detail: str) -> JsonResponse:
    return JsonResponse({"detail": detail}, status=status)


def bad_request(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if not is_api(request):
        return defaults.bad_request(request, exception)
    if isinstance(exception, RequestDataTooBig):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        return api_error(413, f"The request body is larger than the limit of {limit:,} bytes.")
    if isinstance(exception, TooManyFieldsSent):
        return api_error(400, "The request has too many fields.")
    if isinstance(exception, TooManyFilesSent):
        return api_error(400, "The request has too many files.")
    return api_error(400, "Bad request.")


def forbidden(request: HttpRequest, exception: Any = None) -> HttpResponse:
    reason = str(exception or "")
    if is_api(request):
        return api_error(403, reason or API_DETAILS[403])
    reason = reason or "You do not have permission to open this page."
    return render(request, "errors/403.html", {"reason": reason}, status=403)


def not_found(request: HttpRequest, exception: Any = None) -> HttpResponse:
    if is_api(request):
        return api_error(404, API_DETAILS[404])
    return render(request, "errors/404.html", status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if is_api(request):
        return api_error(500, API_DETAILS[500])
    return render(request, "errors/500.html", status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    if is_api(request):
        return api_error(403, f"CSRF Failed: {reason}")
    return csrf.csrf_failure(request, reason)
