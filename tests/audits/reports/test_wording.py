from __future__ import annotations

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse

from tests.factories import user_with_roles


def test_verification_section_names_the_organisation_in_a_sentence_that_reads() -> None:
    html = render_to_string(
        "reports/sections/verification.html", {"data": {"organisation": "Model Governance"}}
    )
    assert "governance records kept by Model Governance" in html
    assert "Model Governance's model governance system" not in html


@pytest.mark.django_db
def test_an_empty_reports_page_offers_to_request_a_report(client: Client) -> None:
    client.force_login(user_with_roles("requester"))
    body = client.get(reverse("reports:report_list")).content.decode()
    assert "No report has been requested yet." in body
    assert f'href="{reverse("reports:report_request")}">request one</a>' in body
    filtered = client.get(reverse("reports:report_list"), {"status": "done"}).content.decode()
    assert "No reports match these filters." in filtered
