from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.urls import path

from governance.urls import urlpatterns as product_urls


def bare(request: HttpRequest) -> JsonResponse:
    """The floor: the same middleware stack, no authentication, no queries."""
    return JsonResponse({"ok": True})


def one_read(request: HttpRequest) -> JsonResponse:
    """The ceiling for any answer that consults the database: one primary-key read."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT seq FROM ledger_ledgerhead WHERE id = %s", [1])
        row = cursor.fetchone()
    return JsonResponse({"seq": row[0] if row else 0})


def one_insert(request: HttpRequest) -> JsonResponse:
    """What waiting for the disk costs: one row inserted and committed synchronously."""
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_insert (at) VALUES (now()) RETURNING id")
        row = cursor.fetchone()
    return JsonResponse({"id": row[0]})


urlpatterns = [
    path("bench/bare/", bare),
    path("bench/one-read/", one_read),
    path("bench/one-insert/", one_insert),
    *product_urls,
]
