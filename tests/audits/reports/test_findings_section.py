"""The findings part of the dossier and the portfolio: open findings with their deadlines,
accepted risks with every signature, findings closed in the period, counts by severity; in
the PDF's text and its embedded evidence, read in a constant number of queries."""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pypdf import PdfReader

from audits.reports.models import Report, ReportKind
from audits.reports.sections import SnapshotContext
from audits.reports.sections import findings as section
from governance.accounts.roles import Role
from governance.findings import services
from governance.findings.models import Finding
from governance.inventory.models import Deployment
from tests.audits.reports.conftest import make_deployment
from tests.factories import ReportFactory, user_with_roles
from tests.factories.findings import raise_finding, sign_acceptance
from tests.helpers.reports import generate_report, pdf_text, report_pdf

pytestmark = pytest.mark.django_db


def _embedded_section(content: bytes, key: str) -> dict[str, Any]:
    """The section as a regulator's tool reads it: from the evidence file inside the PDF."""
    embedded = PdfReader(io.BytesIO(content)).attachments["evidence.json"][0]
    evidence = json.loads(embedded)
    return next(s["data"] for s in evidence["sections"] if s["key"] == key)


class Cast:
    def __init__(self, deployment: Deployment) -> None:
        self.deployment = deployment
        self.officer = user_with_roles(Role.COMPLIANCE_OFFICER)
        self.fixer = user_with_roles(Role.REQUESTER, first_name="Ravi", last_name="Iyer")
        self.signer = user_with_roles(
            Role.COMPLIANCE_OFFICER, first_name="Grace", last_name="Okafor"
        )

    def raise_(self, title: str, severity: str = "high") -> Finding:
        return raise_finding(
            deployment=self.deployment,
            actor=self.officer,
            owner=self.fixer,
            severity=severity,
            title=title,
        )

    def accept(self, title: str, rationale: str = "Human review of every decision.") -> Finding:
        finding = self.raise_(title, severity="medium")
        sign_acceptance(finding, self.signer, Role.COMPLIANCE_OFFICER, rationale=rationale)
        finding.refresh_from_db()
        return finding

    def close(self, title: str, severity: str = "low") -> Finding:
        finding = self.raise_(title, severity=severity)
        services.finding_start_remediation(finding=finding, actor=self.fixer)
        services.finding_resolve(finding=finding, actor=self.fixer, note="Retrained and retested.")
        services.finding_verify(finding=finding, actor=self.officer)
        return services.finding_close(finding=finding, actor=self.officer)


def _populate(cast: Cast, n: int = 1) -> dict[str, list[Finding]]:
    opened = [cast.raise_(f"Open problem {i}") for i in range(n)]
    accepted = [cast.accept(f"Accepted problem {i}") for i in range(n)]
    closed = [cast.close(f"Closed problem {i}") for i in range(n)]
    return {"open": opened, "accepted": accepted, "closed": closed}


@pytest.fixture
def cast(owner: Any, deployment: Deployment) -> Cast:
    return Cast(deployment)


def test_the_dossier_lists_open_accepted_and_closed_findings_with_counts(cast: Cast) -> None:
    made = _populate(cast)
    late = cast.raise_("Overdue problem", severity="critical")
    Finding.objects.filter(pk=late.pk).update(due_date=timezone.localdate() - dt.timedelta(days=1))
    report = generate_report(cast.officer, kind="deployment_dossier", deployment=cast.deployment)
    data = _embedded_section(report_pdf(report), "findings")

    assert [f["title"] for f in data["open"]] == ["Overdue problem", "Open problem 0"]
    overdue, high = data["open"]
    assert (overdue["severity"], overdue["overdue"], overdue["state"]) == ("critical", True, "open")
    assert high["overdue"] is False and high["owner"]["name"] == "Ravi Iyer"
    assert high["due_date"] == made["open"][0].due_date.isoformat()
    assert data["overdue"] == 1

    (accepted,) = data["risk_accepted"]
    assert accepted["id"] == str(made["accepted"][0].pk)
    (signature,) = accepted["signatures"]
    assert signature["printed_name"] == "Grace Okafor"
    assert signature["signed_as_label"] == "Compliance officer"
    assert signature["rationale"] == "Human review of every decision."
    assert signature["expires_on"] == accepted["accepted_until"]

    (closed,) = data["closed"]
    assert closed["title"] == "Closed problem 0" and closed["closed_at"]
    assert closed["verified_by"]["username"] == cast.officer.username

    counts = {c["severity"]: c for c in data["counts"]["by_severity"]}
    assert (counts["critical"]["open"], counts["high"]["open"]) == (1, 1)
    assert counts["medium"]["risk_accepted"] == 1 and counts["low"]["closed"] == 1
    assert data["counts"]["total"] == {"open": 2, "risk_accepted": 1, "closed": 1}
    assert data["period"]["basis"] == "since the deployment was registered"


