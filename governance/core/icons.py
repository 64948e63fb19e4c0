"""The site icon at the address browsers ask for, whatever the page's <link rel="icon"> says."""

from __future__ import annotations

from django.contrib.staticfiles import finders
from django.http import FileResponse, Http404, HttpRequest
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe


@require_safe
@cache_control(max_age=86400, public=True)
def favicon(request: HttpRequest) -> FileResponse:
    found = finders.find("favicon.svg")
    if not found or not isinstance(found, str):
        raise Http404("no icon")
    return FileResponse(open(found, "rb"), content_type="image/svg+xml")
