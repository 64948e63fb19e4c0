"""API v1: request (202), progress, download, regenerate, verify, exports."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.reports.generate import run_report
from audits.reports.models import Export, JobStatus, Report
from audits.reports.services import report_request
from governance.accounts.roles import Role
from governance.ledger.models import LedgerEvent
from tests.factories import DeploymentFactory, ReportFactory, user_with_roles

pytestmark = pytest.mark.django_db


@pytest.fixture
def done_report(owner: Any, deployment: Any) -> Report:
    report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    run_report(report.pk)
    report.refresh_from_db()
    assert report.status == JobStatus.DONE, report.error
    return report


def test_requesting_a_dossier_answers_202_with_the_queued_report(
    api: Any, owner: Any, deployment: Any
) -> None:
    response = api(owner).post(
        "/api/v1/reports/",
        {"kind": "deployment_dossier", "deployment": str(deployment.pk)},
        format="json",
    )
    assert response.status_code == 202, response.content
    body = response.json()
    assert body["status"] == "queued" and body["progress"] == 0
    report = Report.objects.get(pk=body["id"])
    assert report.deployment == deployment and report.requested_by == owner
    assert LedgerEvent.objects.filter(action="report.requested", subject_id=body["id"]).exists()


def test_requesting_a_portfolio_report_needs_no_deployment(api: Any, owner: Any) -> None:
    response = api(owner).post("/api/v1/reports/", {"kind": "portfolio"}, format="json")
    assert response.status_code == 202
    assert response.json()["subject"] == "portfolio"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"kind": "deployment_dossier"}, "deployment"),
        ({"kind": "weekly"}, "kind"),
        ({"kind": "bias_audit"}, "bias_audit"),
        (
            {"kind": "bias_audit", "bias_audit": "00000000-0000-0000-0000-000000000001"},
            "bias_audit",
        ),
        ({"kind": "deployment_dossier", "deployment": "not-a-uuid"}, "deployment"),
    ],
)
def test_bad_requests_get_400_naming_the_field(
    api: Any, owner: Any, body: dict[str, Any], field: str
) -> None:
    response = api(owner).post("/api/v1/reports/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()
    assert not Report.objects.exists()


def test_auditors_read_but_cannot_request(api: Any, done_report: Report) -> None:
    auditor = user_with_roles(Role.AUDITOR)
    client = api(auditor)
    denied = client.post("/api/v1/reports/", {"kind": "portfolio"}, format="json")
    assert denied.status_code == 403 and "reports.request" in denied.json()["detail"]
    assert client.get(f"/api/v1/reports/{done_report.pk}/").status_code == 200
    download = client.get(f"/api/v1/reports/{done_report.pk}/download/")
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"%PDF")


def test_progress_and_hashes_are_in_the_detail(api: Any, owner: Any, done_report: Report) -> None:
    body = api(owner).get(f"/api/v1/reports/{done_report.pk}/").json()
    assert body["status"] == "done" and body["progress"] == 100 and body["stage"] == "done"
    assert body["file_sha256"] == done_report.file_sha256
    assert body["evidence_sha256"] == done_report.evidence_sha256
    assert body["download_url"] == f"/api/v1/reports/{done_report.pk}/download/"


def test_download_of_an_unfinished_report_is_a_conflict(api: Any, owner: Any) -> None:
    report = ReportFactory()
    response = api(owner).get(f"/api/v1/reports/{report.pk}/download/")
    assert response.status_code == 409 and "queued" in response.json()["detail"]


def test_download_needs_authentication(api: Any, done_report: Report) -> None:
    assert api().get(f"/api/v1/reports/{done_report.pk}/download/").status_code == 401


def test_regenerate_queues_a_new_report_for_the_same_subject(
    api: Any, owner: Any, done_report: Report
) -> None:
    response = api(owner).post(f"/api/v1/reports/{done_report.pk}/regenerate/")
    assert response.status_code == 202
    newer = Report.objects.get(pk=response.json()["id"])
    assert newer.subject_key == done_report.subject_key and newer.status == JobStatus.QUEUED


def test_status_fields_cannot_be_written(api: Any, owner: Any, done_report: Report) -> None:
    response = api(owner).patch(
        f"/api/v1/reports/{done_report.pk}/", {"status": "failed"}, format="json"
    )
    assert response.status_code == 405
    done_report.refresh_from_db()
    assert done_report.status == JobStatus.DONE


def test_verify_by_upload_says_issued_with_what_when_and_by_whom(
    api: Any, done_report: Report
) -> None:
    auditor = user_with_roles(Role.AUDITOR)
    content = done_report.file.open("rb").read()
    response = api(auditor).post(
        "/api/v1/reports/verify/",
        {"file": SimpleUploadedFile("dossier.pdf", content, "application/pdf")},
        format="multipart",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["verdict"] == "issued" and body["superseded"] is False
    assert body["report"]["id"] == str(done_report.pk)
    assert body["report"]["requested_by"]["username"] == "maya"
    assert body["signature"]["status"] == "intact"


def test_verify_a_one_byte_change_is_unknown(api: Any, owner: Any, done_report: Report) -> None:
    content = bytearray(done_report.file.open("rb").read())
    content[len(content) // 2] ^= 0x01
    response = api(owner).post(
        "/api/v1/reports/verify/",
        {"file": SimpleUploadedFile("dossier.pdf", bytes(content))},
        format="multipart",
    )
    body = response.json()
    assert body["verdict"] == "unknown" and body["report"] is None
    assert body["signature"]["status"] != "intact"


def test_verify_by_sha256_and_superseded_reports(
    api: Any, owner: Any, deployment: Any, done_report: Report
) -> None:
    newer = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
    run_report(newer.pk)
    body = (
        api(owner)
        .post("/api/v1/reports/verify/", {"sha256": done_report.file_sha256.upper()}, format="json")
        .json()
    )
    assert body["verdict"] == "issued" and body["superseded"] is True
    assert body["superseded_by"]["id"] == str(newer.pk)
    assert body["signature"]["status"] == "intact"
    unknown = api(owner).post("/api/v1/reports/verify/", {"sha256": "0" * 64}, format="json")
    assert unknown.json()["verdict"] == "unknown"


@pytest.mark.parametrize("body", [{}, {"sha256": "xyz"}, {"sha256": "0" * 63}])
def test_verify_refuses_bad_input_with_400(api: Any, owner: Any, body: dict[str, str]) -> None:
    response = api(owner).post("/api/v1/reports/verify/", body, format="json")
    assert response.status_code == 400, response.content


def test_exports_answer_202_and_refuse_missing_recipients(
    api: Any, deployment: Any, settings: Any
) -> None:
    compliance = user_with_roles(Role.COMPLIANCE_OFFICER)
    client = api(compliance)
    response = client.post(
        "/api/v1/exports/",
        {"recipient": "Autorité de contrôle", "deployments": [str(deployment.pk)]},
        format="json",
    )
    assert response.status_code == 202, response.content
    assert response.json()["status"] == "queued"
    export = Export.objects.get(pk=response.json()["id"])
    assert list(export.deployments.all()) == [deployment]
    assert LedgerEvent.objects.filter(action="export.requested").exists()
    missing = client.post("/api/v1/exports/", {"deployments": [str(deployment.pk)]}, format="json")
    assert missing.status_code == 400 and "recipient" in missing.json()
    settings.EXPORT_MAX_DEPLOYMENTS = 1
    too_many = client.post(
        "/api/v1/exports/",
        {"recipient": "X", "deployments": [str(deployment.pk), str(DeploymentFactory().pk)]},
        format="json",
    )
    assert too_many.status_code == 400 and "deployments" in too_many.json()


def test_requesters_cannot_create_exports(api: Any, owner: Any, deployment: Any) -> None:
    response = api(owner).post(
        "/api/v1/exports/",
        {"recipient": "X", "deployments": [str(deployment.pk)]},
        format="json",
    )
    assert response.status_code == 403 and "reports.export" in response.json()["detail"]


def test_report_list_query_count_does_not_grow(
    api: Any, owner: Any, django_assert_max_num_queries: Any
) -> None:
    for _ in range(3):
        ReportFactory()
    client = api(owner)
    with django_assert_max_num_queries(6):
        assert client.get("/api/v1/reports/").status_code == 200
    for _ in range(12):
        ReportFactory()
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/v1/reports/").json()["results"]) == 15
