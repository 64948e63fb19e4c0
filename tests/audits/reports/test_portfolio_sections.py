"""The portfolio report: every deployment by tier and state, approvals overdue or expiring,
stale and missing bias audits, orphaned ownership, with charts; in a constant number of reads."""

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

from audits.reports.generate import run_report
from audits.reports.models import JobStatus, Report, ReportKind
from audits.reports.render import render_html
from audits.reports.services import report_request
from audits.reports.snapshot import take_snapshot
from governance.approvals import services as approvals
from governance.approvals.models import ApprovalRequest
from governance.approvals.services import approvals_expire_due
from tests.factories import BiasAuditFactory, DeploymentFactory, ReportFactory
from tests.factories.approvals import assess
from tests.factories.liability import make_owner
from tests.factories.reports import Governed, governed_deployment

pytestmark = pytest.mark.django_db


def _section(report: Report, key: str) -> dict[str, Any]:
    evidence = json.loads(report.evidence)
    return next(s["data"] for s in evidence["sections"] if s["key"] == key)


def _text(report: Report) -> str:
    with report.file.open("rb") as handle:
        pages = PdfReader(io.BytesIO(handle.read())).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def _portfolio(actor: Any) -> Report:
    report = report_request(actor=actor, kind=ReportKind.PORTFOLIO)
    run_report(report.pk)
    report.refresh_from_db()
    assert report.status == JobStatus.DONE, report.error
    return report


def _pending(governed: Governed) -> ApprovalRequest:
    approvals.approvals_invalidate(
        deployment=governed.deployment, cause="new round", actor=governed.compliance
    )
    return approvals.approval_request_create(
        deployment=governed.deployment, actor=governed.requester
    )


@pytest.fixture
def portfolio_data() -> dict[str, Any]:
    """A portfolio with one of everything the report watches."""
    now = timezone.now()
    healthy = governed_deployment(rounds=1)
    overdue = governed_deployment(rounds=1)
    late = _pending(overdue)  # awaiting the peer review for 50 h against a 48 h SLA
    ApprovalRequest.objects.filter(pk=late.pk).update(stage_started_at=now - dt.timedelta(hours=50))
    expiring = governed_deployment(rounds=1)
    ApprovalRequest.objects.filter(pk=expiring.approvals[0].pk).update(
        expires_at=now + dt.timedelta(days=10)
    )
    lapsed = governed_deployment(rounds=1)
    ApprovalRequest.objects.filter(pk=lapsed.approvals[0].pk).update(
        expires_at=now - dt.timedelta(days=1)
    )
    approvals_expire_due()  # the beat job: expired, and the deployment back to draft
    stale_audit = DeploymentFactory(requires_independent_bias_audit=True)
    make_owner(stale_audit, healthy.owner)
    assess(stale_audit, "II", healthy.requester)
    BiasAuditFactory(
        deployment=stale_audit,
        actor=healthy.requester,
        finalize=True,
        audit_date=timezone.localdate() - dt.timedelta(days=400),
    )
    missing_audit = DeploymentFactory(
        requires_independent_bias_audit=True, model_version__system__name="Unaudited screener"
    )
    orphan = DeploymentFactory(model_version__system__name="Nobody's model")
    return {
        "healthy": healthy,
        "late": late,
        "expiring": expiring,
        "lapsed": lapsed,
        "stale_audit": stale_audit,
        "missing_audit": missing_audit,
        "orphan": orphan,
    }


def test_the_portfolio_puts_every_deployment_in_its_tier_and_state(
    portfolio_data: dict[str, Any],
) -> None:
    healthy = portfolio_data["healthy"]
    report = _portfolio(healthy.compliance)
    data = _section(report, "risk")
    tiers = {row["tier"]: row for row in data["tiers"]}
    states = [value for value, _ in data["states"]]
    assert tiers["IV"]["total"] == 4 and tiers["II"]["total"] == 1
    assert tiers["unassessed"]["total"] == 2  # the unaudited and the orphaned deployment
    assert tiers["IV"]["by_state"][states.index("approved")] == 2  # healthy and expiring
    assert tiers["IV"]["by_state"][states.index("in_review")] == 1  # the late request
    assert tiers["IV"]["by_state"][states.index("draft")] == 1  # approval expired
    assert sum(row["total"] for row in data["tiers"]) == len(data["deployments"]) == 7
    assert [d["tier"] for d in data["deployments"]][:4] == ["IV"] * 4  # highest tier first
    text = _text(report)
    assert "Every deployment by risk tier and state" in text
    assert "Deployments by risk tier" in text  # the chart


