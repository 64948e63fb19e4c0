"""Pages: lists, the deployment tab, live progress, downloads, verification, exports."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from audits.reports.generate import run_report
from audits.reports.models import Export, JobStatus, Report
from audits.reports.services import report_claim, report_request
from governance.accounts.roles import Role
from tests.factories import ExportFactory, ReportFactory, user_with_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def done_report(owner: Any, deployment: Any) -> Report:
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    run_report(report.pk)
    report.refresh_from_db()
    return report


def test_reports_are_in_the_main_navigation(client: Any, owner: Any) -> None:
    client.force_login(owner)
    page = client.get(reverse("core:home"))
    assert reverse("reports:report_list").encode() in page.content


def test_report_list_offers_the_request_form_only_to_requesters(
    client: Any, owner: Any, done_report: Report
) -> None:
    client.force_login(owner)
    page = client.get(reverse("reports:report_list"))
    assert page.status_code == 200 and done_report.title.encode() in page.content
    assert b'action="/reports/request/"' in page.content
    assert b'<option value="bias_audit">Bias audit summary</option>' in page.content
    assert b'name="deployment"' in page.content  # the first kind's field, and only its
    assert b'name="bias_audit"' not in page.content
    client.force_login(user_with_roles(Role.AUDITOR))
    page = client.get(reverse("reports:report_list"))
    assert page.status_code == 200 and done_report.title.encode() in page.content
    assert b'action="/reports/request/"' not in page.content


def test_report_list_queries_do_not_grow_with_reports(
    client: Any, owner: Any, django_assert_max_num_queries: Any
) -> None:
    client.force_login(owner)
    ReportFactory()
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("reports:report_list"))
    for _ in range(15):
        ReportFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("reports:report_list"))


def test_requesting_from_the_page_redirects_to_the_live_report(
    client: Any, owner: Any, deployment: Any
) -> None:
    client.force_login(owner)
    response = client.post(
        reverse("reports:report_request"),
        {"kind": "deployment_dossier", "deployment": str(deployment.pk)},
    )
    report = Report.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("reports:report_detail", args=[report.pk])


@pytest.mark.parametrize(
    ("kind", "shown", "hidden"),
    [
        ("deployment_dossier", {"deployment"}, {"bias_audit"}),
        ("bias_audit", {"bias_audit"}, {"deployment"}),
        ("portfolio", set(), {"deployment", "bias_audit"}),
    ],
)
def test_choosing_a_kind_shows_only_its_fields(
    client: Any, owner: Any, kind: str, shown: set[str], hidden: set[str]
) -> None:
    client.force_login(owner)
    page = client.get(reverse("reports:report_request"), {"kind": kind})
    assert page.status_code == 200
    text = page.content.decode()
    assert f'<option value="{kind}" selected>' in text  # the kind chooser, a plain GET form
    assert f'<input type="hidden" name="kind" value="{kind}"' in text
    for name in shown:
        assert f'name="{name}"' in text
    for name in hidden:
        assert f'name="{name}"' not in text


def test_an_unknown_kind_in_the_address_shows_the_first_kind(client: Any, owner: Any) -> None:
    client.force_login(owner)
    page = client.get(reverse("reports:report_request"), {"kind": "nonsense"})
    assert page.status_code == 200 and b'name="deployment"' in page.content


def test_a_portfolio_is_requested_without_subject_fields(client: Any, owner: Any) -> None:
    client.force_login(owner)
    response = client.post(reverse("reports:report_request"), {"kind": "portfolio"})
    assert response.status_code == 302
    assert Report.objects.get().kind == "portfolio"


def test_a_request_with_an_unknown_kind_says_so(client: Any, owner: Any) -> None:
    client.force_login(owner)
    response = client.post(reverse("reports:report_request"), {"kind": "nonsense"})
    assert response.status_code == 400 and b"Kind of report:" in response.content
    assert not Report.objects.exists()


def test_a_request_without_its_deployment_shows_the_field_error(client: Any, owner: Any) -> None:
    client.force_login(owner)
    response = client.post(reverse("reports:report_request"), {"kind": "deployment_dossier"})
    assert response.status_code == 400
    assert b"Choose the deployment to document." in response.content
    assert not Report.objects.exists()


def test_deployment_tab_lists_dossiers_and_generates_one(
    client: Any, owner: Any, deployment: Any, done_report: Report
) -> None:
    client.force_login(owner)
    url = reverse("reports:deployment_reports", args=[deployment.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert b'aria-current="page">Reports</a>' in page.content  # the tab, from the header
    assert reverse("reports:report_download", args=[done_report.pk]).encode() in page.content
    assert b"Generate dossier" in page.content
    response = client.post(url)
    newest = Report.objects.order_by("-created_at").first()
    assert newest is not None and newest != done_report and newest.status == JobStatus.QUEUED
    assert response["Location"] == reverse("reports:report_detail", args=[newest.pk])


def test_auditors_see_the_tab_without_the_button_and_cannot_post(
    client: Any, deployment: Any
) -> None:
    client.force_login(user_with_roles(Role.AUDITOR))
    url = reverse("reports:deployment_reports", args=[deployment.pk])
    assert b"Generate dossier" not in client.get(url).content
    assert client.post(url).status_code == 403
    assert not Report.objects.exists()


def test_progress_polls_while_running_and_stops_when_done(
    client: Any, owner: Any, deployment: Any
) -> None:
    client.force_login(owner)
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    report_claim(report_id=report.pk, worker="elsewhere:1")
    detail = client.get(reverse("reports:report_detail", args=[report.pk]))
    poll_url = reverse("reports:report_progress", args=[report.pk])
    assert f'hx-get="{poll_url}"'.encode() in detail.content
    assert b'hx-trigger="every 1s"' in detail.content
    partial = client.get(poll_url)
    assert b"<progress" in partial.content and b"<html" not in partial.content

    finished = ReportFactory(deployment=deployment)
    run_report(finished.pk)
    partial = client.get(reverse("reports:report_progress", args=[finished.pk]))
    assert b"hx-get" not in partial.content and b'value="100"' in partial.content
    assert reverse("reports:report_download", args=[finished.pk]).encode() in partial.content


def test_a_failed_report_shows_its_error(client: Any, owner: Any) -> None:
    report = ReportFactory(status=JobStatus.FAILED, error="The signing key cannot be read.")
    client.force_login(owner)
    page = client.get(reverse("reports:report_detail", args=[report.pk]))
    assert b"The signing key cannot be read." in page.content and b"hx-get" not in page.content


def test_downloads_go_through_the_permission_check(
    client: Any, done_report: Report, settings: Any
) -> None:
    url = reverse("reports:report_download", args=[done_report.pk])
    anonymous = client.get(url)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    client.force_login(user_with_roles())  # a person without any role
    assert client.get(url).status_code == 403
    client.force_login(user_with_roles(Role.AUDITOR))
    response = client.get(url)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert settings.MEDIA_URL.rstrip("/") not in url


def test_an_unfinished_report_has_nothing_to_download(client: Any, owner: Any) -> None:
    client.force_login(owner)
    report = ReportFactory()
    assert client.get(reverse("reports:report_download", args=[report.pk])).status_code == 404


def test_verify_page_is_public_and_says_issued_or_unknown(client: Any, done_report: Report) -> None:
    content = done_report.file.open("rb").read()
    page = client.post(reverse("reports:verify"), {"file": SimpleUploadedFile("d.pdf", content)})
    assert page.status_code == 200
    assert b"Issued by this organisation" in page.content
    assert done_report.title.encode() in page.content and b"intact" in page.content
    assert reverse("reports:report_detail", args=[done_report.pk]).encode() not in page.content
    altered = bytearray(content)
    altered[100] ^= 0x20
    page = client.post(
        reverse("reports:verify"), {"file": SimpleUploadedFile("d.pdf", bytes(altered))}
    )
    assert b"Unknown" in page.content and b"Issued by this organisation" not in page.content
    page = client.post(reverse("reports:verify"), {"sha256": done_report.file_sha256})
    assert b"Issued by this organisation" in page.content


def test_verify_page_explains_bad_input(client: Any) -> None:
    page = client.post(reverse("reports:verify"), {"sha256": "not a hash"})
    assert page.status_code == 400
    assert b"A SHA-256 is 64 hexadecimal characters." in page.content


def test_export_page_creates_bundles_for_compliance_only(client: Any, deployment: Any) -> None:
    compliance = user_with_roles(Role.COMPLIANCE_OFFICER)
    client.force_login(compliance)
    page = client.get(reverse("reports:export_list"))
    assert b"Build bundle" in page.content
    response = client.post(
        reverse("reports:export_list"),
        {"recipient": "Financial Conduct Authority", "deployments": [str(deployment.pk)]},
    )
    export = Export.objects.get()
    assert response["Location"] == reverse("reports:export_detail", args=[export.pk])
    detail = client.get(response["Location"])
    assert b"Financial Conduct Authority" in detail.content and b"hx-get" in detail.content

    client.force_login(user_with_roles(Role.AUDITOR))
    page = client.get(reverse("reports:export_list"))
    assert page.status_code == 200 and b"Build bundle" not in page.content
    assert client.post(reverse("reports:export_list"), {"recipient": "x"}).status_code == 403


def test_export_form_errors_are_shown(client: Any) -> None:
    client.force_login(user_with_roles(Role.COMPLIANCE_OFFICER))
    response = client.post(reverse("reports:export_list"), {"recipient": ""})
    assert response.status_code == 400 and b"This field is required." in response.content
    assert not Export.objects.exists()


def test_export_list_queries_do_not_grow(client: Any, django_assert_max_num_queries: Any) -> None:
    client.force_login(user_with_roles(Role.AUDITOR))
    ExportFactory()
    with django_assert_max_num_queries(12) as few:
        client.get(reverse("reports:export_list"))
    for _ in range(10):
        ExportFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        client.get(reverse("reports:export_list"))


def test_verify_page_refuses_oversized_uploads_before_reading_them(client: Any) -> None:
    page = client.post(
        reverse("reports:verify"),
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(300 * 1024 * 1024),
    )
    assert page.status_code == 400 and b"larger than 200 MB" in page.content


def test_verify_page_treats_a_non_ascii_length_header_as_no_length(client: Any) -> None:
    page = client.post(
        reverse("reports:verify"),
        data=b"x",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH="²",
    )
    assert page.status_code in (200, 400)
