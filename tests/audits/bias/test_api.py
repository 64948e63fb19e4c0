"""API v1: multipart upload, errors naming line and column, exclusions, finalise, 409s."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from audits.bias.models import BiasAudit
from governance.ledger.models import LedgerEvent
from tests.factories import BiasAuditFactory, DeploymentFactory, user_with_roles
from tests.factories.bias import DEFAULT_CSV, csv_bytes, grouped_rows

pytestmark = pytest.mark.django_db

RESULT_KEYS = {
    "dimension",
    "category",
    "n",
    "selected",
    "rate",
    "impact_ratio",
    "flagged",
    "p_value_z",
    "p_value_fisher",
    "below_two_percent",
    "excluded",
}


@pytest.fixture
def user() -> Any:
    return user_with_roles("requester")


@pytest.fixture
def client(api: Any, user: Any) -> Any:
    return api(user)


def _form(deployment: Any, data: bytes = DEFAULT_CSV, **extra: Any) -> dict[str, Any]:
    form = {
        "deployment": str(deployment.pk),
        "audit_type": "selection",
        "data_format": "rows",
        "file": SimpleUploadedFile("hiring.csv", data, content_type="text/csv"),
        "dimensions": ["sex", "race_ethnicity"],
        "selected_column": "selected",
        "auditor_name": "Jordan Reyes",
        "auditor_organisation": "Fairness Assurance LLP",
        "attests_not_involved": "true",
        "attests_no_employment": "true",
        "attests_no_financial_interest": "true",
        "data_source": "historical",
        "data_description": "ATS records, 2024.",
        "data_period_start": "2024-01-01",
        "data_period_end": "2024-12-31",
        "distribution_date": "2023-06-01",
    }
    form.update(extra)
    return form


def test_multipart_upload_returns_201_with_results(client: Any) -> None:
    deployment = DeploymentFactory()
    response = client.post("/api/v1/bias-audits/", _form(deployment), format="multipart")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["independent"] is True
    assert body["unknown_count"] == 0 and body["median_score"] is None
    assert len(body["file_sha256"]) == 64 and body["file_name"] == "hiring.csv"
    assert {row["dimension"] for row in body["results"]} == {
        "sex",
        "race_ethnicity",
        "sex × race_ethnicity",
    }
    assert set(body["results"][0]) >= RESULT_KEYS
    male = next(r for r in body["results"] if r["category"] == "Male")
    assert male["impact_ratio"] == pytest.approx(0.8) and male["flagged"] is False
    assert LedgerEvent.objects.filter(action="bias_audit.created").count() == 1


def test_columns_can_be_left_to_the_guess(client: Any) -> None:
    form = _form(DeploymentFactory())
    del form["dimensions"], form["selected_column"]
    response = client.post("/api/v1/bias-audits/", form, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["dimensions"] == ["sex", "race_ethnicity"]


def test_scoring_upload_reports_the_median(client: Any) -> None:
    data = csv_bytes("gender,score", [("F", 1), ("F", 2), ("M", 3), ("M", 4)])
    form = _form(DeploymentFactory(), data, audit_type="scoring", dimensions=["gender"])
    del form["selected_column"]
    response = client.post("/api/v1/bias-audits/", form, format="multipart")
    assert response.status_code == 201, response.content
    assert response.json()["median_score"] == 2.5


@pytest.mark.parametrize(
    ("data", "extra", "expected"),
    [
        (DEFAULT_CSV.replace(b"Male,White,0", b"Male,White,2", 1), {}, ("line", "column")),
        (b"", {}, ("file",)),
        (DEFAULT_CSV, {"dimensions": ["religion"]}, ("dimensions",)),
        (DEFAULT_CSV, {"selected_column": "hired"}, ("selected_column",)),
        (DEFAULT_CSV, {"data_source": "test"}, ("test_data_explanation",)),
    ],
)
def test_bad_uploads_get_400_naming_the_problem(
    client: Any, settings: Any, data: bytes, extra: dict[str, Any], expected: tuple[str, ...]
) -> None:
    response = client.post(
        "/api/v1/bias-audits/", _form(DeploymentFactory(), data, **extra), format="multipart"
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(expected) <= set(body), body
    assert not BiasAudit.objects.exists()


def test_row_error_body_names_line_and_column(client: Any) -> None:
    data = DEFAULT_CSV.replace(b"Female,Asian,1", b"Female,Asian,maybe", 1)
    response = client.post(
        "/api/v1/bias-audits/", _form(DeploymentFactory(), data), format="multipart"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["column"] == ["selected"] and body["line"][0].isdigit()
    assert "'maybe' is not 0 or 1" in body["detail"]


def test_oversized_body_is_refused_before_it_is_read(client: Any, settings: Any) -> None:
    settings.BIAS_UPLOAD_MAX_BYTES = 10
    big = DEFAULT_CSV * 600  # well over the 1 MB form allowance on top of the limit
    response = client.post(
        "/api/v1/bias-audits/", _form(DeploymentFactory(), big), format="multipart"
    )
    assert response.status_code == 400 and "larger than the limit" in response.json()["detail"]


def test_json_body_without_a_file_gets_400(client: Any) -> None:
    response = client.post("/api/v1/bias-audits/", {"audit_type": "selection"}, format="json")
    assert response.status_code == 400 and "file" in response.json()


def test_exclusions_endpoint_recomputes_and_is_ledgered(client: Any, user: Any) -> None:
    people = {("Female",): (500, 100), ("Male",): (490, 110), ("Other",): (10, 9)}
    audit = BiasAuditFactory(actor=user, csv=csv_bytes("sex,selected", grouped_rows(people)))
    url = f"/api/v1/bias-audits/{audit.pk}/exclusions/"
    response = client.post(
        url,
        {"exclusions": [{"dimension": "sex", "category": "Other", "justification": "10 people"}]},
        format="json",
    )
    assert response.status_code == 200, response.content
    rows = {r["category"]: r for r in response.json()["results"]}
    assert rows["Other"]["excluded"] and rows["Other"]["impact_ratio"] is None
    assert rows["Male"]["is_reference"]
    bad = client.post(
        url,
        {"exclusions": [{"dimension": "sex", "category": "Male", "justification": "x"}]},
        format="json",
    )
    assert bad.status_code == 400 and "exclusions" in bad.json()


def test_finalised_audit_answers_409_to_every_change(client: Any, user: Any) -> None:
    audit = BiasAuditFactory(actor=user)
    url = f"/api/v1/bias-audits/{audit.pk}/"
    response = client.post(url + "finalize/", {}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "final"
    assert response.json()["finalised_by"] == user.username
    assert LedgerEvent.objects.filter(action="bias_audit.finalised").count() == 1
    assert client.patch(url, {"auditor_name": "X"}, format="json").status_code == 409
    put = client.put(url, {"auditor_name": "X", "auditor_organisation": "Y"}, format="json")
    assert put.status_code in (400, 409)
    assert client.delete(url).status_code == 409
    assert client.post(url + "exclusions/", {"exclusions": []}, format="json").status_code == 409
    assert client.post(url + "finalize/", {}, format="json").status_code == 409
    assert BiasAudit.objects.get(pk=audit.pk).auditor_name == "Jordan Reyes"


def test_draft_can_be_patched_and_deleted(client: Any, user: Any) -> None:
    audit = BiasAuditFactory(actor=user)
    url = f"/api/v1/bias-audits/{audit.pk}/"
    response = client.patch(url, {"auditor_organisation": "Other LLP"}, format="json")
    assert response.status_code == 200 and response.json()["auditor_organisation"] == "Other LLP"
    assert client.delete(url).status_code == 204
    assert not BiasAudit.objects.filter(pk=audit.pk).exists()


def test_summary_and_verify_endpoints(client: Any, user: Any) -> None:
    audit = BiasAuditFactory(actor=user, finalize=True)
    summary = client.get(f"/api/v1/bias-audits/{audit.pk}/summary/").json()
    assert summary["audit_date"] == audit.audit_date.isoformat()
    assert summary["distribution_date"] == "2023-06-01"
    assert summary["unknown_count"] == 0
    assert summary["tables"][0]["categories"][0].keys() >= {"applicants", "rate", "impact_ratio"}
    assert client.get(f"/api/v1/bias-audits/{audit.pk}/verify/").json()["identical"] is True


def test_auditor_role_reads_but_cannot_upload(api: Any) -> None:
    auditor = user_with_roles("auditor")
    audit = BiasAuditFactory()
    client = api(auditor)
    assert client.get(f"/api/v1/bias-audits/{audit.pk}/").status_code == 200
    response = client.post("/api/v1/bias-audits/", _form(DeploymentFactory()), format="multipart")
    assert response.status_code == 403 and "bias.edit" in response.json()["detail"]


def test_list_filters_by_deployment_with_constant_queries(
    client: Any, user: Any, django_assert_max_num_queries: Any
) -> None:
    deployment = DeploymentFactory()
    for _ in range(4):
        BiasAuditFactory(actor=user, deployment=deployment)
    BiasAuditFactory(actor=user)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/bias-audits/", {"deployment": str(deployment.pk)})
    assert response.json()["count"] == 4


@pytest.mark.parametrize(
    ("data", "line", "message"),
    [
        (DEFAULT_CSV.replace(b"\n", b"\r"), "1", "a carriage return (CR) without a line feed"),
        (
            DEFAULT_CSV.replace(b"Male,Asian", b'"Ma\nle",Asian', 1),
            DEFAULT_CSV.split(b"Male,Asian")[0].count(b"\n") + 1,
            "a quoted value runs over more than one line",
        ),
    ],
    ids=["CR-only line breaks", "quoted line break"],
)
def test_line_breaks_that_split_records_get_400_naming_the_line(
    client: Any, data: bytes, line: Any, message: str
) -> None:
    response = client.post(
        "/api/v1/bias-audits/", _form(DeploymentFactory(), data), format="multipart"
    )
    assert response.status_code == 400, response.content[:300]
    body = response.json()
    assert body["line"] == [str(line)] and body["file"][0].startswith(f"line {line}: ")
    assert body["detail"].startswith(f"Line {line}: {message}")
    assert not BiasAudit.objects.exists()