def test_the_dossier_pdf_names_the_findings_and_the_signer(cast: Cast) -> None:
    _populate(cast)
    report = generate_report(cast.officer, kind="deployment_dossier", deployment=cast.deployment)
    text = pdf_text(report_pdf(report))
    for expected in (
        "Findings: open, under risk acceptance and closed",
        "Open problem 0",
        "Accepted problem 0",
        "Closed problem 0",
        "Grace Okafor",
        "Human review of every decision.",
        "Ravi Iyer",
    ):
        assert expected in text, expected
    assert "No findings were raised" not in text


def test_a_dossier_without_findings_says_none_were_raised(owner: Any, deployment: Any) -> None:
    report = generate_report(owner, kind="deployment_dossier", deployment=deployment)
    data = _embedded_section(report_pdf(report), "findings")
    assert data["open"] == data["risk_accepted"] == data["closed"] == []
    assert "No findings were raised" in pdf_text(report_pdf(report))


def test_findings_closed_before_the_last_twelve_months_are_left_out(cast: Cast) -> None:
    now = timezone.now()
    Deployment.objects.filter(pk=cast.deployment.pk).update(created_at=now - dt.timedelta(days=800))
    recent = cast.close("Closed this spring")
    old = cast.close("Closed long ago")
    Finding.objects.filter(pk=old.pk).update(closed_at=now - dt.timedelta(days=400))
    report = ReportFactory(deployment=Deployment.objects.get(pk=cast.deployment.pk))
    data = section.build_dossier(_context(report))
    assert [f["id"] for f in data["closed"]] == [str(recent.pk)]
    assert data["period"]["basis"] == "the last 12 months"


def test_a_reopened_acceptance_counts_only_the_running_rounds_signatures(cast: Cast) -> None:
    finding = cast.accept("Accepted twice")
    services.finding_reopen(finding=finding, actor=cast.officer, reason="New evidence.")
    second = user_with_roles(Role.COMPLIANCE_OFFICER, first_name="Ada", last_name="Byron")
    sign_acceptance(finding, second, Role.COMPLIANCE_OFFICER, rationale="Re-examined.")
    data = section.build_dossier(_context(ReportFactory(deployment=cast.deployment)))
    (accepted,) = data["risk_accepted"]
    assert [s["printed_name"] for s in accepted["signatures"]] == ["Ada Byron"]


def _context(report: Report) -> SnapshotContext:
    return SnapshotContext(
        report=report,
        deployment=report.deployment,
        head_seq=0,
        head_hash="",
        taken_at=timezone.now(),
    )


def _section_queries(report: Report) -> int:
    # A fresh copy of the requester, so each read also pays for loading their roles.
    report.requested_by = type(report.requested_by).objects.get(pk=report.requested_by.pk)
    ctx = _context(report)
    with CaptureQueriesContext(connection) as queries:
        section.build_dossier(ctx)
    return len(queries)


def test_reading_the_findings_part_costs_the_same_whatever_the_number_of_findings(
    owner: Any,
) -> None:
    small = Cast(make_deployment(owner, name="Small model"))
    large = Cast(make_deployment(owner, name="Large model"))
    _populate(small, 1)
    _populate(large, 4)
    requester = user_with_roles(Role.COMPLIANCE_OFFICER)
    first = _section_queries(ReportFactory(deployment=small.deployment, requested_by=requester))
    second = _section_queries(ReportFactory(deployment=large.deployment, requested_by=requester))
    assert first == second <= 3  # the viewer's roles, the findings, the signatures


def test_the_portfolio_lists_findings_of_every_deployment(owner: Any) -> None:
    first = Cast(make_deployment(owner, name="Scoring model"))
    second = Cast(make_deployment(owner, name="Fraud model"))
    first.raise_("Scoring drift unexplained")
    second.accept("Fraud thresholds undocumented")
    second.close("Fraud model card incomplete")
    report = generate_report(first.officer, kind=ReportKind.PORTFOLIO)
    data = _embedded_section(report_pdf(report), "findings")
    (opened,) = data["open"]
    assert opened["deployment"]["system"] == "Scoring model"
    assert data["risk_accepted"][0]["deployment"]["system"] == "Fraud model"
    assert data["risk_accepted"][0]["signatures"][0]["printed_name"] == "Grace Okafor"
    assert [f["title"] for f in data["closed"]] == ["Fraud model card incomplete"]
    assert data["period"]["basis"] == "the last 12 months"
    text = pdf_text(report_pdf(report))
    for expected in ("Findings across the portfolio", "Scoring drift unexplained", "Fraud model"):
        assert expected in text, expected


def _portfolio_queries(requester: Any) -> int:
    report = ReportFactory(kind=ReportKind.PORTFOLIO, deployment=None, subject_key="portfolio")
    report.requested_by = type(requester).objects.get(pk=requester.pk)
    with CaptureQueriesContext(connection) as queries:
        section.build_portfolio(_context(report))
    return len(queries)


def test_reading_the_portfolio_findings_costs_the_same_whatever_their_number(owner: Any) -> None:
    requester = user_with_roles(Role.COMPLIANCE_OFFICER)
    _populate(Cast(make_deployment(owner, name="One")), 1)
    before = _portfolio_queries(requester)
    _populate(Cast(make_deployment(owner, name="Two")), 3)
    assert _portfolio_queries(requester) == before
