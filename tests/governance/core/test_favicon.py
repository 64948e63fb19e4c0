from __future__ import annotations

import pytest
from django.test import Client


@pytest.mark.django_db
def test_favicon_ico_answers_with_the_site_icon() -> None:
    response = Client().get("/favicon.ico")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert b"<svg" in b"".join(response.streaming_content)  # type: ignore[attr-defined]
