"""The compliance overview: every figure is right, and links to the list that shows it."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from governance.accounts.roles import Role
from governance.approvals import services as approvals
from governance.approvals.gate import gate_evaluate, gate_record
from governance.approvals.models import ApprovalRequest
from governance.inventory.models import Deployment
from tests.factories import BiasAuditFactory, DeploymentFactory, user_with_roles
from tests.factories.approvals import approve_fully, assess, ready_deployment

pytestmark = pytest.mark.django_db


def _pending(age: dt.timedelta) -> ApprovalRequest:
    deployment, requester, _ = ready_deployment("I")
    request = approvals.approval_request_create(deployment=deployment, actor=requester)
    asked = timezone.now() - age
    ApprovalRequest.objects.filter(pk=request.pk).update(created_at=asked, stage_started_at=asked)
    return request


def _approved_until(days: int) -> ApprovalRequest:
    deployment, requester, _ = ready_deployment("I")
    request = approve_fully(
        approvals.approval_request_create(deployment=deployment, actor=requester)
    )
    ApprovalRequest.objects.filter(pk=request.pk).update(
        expires_at=timezone.now() + dt.timedelta(days=days)
    )
    return request


@pytest.fixture
def portfolio() -> dict[str, Any]:
    """A small portfolio with something in every figure of the overview."""
    made = {
        "pending": [_pending(dt.timedelta(hours=h)) for h in (2, 36, 5 * 24, 10 * 24)],
        "approved": [_approved_until(days) for days in (20, 45, 90)],
        "bare": [DeploymentFactory() for _ in range(2)],
    }
    blocked = DeploymentFactory()
    assess(blocked, "I", user_with_roles(Role.REQUESTER), eu_prohibited=["social_scoring"])
    made["blocked"] = blocked
    asker = user_with_roles(Role.REQUESTER)
    for deployment in made["bare"]:
        gate_record(gate_evaluate(deployment), asked_by=asker)
    return made


def _count_behind(client: Client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, url
    return int(response.context["page"].paginator.count)


def test_figures_count_what_the_portfolio_holds(client: Client, portfolio: Any) -> None:
    client.force_login(user_with_roles(Role.COMPLIANCE_OFFICER))
    o = client.get(reverse("core:home")).context["o"]
    assert o.pending_total == 4
    assert [w["count"] for w in o.waiting] == [1, 1, 1, 1]
    assert o.sla_breached == 2  # peer review allows 48 h: the 5- and 10-day-old requests
    assert [e["count"] for e in o.expiring] == [1, 2]
    assert o.blocked == 1
    assert o.orphaned == 3  # the two bare drafts and the blocked one have no owner
    assert o.gate_denials == 2 and o.gate_denied_deployments == 2
    assert o.total == Deployment.objects.count() == 10
    rows = {row["tier"]: row for row in o.tier_rows}
    assert rows["I"]["total"] == 7 and rows["blocked"]["total"] == 1 and rows["none"]["total"] == 2
    assert dict(rows["I"]["cells"])["in_review"] == 4


def test_every_figure_links_to_a_list_with_that_many_rows(client: Client, portfolio: Any) -> None:
    client.force_login(user_with_roles(Role.EXECUTIVE))
    context = client.get(reverse("dashboard:overview")).context
    o, links = context["o"], context["links"]
    figures = [
        (o.pending_total, links["pending"]),
        (o.sla_breached, links["sla"]),
        (o.orphaned, links["orphaned"]),
        (o.blocked, links["blocked"]),
        (o.gate_denials, links["denials"]),
        (o.total, reverse("dashboard:portfolio")),
        *[(w["count"], w["url"]) for w in o.waiting],
        *[(e["count"], e["url"]) for e in o.expiring],
        *[(row["total"], row["url"]) for row in o.tier_rows],
        *[(cell["count"], cell["url"]) for row in o.tier_rows for cell in row["links"]],
        *[(cell["count"], cell["url"]) for cell in o.status_links],
        *[(n.count, n.url) for panel in context["panels"] for n in panel.numbers],
    ]
    assert len(figures) > 60
    for count, url in figures:
        assert _count_behind(client, url) == count, url


def test_bias_panel_counts_stale_due_and_missing_audits(client: Client) -> None:
    from governance.inventory.models import AISystem

    actor = user_with_roles(Role.COMPLIANCE_OFFICER)
    today = timezone.localdate()
    for days_ago in (400, 350, 100):  # stale, due within 30 days, fine
        deployment = DeploymentFactory()
        AISystem.objects.filter(pk=deployment.model_version.system_id).update(
            annex_iii_area="employment"
        )
        audit_date = today - dt.timedelta(days=days_ago)
        BiasAuditFactory(
            actor=actor,
            deployment=deployment,
            audit_date=audit_date,
            data_period_start=audit_date - dt.timedelta(days=90),
            data_period_end=audit_date,
            finalize=True,
        )
    DeploymentFactory(requires_independent_bias_audit=True)  # required, none at all
    client.force_login(actor)
    panels = client.get(reverse("dashboard:overview")).context["panels"]
    bias = next(p for p in panels if p.title == "Bias audits")
    assert [(n.label, n.count) for n in bias.numbers] == [
        ("stale (over a year old)", 1),
        ("due within 30 days", 1),
        ("required but missing", 1),
    ]
    assert len(bias.rows) == 2
    page = client.get(reverse("dashboard:overview"))
    assert b"Bias audits" in page.content and b"required but missing" in page.content


def test_overview_query_count_does_not_grow_with_the_portfolio(
    client: Client, django_assert_max_num_queries: Any
) -> None:
    client.force_login(user_with_roles(Role.AUDITOR))
    _pending(dt.timedelta(days=2))
    # The overview's five trend panels read nine queries of their own.
    with django_assert_max_num_queries(35) as small:
        client.get(reverse("dashboard:overview"))
    for hours in (1, 50, 200):
        _pending(dt.timedelta(hours=hours))
    _approved_until(10)
    for _ in range(5):
        DeploymentFactory()
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(reverse("dashboard:overview")).status_code == 200


def test_overview_of_an_empty_system_says_so(client: Client) -> None:
    client.force_login(user_with_roles(Role.EXECUTIVE))
    page = client.get(reverse("core:home"))
    assert page.status_code == 200
    assert b"Nothing has happened yet." in page.content
    assert b"No audit is stale or due within 30 days." in page.content
    assert b"The gate has refused no deployment since" in page.content
    assert b"denials for 0 deployments" not in page.content


def test_reports_panel_counts_jobs_and_deployments_without_a_dossier(client: Client) -> None:
    from tests.factories import ReportFactory

    done = DeploymentFactory()
    ReportFactory(
        deployment=done,
        status="done",
        progress=100,
        evidence_sha256="a" * 64,
        page_count=3,
        file="reports/done.pdf",
        file_sha256="b" * 64,
        file_size=1000,
        completed_at=timezone.now(),
        ledger_head_seq=1,
        title="Dossier: done",
    )
    ReportFactory(status="queued")
    ReportFactory(status="failed", error="the worker ran out of time")
    retired = DeploymentFactory(status="retired")
    client.force_login(user_with_roles(Role.AUDITOR))
    context = client.get(reverse("dashboard:overview")).context
    reports = next(p for p in context["panels"] if p.title == "Reports")
    assert [(n.label, n.count) for n in reports.numbers] == [
        ("waiting for a worker", 1),
        ("being generated", 0),
        ("failed", 1),
        ("live deployments without a dossier", 2),
    ]
    assert len(reports.rows) == 3
    listed = client.get(reports.numbers[3].url).context["rows"]
    assert done.pk not in {s.deployment.pk for s in listed}
    assert retired.pk not in {s.deployment.pk for s in listed}
