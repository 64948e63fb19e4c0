"""Every error under /api/ answers JSON, whichever layer produced it.

The error handlers in `errorpages` cover exceptions; this covers error responses that
something returned as HTML instead (Django's 405 for a plain view, the debug pages, a
middleware answering on its own). A JSON answer is passed through untouched, so a layer
that already speaks JSON (DRF, a JSON 429) keeps its own words.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse

from governance.core.errorpages import API_DETAILS, SERVER_ERROR, is_api


class ApiErrorsAsJSON:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api(request) or _is_json(response):
            return response
        return _as_json(request, response)


def _is_json(response: HttpResponseBase) -> bool:
    content_type = response.get("Content-Type", "").split(";")[0].strip().lower()
    return content_type == "application/json" or content_type.endswith("+json")


def _detail(request: HttpRequest, response: HttpResponseBase) -> str:
    status = response.status_code
    if status == 405:
        return f'Method "{request.method}" not allowed.'
    if status >= 500:
        return SERVER_ERROR
    return API_DETAILS.get(status) or f"{response.reason_phrase}."


def _as_json(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    body = {"detail": _detail(request, response)}
    if not isinstance(response, HttpResponse):  # streamed: nothing to rewrite in place
        return JsonResponse(body, status=response.status_code)
    # Rewritten in place, so the headers that still apply (Allow on a 405, Retry-After on a
    # 429, WWW-Authenticate, cookies) and the response's resource closers are kept.
    response.content = json.dumps(body).encode()
    response["Content-Type"] = "application/json"
    response.headers.pop("Content-Disposition", None)
    if "Content-Length" in response:
        response["Content-Length"] = str(len(response.content))
    return response
