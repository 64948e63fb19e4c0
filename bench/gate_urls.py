from django.http import HttpRequest, JsonResponse
from django.urls import path

from governance.urls import urlpatterns as product_urls


def bare(request: HttpRequest) -> JsonResponse:
    """The floor: the same middleware stack, no authentication, no queries."""
    return JsonResponse({"ok": True})


urlpatterns = [path("bench/bare/", bare), *product_urls]
