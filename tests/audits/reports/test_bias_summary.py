"""The bias-audit summary report kind: the NYC LL144 §5-303 public summary of one final audit,
asked for from the API, the service or the page; and the bias summaries in export bundles."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader
from rest_framework.test import APIClient

from audits.bias.services import bias_audit_finalize
from audits.reports.bundle import run_export
from audits.reports.generate import run_report
from audits.reports.models import JobStatus, Report, ReportKind
from audits.reports.services import export_request, report_request
from audits.reports.signing import check_pdf_signature
from governance.accounts.roles import Role
from governance.core.canonical import sha256_hex
from governance.core.errors import InvalidInput
from governance.ledger.models import LedgerEvent
from tests.factories import BiasAuditFactory, DeploymentFactory, user_with_roles
from tests.factories.bias import csv_bytes, grouped_rows
from tests.helpers.reports import generate_report, pdf_text, report_pdf

pytestmark = pytest.mark.django_db


@pytest.fixture
def auditor_user() -> Any:
    return user_with_roles(
        Role.REQUESTER, Role.COMPLIANCE_OFFICER, first_name="Ana", last_name="Ruiz"
    )


@pytest.fixture
def audit(auditor_user: Any) -> Any:
    return BiasAuditFactory(
        deployment=DeploymentFactory(
            model_version__system__name="Hiring screener",
            model_version__system__annex_iii_area="employment",
        ),
        actor=auditor_user,
        finalize=True,
        audit_date=dt.date(2026, 3, 31),
    )


def test_a_bias_summary_states_what_ll144_asks_to_publish(audit: Any, auditor_user: Any) -> None:
    report = generate_report(auditor_user, kind="bias_audit", bias_audit=str(audit.pk))
    version = audit.model_version.version_label
    assert report.title == f"Bias audit summary: Hiring screener {version}, audit of 2026-03-31"
    assert report.subject_key == f"bias_audit:{audit.pk}" and report.deployment == audit.deployment
    content = report_pdf(report)
    assert check_pdf_signature(content).status == "intact"
    text = pdf_text(content)
    # What 6 RCNY §5-303 asks to publish, each label with its value (the PDF's text lists a
    # block's labels before its values).
    for label, value in (
        ("Date of the bias audit", "2026-03-31"),
        ("Distribution date of the tool", "2023-06-01"),
        ("Source of the data", "Historical data, 2024-01-01 to 2024-12-31"),
        ("Explanation of the data", "Applicant tracking records for the audited period."),
        ("Individuals with an unknown category", "unknown category in this dimension: 0."),
        ("Auditor", "Jordan Reyes, Fairness Assurance LLP (independent auditor)"),
    ):
        assert label in text and value in text, (label, value)
    for expected in (
        "Bias audit summary",
        "bias audit of an automated employment decision tool, as 6 RCNY §5-303 requires",
        "Category Number of applicants Selection rate Impact ratio",
        "Female 60 0.500 1.000",  # per category: applicants, selection rate, impact ratio
        "Male 40 0.400 0.800",
        "Intersectional categories: sex × race_ethnicity",
        "Attested: The auditor was not involved in using, developing or distributing the tool.",
        "0.80 four-fifths",  # the impact-ratio chart
    ):
        assert expected in text, expected
    assert "Contents by Annex IV section" not in text  # a public summary, not a dossier
    evidence = json.loads(report.evidence)
    assert [s["key"] for s in evidence["sections"]] == ["bias", "verification"]
    data = evidence["sections"][0]["data"]
    assert data["audit_id"] == str(audit.pk) and data["freshness"]["valid_until"] == "2027-03-31"
    assert PdfReader(io.BytesIO(content)).attachments.keys() == {"evidence.json"}
    assert LedgerEvent.objects.filter(
        action="report.generated", subject_id=str(report.pk), deployment_id=str(audit.deployment_id)
    ).exists()


def test_a_housing_tool_summary_is_a_four_fifths_analysis_not_an_ll144_one(
    auditor_user: Any,
) -> None:
    housing = BiasAuditFactory(
        deployment=DeploymentFactory(
            model_version__system__name="Tenant screener",
            model_version__system__annex_iii_area="essential_services",
        ),
        actor=auditor_user,
        finalize=True,
    )
    report = generate_report(auditor_user, kind="bias_audit", bias_audit=str(housing.pk))
    text = pdf_text(report_pdf(report))
    assert "A disparate-impact analysis of the AI system" in text
    assert "four-fifths rule" in text and "Local Law 144 does not apply" in text
    assert "Category Number of individuals Selection rate Impact ratio" in text
    assert "Female 60 0.500 1.000" in text  # the same figures, framed differently
    assert "automated employment decision tool" not in text.lower()
    assert "5-303 requires" not in text and "(6 RCNY §5-300)" not in text


def test_a_scoring_audit_summary_gives_scoring_rates_and_the_median(auditor_user: Any) -> None:
    rows = [("Female", s) for s in (1, 2, 3, 4, 5, 6)] + [("Male", s) for s in (1, 2, 3, 4)]
    scoring = BiasAuditFactory(
        actor=auditor_user,
        audit_type="scoring",
        csv=csv_bytes("sex,score", rows),
        finalize=True,
    )
    report = generate_report(auditor_user, kind="bias_audit", bias_audit=str(scoring.pk))
    text = pdf_text(report_pdf(report))
    assert "Scoring rate" in text and "Median score of the full sample" in text


def test_a_model_version_audit_has_no_single_deployment(auditor_user: Any) -> None:
    deployment = DeploymentFactory()
    audit = BiasAuditFactory(
        deployment=None, model_version=deployment.model_version, actor=auditor_user, finalize=True
    )
    report = generate_report(auditor_user, kind="bias_audit", bias_audit=str(audit.pk))
    assert report.deployment is None
    assert "wherever this version is deployed" in pdf_text(report_pdf(report))


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "Choose the bias audit to summarise."),
        ("not-a-uuid", "Give the bias audit's id."),
        ("00000000-0000-0000-0000-00000000000a", "No such bias audit."),
    ],
)
def test_a_summary_needs_an_existing_audit(auditor_user: Any, value: Any, message: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        report_request(actor=auditor_user, kind="bias_audit", bias_audit=value)
    assert refused.value.message == message and "bias_audit" in refused.value.fields
    assert not Report.objects.exists()


def test_a_draft_audit_cannot_be_published(auditor_user: Any) -> None:
    draft = BiasAuditFactory(actor=auditor_user)
    with pytest.raises(InvalidInput) as refused:
        report_request(actor=auditor_user, kind="bias_audit", bias_audit=str(draft.pk))
    assert refused.value.fields == {"bias_audit": ["not final"]}
    assert not Report.objects.exists()


def test_the_api_queues_a_bias_summary(audit: Any, auditor_user: Any) -> None:
    client = APIClient()
    client.force_authenticate(auditor_user)
    response = client.post(
        "/api/v1/reports/", {"kind": "bias_audit", "bias_audit": str(audit.pk)}, format="json"
    )
    assert response.status_code == 202, response.content
    assert response.json()["subject"] == f"bias_audit:{audit.pk}"
    assert response.json()["kind"] == ReportKind.BIAS_AUDIT


def test_the_reports_page_requests_a_bias_summary(
    client: Any, audit: Any, auditor_user: Any
) -> None:
    client.force_login(auditor_user)
    # The request form shows the chosen kind's fields: the audits once that kind is chosen.
    page = client.get(reverse("reports:report_request"), {"kind": "bias_audit"})
    assert f'<option value="{audit.pk}">'.encode() in page.content
    response = client.post(
        reverse("reports:report_request"), {"kind": "bias_audit", "bias_audit": str(audit.pk)}
    )
    report = Report.objects.get()
    assert response.status_code == 302 and report.subject_key == f"bias_audit:{audit.pk}"
    missing = client.post(reverse("reports:report_request"), {"kind": "bias_audit"})
    assert missing.status_code == 400
    assert b"Choose the bias audit to summarise." in missing.content


def test_regenerating_a_summary_supersedes_the_previous_one(audit: Any, auditor_user: Any) -> None:
    from audits.reports.services import report_regenerate

    first = generate_report(auditor_user, kind="bias_audit", bias_audit=str(audit.pk))
    second = report_regenerate(actor=auditor_user, report=first)
    run_report(second.pk)
    second.refresh_from_db()
    assert second.status == JobStatus.DONE and second.supersedes == first


def test_an_export_bundle_carries_the_bias_summaries_of_its_deployments(
    auditor_user: Any,
) -> None:
    deployment = DeploymentFactory(model_version__system__name="Hiring screener")
    other = DeploymentFactory(model_version=deployment.model_version, environment="prod-us")
    old = BiasAuditFactory(
        deployment=deployment,
        actor=auditor_user,
        finalize=True,
        audit_date=timezone.localdate() - dt.timedelta(days=60),
    )
    correction = BiasAuditFactory(
        deployment=deployment, actor=auditor_user, supersedes=old, finalize=True
    )
    shared = BiasAuditFactory(  # covers the version wherever it runs: both deployments
        deployment=None, model_version=deployment.model_version, actor=auditor_user, finalize=True
    )
    BiasAuditFactory(deployment=deployment, actor=auditor_user)  # a draft: never published
    export = export_request(
        actor=auditor_user, recipient="Regulator", deployments=[deployment, other]
    )
    assert run_export(export.pk) is not None
    export.refresh_from_db()
    archive = zipfile.ZipFile(export.file.open("rb"))
    summaries = sorted(n for n in archive.namelist() if n.startswith("bias-audits/"))
    published = {json.loads(archive.read(n))["sections"][0]["data"]["audit_id"]
                 for n in summaries if n.endswith("evidence.json")}  # fmt: skip
    assert published == {str(correction.pk), str(shared.pk)}  # not the corrected one
    assert len([n for n in summaries if n.endswith("/summary.pdf")]) == 2
    manifest = json.loads(archive.read("manifest.json"))
    listed = {f["path"]: f["sha256"] for f in manifest["files"]}
    for name in summaries:
        assert listed[name] == sha256_hex(archive.read(name))
    assert "not_included" not in manifest
    pdf = archive.read(next(n for n in summaries if n.endswith("summary.pdf")))
    assert check_pdf_signature(pdf).status == "intact"
    sent = LedgerEvent.objects.get(action="export.sent", deployment_id=str(other.pk))
    reports = Report.objects.filter(pk__in=sent.payload["bias_summaries"])
    assert {r.subject_key for r in reports} == {f"bias_audit:{shared.pk}"}
    assert b"bias-audits/" in archive.read("README.txt")


def test_a_bias_summary_of_a_finalised_audit_matches_its_stored_figures(
    auditor_user: Any,
) -> None:
    data = csv_bytes(
        "sex,selected",
        grouped_rows({("Female",): (50, 10), ("Male",): (50, 25), ("Other",): (1, 1)}),
    )
    draft = BiasAuditFactory(actor=auditor_user, csv=data)
    final = bias_audit_finalize(audit=draft, actor=auditor_user)
    report = generate_report(auditor_user, kind="bias_audit", bias_audit=str(final.pk))
    frozen = json.loads(report.evidence)["sections"][0]["data"]["tables"][0]["categories"]
    stored = {r.category: r for r in final.results.filter(dimension="sex")}
    for row in frozen:
        assert row["impact_ratio"] == stored[row["category"]].impact_ratio
        assert row["flagged"] == stored[row["category"]].flagged
    assert "(below 0.80)" in pdf_text(report_pdf(report))  # Female: 0.2 / 0.5 = 0.4


def test_a_bias_summary_without_a_ledger_slice_does_not_explain_one(
    audit: Any, auditor_user: Any
) -> None:
    report = generate_report(auditor_user, kind="bias_audit", bias_audit=str(audit.pk))
    text = pdf_text(report_pdf(report))
    assert "How to verify this document" in text and "verify_ledger.py" not in text
