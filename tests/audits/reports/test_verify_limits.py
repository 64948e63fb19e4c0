"""The public verification page and the API's verify: large uploads stream to disk, and each
client address has a budget of checks per minute."""

from __future__ import annotations

import os
import tracemalloc
from typing import Any

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.test.client import BOUNDARY, MULTIPART_CONTENT, encode_multipart
from rest_framework.test import APIRequestFactory, force_authenticate

from audits.reports import views
from audits.reports.api import ReportViewSet
from audits.reports.verification import verify_pdf
from governance.core.uploads import chunks_of

pytestmark = pytest.mark.django_db

SIZE = 24 * 1024 * 1024


def _big_upload() -> bytes:
    junk = b"%PDF-1.7\n" + os.urandom(SIZE)
    return encode_multipart(BOUNDARY, {"file": _named(junk)})


def _named(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("big.pdf", content, content_type="application/pdf")


def test_a_large_upload_to_the_public_page_is_never_held_in_memory(rf: Any) -> None:
    body = _big_upload()
    request = rf.generic("POST", "/verify/", body, content_type=MULTIPART_CONTENT)
    request._dont_enforce_csrf_checks = True
    request.user = AnonymousUser()
    tracemalloc.start()
    try:
        response = views.verify(request)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200
    assert b"Unknown" in response.content
    # Reading the 24 MB file whole (as bytes, or in Django's in-memory handler) would peak
    # above its size; streamed to disk and hashed in pieces it stays near one chunk.
    assert peak < 6 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
    assert isinstance(request.FILES["file"], TemporaryUploadedFile)


def test_even_a_small_upload_goes_to_a_temporary_file(client: Any, monkeypatch: Any) -> None:
    seen: list[bool] = []
    original = views.verify_pdf

    def spy(content: Any) -> Any:
        # A file on disk, not bytes or an in-memory buffer.
        seen.append(os.path.isfile(getattr(content, "name", "")))
        return original(content)

    monkeypatch.setattr(views, "verify_pdf", spy)
    response = client.post("/verify/", {"file": _named(b"%PDF-1.7\nsmall")})
    assert response.status_code == 200
    assert seen == [True]


def test_a_file_is_hashed_in_pieces_with_the_same_answer_as_its_bytes(tmp_path: Any) -> None:
    content = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "x.pdf"
    path.write_bytes(content)
    with path.open("rb") as handle:
        assert verify_pdf(handle).sha256 == verify_pdf(content).sha256
        assert b"".join(chunks_of(handle)) == content


def test_the_public_page_refuses_checks_beyond_the_budget_of_an_address(
    client: Any, settings: Any
) -> None:
    settings.VERIFY_RATE_LIMIT = 3
    for _ in range(3):
        assert client.post("/verify/", {"sha256": "0" * 64}).status_code == 200
    refused = client.post("/verify/", {"sha256": "0" * 64})
    assert refused.status_code == 429
    assert b"Too many verification requests from your address" in refused.content
    # Another address has its own budget; reading the page is never counted.
    other = client.post("/verify/", {"sha256": "0" * 64}, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200
    assert client.get("/verify/").status_code == 200


def test_the_api_refuses_checks_beyond_the_budget_with_json_429(
    api: Any, owner: Any, settings: Any
) -> None:
    settings.VERIFY_RATE_LIMIT = 2
    client = api(owner)
    for _ in range(2):
        ok = client.post("/api/v1/reports/verify/", {"sha256": "0" * 64}, format="json")
        assert ok.status_code == 200
    refused = client.post("/api/v1/reports/verify/", {"sha256": "0" * 64}, format="json")
    assert refused.status_code == 429
    assert refused["Content-Type"] == "application/json"
    body = refused.json()
    assert body["code"] == "rate_limited"
    assert "Too many verification requests from your address" in body["detail"]


def test_the_api_streams_an_uploaded_file_to_disk(owner: Any) -> None:
    request = APIRequestFactory().post(
        "/api/v1/reports/verify/", _big_upload(), content_type=MULTIPART_CONTENT
    )
    force_authenticate(request, user=owner)
    view = ReportViewSet.as_view({"post": "verify"})
    tracemalloc.start()
    try:
        response = view(request)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert response.status_code == 200, response.data
    assert response.data["verdict"] == "unknown"
    assert peak < 6 * 1024 * 1024, f"peak {peak / 1e6:.1f} MB"