def test_the_portfolio_lists_approvals_overdue_expiring_and_expired(
    portfolio_data: dict[str, Any],
) -> None:
    report = _portfolio(portfolio_data["healthy"].compliance)
    data = _section(report, "approvals")
    assert [r["request"] for r in data["overdue"]] == [str(portfolio_data["late"].pk)]
    assert (
        data["overdue"][0]["stage"] == "1. Peer review" and data["overdue"][0]["overdue_hours"] == 2
    )
    expiring = portfolio_data["expiring"]
    assert [r["deployment"] for r in data["expiring"]] == [str(expiring.deployment.pk)]
    assert data["expiring"][0]["days_left"] in (9, 10)
    lapsed = portfolio_data["lapsed"]
    assert [r["deployment"] for r in data["expired"]] == [str(lapsed.deployment.pk)]
    text = _text(report)
    assert "Approvals overdue or expiring" in text and "Approvals needing attention" in text
    assert "1 pending request past the service level" in text


def test_the_portfolio_lists_stale_and_missing_bias_audits(
    portfolio_data: dict[str, Any],
) -> None:
    report = _portfolio(portfolio_data["healthy"].compliance)
    data = _section(report, "bias")
    assert [r["deployment"] for r in data["stale"]] == [str(portfolio_data["stale_audit"].pk)]
    missing = {r["deployment"] for r in data["missing"]}
    assert str(portfolio_data["missing_audit"].pk) in missing
    assert str(portfolio_data["healthy"].deployment.pk) not in missing
    text = _text(report)
    assert "Stale bias audits" in text and "Unaudited screener" in text


def test_the_portfolio_lists_orphaned_ownership(portfolio_data: dict[str, Any]) -> None:
    report = _portfolio(portfolio_data["healthy"].compliance)
    data = _section(report, "accountability")
    orphaned = {r["deployment"] for r in data["orphaned"]}
    assert orphaned == {str(portfolio_data["missing_audit"].pk), str(portfolio_data["orphan"].pk)}
    assert dict(map(tuple, data["by_state"]))["Draft"] == 2
    assert "Nobody's model" in _text(report)


def test_every_portfolio_chart_is_drawn(portfolio_data: dict[str, Any]) -> None:
    report = _portfolio(portfolio_data["healthy"].compliance)
    _, images = render_html(json.loads(report.evidence), report.evidence_sha256)
    assert set(images) == {
        "deployments-by-status.svg",
        "deployments-by-tier.svg",
        "approvals-attention.svg",
        "bias-audits-attention.svg",
        "orphaned-by-state.svg",
    }
    assert all(svg.startswith(b"<svg") for svg in images.values())
    text = _text(report)
    for title in (
        "Deployments by state",
        "Deployments by risk tier",
        "Approvals needing attention",
        "Bias audits",
        "Deployments without an accountable owner",
    ):
        assert title in text, title
    evidence = json.loads(report.evidence)
    assert [s["key"] for s in evidence["sections"]] == [
        "inventory", "risk", "approvals", "bias", "accountability", "findings", "ledger",
        "verification",
    ]  # fmt: skip
    assert evidence["not_included"] == []


def _queries(requester: Any) -> int:
    report = ReportFactory(kind=ReportKind.PORTFOLIO, deployment=None, subject_key="portfolio")
    report.requested_by = type(requester).objects.get(pk=requester.pk)  # roles not yet read
    with CaptureQueriesContext(connection) as queries:
        take_snapshot(report)
    return len(queries)


def test_reading_the_portfolio_costs_the_same_whatever_its_size(
    portfolio_data: dict[str, Any],
) -> None:
    requester = portfolio_data["healthy"].compliance
    before = _queries(requester)
    more = governed_deployment(rounds=2, bias_audits=2)
    _pending(more)
    for _ in range(3):
        DeploymentFactory(requires_independent_bias_audit=True)
    assert _queries(requester) == before
