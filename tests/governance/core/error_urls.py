"""The project's URLs plus views under /api/ that fail in each way a view can."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.http import require_POST
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from governance.urls import handler400, handler403, handler404, handler500
from governance.urls import urlpatterns as project_urlpatterns

SECRET = "connection string postgres://owner:hunter2@db"


def view_that_raises(request: HttpRequest) -> HttpResponse:
    raise RuntimeError(SECRET)


class DrfViewThatRaises(APIView):
    authentication_classes = ()
    permission_classes = (AllowAny,)

    def get(self, request: Request) -> Response:
        raise RuntimeError(SECRET)


@require_POST
def post_only(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<p>posted</p>")


def html_429(request: HttpRequest) -> HttpResponse:
    return HttpResponse("<h1>Locked</h1>", status=429, headers={"Retry-After": "60"})


def json_429(request: HttpRequest) -> HttpResponse:
    return JsonResponse({"detail": "Account locked.", "retry_after": 60}, status=429)


urlpatterns = [
    path("api/v1/test/raises/", view_that_raises),
    path("api/v1/test/drf-raises/", DrfViewThatRaises.as_view()),
    path("api/v1/test/post-only/", post_only),
    path("api/v1/test/html-429/", html_429),
    path("api/v1/test/json-429/", json_429),
    path("test/raises/", view_that_raises),
    *project_urlpatterns,
]

__all__ = ["handler400", "handler403", "handler404", "handler500", "urlpatterns"]
