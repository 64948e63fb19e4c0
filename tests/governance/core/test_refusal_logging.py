from __future__ import annotations

import logging

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import user_with_roles


@pytest.mark.django_db
def test_a_refused_page_is_logged_as_one_line_at_info(
    client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    client.force_login(user_with_roles("auditor"))
    with caplog.at_level(logging.INFO, logger="django.request"):
        response = client.post(reverse("dashboard:ledger_verify_now"))
    assert response.status_code == 403
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.levelno == logging.INFO
    assert record.exc_info is None and record.exc_text is None
    assert "Traceback" not in caplog.text
    assert "\n" not in record.getMessage()


def test_a_server_error_keeps_its_level_and_traceback() -> None:
    from governance.core.logfilters import RefusalsAsOneLine

    try:
        raise RuntimeError("boom")
    except RuntimeError:
        import sys

        record = logging.LogRecord(
            "django.request",
            logging.ERROR,
            __file__,
            1,
            "Internal Server Error",
            (),
            sys.exc_info(),
        )
    record.status_code = 500
    assert RefusalsAsOneLine().filter(record)
    assert record.levelno == logging.ERROR and record.exc_info is not None
