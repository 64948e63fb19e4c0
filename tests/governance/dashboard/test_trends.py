"""Trends on the compliance overview: weekly numbers right (buckets, medians, late sign-offs),
the same picture as chart and table, a fixed number of queries, shown to the right people."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.db.models import QuerySet
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audits.bias.panels import bias_trend, lowest_ratio_history
from governance.accounts.roles import Role
from governance.approvals import services as approvals
from governance.approvals.gate import gate_evaluate, gate_record
from governance.approvals.models import ApprovalRequest, GateDecision, SignOff, StageCompletion
from governance.dashboard import trend_panels, trends
from governance.findings.models import Finding
from tests.factories import BiasAuditFactory, DeploymentFactory, user_with_roles
from tests.factories.approvals import approve_fully, ready_deployment
from tests.factories.bias import csv_bytes, grouped_rows
from tests.factories.findings import raise_finding

pytestmark = pytest.mark.django_db

# A Wednesday noon: its week starts on Monday 2 March 2026.
NOW = dt.datetime(2026, 3, 4, 12, 0, tzinfo=dt.UTC)
THIS_WEEK = dt.date(2026, 3, 2)


def _weeks_ago(n: int, *, hours: float = 0) -> dt.datetime:
    return NOW - dt.timedelta(weeks=n) + dt.timedelta(hours=hours)


def _approval(*, asked: dt.datetime, decided: dt.datetime | None) -> ApprovalRequest:
    deployment, requester, _ = ready_deployment("I")
    request = approvals.approval_request_create(deployment=deployment, actor=requester)
    if decided is not None:
        request = approve_fully(request)
    ApprovalRequest.objects.filter(pk=request.pk).update(
        created_at=asked, stage_started_at=asked, decided_at=decided
    )
    return request


def _update(queryset: QuerySet[Any], **values: Any) -> None:
    """Back-date immutable records, as if they had been made then (tests only)."""
    QuerySet.update(queryset, **values)


def _column(trend: trends.Trend, name: str) -> dict[dt.date, float | None]:
    return dict(zip(trend.weeks, trend.series[name], strict=True))


def test_the_window_is_twelve_weeks_starting_on_mondays() -> None:
    weeks = trends.window(NOW)
    assert len(weeks) == 12 and weeks[-1] == THIS_WEEK
    assert all(week.weekday() == 0 for week in weeks)
    assert weeks[0] == THIS_WEEK - dt.timedelta(weeks=11)


def test_approvals_are_counted_by_week_with_the_median_days_to_approve() -> None:
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    # This week: asked 1, 3 and 4 days before approval; last week: one asked, still pending.
    for days in (1, 3, 4):
        _approval(asked=NOW - dt.timedelta(days=days, hours=1), decided=NOW - dt.timedelta(hours=1))
    _approval(asked=_weeks_ago(1), decided=None)
    _approval(asked=_weeks_ago(20), decided=None)  # outside the window
    trend = trends.approvals_trend(officer, NOW)
    assert trend is not None
    requested = _column(trend, "Requested")
    completed = _column(trend, "Completed")
    median = _column(trend, "Median days to approve")
    last_week = THIS_WEEK - dt.timedelta(weeks=1)
    # Asked 3 and 4 days before Wednesday noon is in last week; 1 day before is this week.
    assert requested[THIS_WEEK] == 1 and requested[last_week] == 3
    assert sum(v or 0 for v in requested.values()) == 4
    assert completed[THIS_WEEK] == 3 and sum(v or 0 for v in completed.values()) == 3
    assert median[THIS_WEEK] == 3.0 and median[last_week] is None
    panel = trend_panels.approvals_panel(officer, NOW)
    assert panel is not None and panel.table is not None
    row = next(r for r in panel.table.rows if r[0] == f"{THIS_WEEK:%d %b}")
    assert row == [f"{THIS_WEEK:%d %b}", "1", "3", "3"]
    assert panel.table.columns == ["Week of", "Requested", "Completed", "Median days to approve"]


def test_sign_offs_given_after_their_stages_sla_are_counted_in_their_week() -> None:
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    request = _approval(asked=_weeks_ago(3), decided=_weeks_ago(1))
    signoffs = list(SignOff.objects.filter(request=request).order_by("stage_order"))
    stages = {s.order: s.sla_hours for s in request.policy.stages.all()}
    first = signoffs[0]
    # The first stage signed one hour inside its SLA, the last one hour past it (counted from
    # the previous stage's completion).
    _update(
        SignOff.objects.filter(pk=first.pk),
        signed_at=_weeks_ago(3, hours=stages[first.stage_order] - 1),
    )
    _update(StageCompletion.objects.filter(request=request), completed_at=_weeks_ago(3, hours=1))
    late = signoffs[-1]
    if late.stage_order != first.stage_order:
        started = _weeks_ago(3, hours=1)
        _update(
            StageCompletion.objects.filter(request=request, stage_order=late.stage_order - 1),
            completed_at=started,
        )
    else:
        started = _weeks_ago(3)
    signed = started + dt.timedelta(hours=stages[late.stage_order] + 1)
    _update(SignOff.objects.filter(pk=late.pk), signed_at=signed)
    trend = trends.late_signoffs_trend(officer, NOW)
    assert trend is not None
    counts = _column(trend, "Past their SLA")
    assert counts[trends.week_start(signed)] == 1
    assert sum(v or 0 for v in counts.values()) == 1


def test_gate_denials_and_findings_are_counted_by_week() -> None:
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    asker = user_with_roles(Role.REQUESTER)
    for weeks_ago in (0, 0, 2):
        decision = gate_record(gate_evaluate(DeploymentFactory()), asked_by=asker)
        _update(GateDecision.objects.filter(pk=decision.pk), asked_at=_weeks_ago(weeks_ago))
    opened = [raise_finding(actor=officer) for _ in range(3)]
    Finding.objects.filter(pk=opened[0].pk).update(created_at=_weeks_ago(5))
    Finding.objects.filter(pk__in=[f.pk for f in opened[1:]]).update(created_at=_weeks_ago(1))
    Finding.objects.filter(pk=opened[0].pk).update(closed_at=_weeks_ago(0, hours=-2))
    denials = trends.gate_denials_trend(officer, NOW)
    findings = trends.findings_trend(officer, NOW)
    assert denials is not None and findings is not None
    assert _column(denials, "Denials")[THIS_WEEK] == 2
    assert _column(denials, "Denials")[THIS_WEEK - dt.timedelta(weeks=2)] == 1
    assert _column(findings, "Opened")[THIS_WEEK - dt.timedelta(weeks=5)] == 1
    assert _column(findings, "Opened")[THIS_WEEK - dt.timedelta(weeks=1)] == 2
    assert _column(findings, "Closed")[THIS_WEEK] == 1
    assert sum(v or 0 for v in _column(findings, "Closed").values()) == 1


def _audit_csv(second_rate: tuple[int, int]) -> bytes:
    return csv_bytes(
        "sex,selected",
        grouped_rows({("Female",): (100, 50), ("Male",): second_rate}),
    )


def test_repeated_bias_audits_show_the_lowest_impact_ratio_audit_after_audit() -> None:
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)
    deployment = DeploymentFactory()
    auditor = user_with_roles(Role.REQUESTER)
    for date, selected in ((dt.date(2025, 1, 10), (100, 35)), (dt.date(2026, 1, 10), (100, 45))):
        BiasAuditFactory(
            deployment=deployment,
            actor=auditor,
            finalize=True,
            audit_date=date,
            csv=_audit_csv(selected),
        )
    BiasAuditFactory(deployment=DeploymentFactory(), actor=auditor, finalize=True)  # once only
    history = lowest_ratio_history(officer)
    assert history is not None and len(history) == 1
    [(name, rows)] = history.items()
    assert name == str(deployment)
    assert [round(r or 0, 3) for _, r in rows] == [0.7, 0.9]
    panel = bias_trend(officer)
    assert panel is not None and panel.table is not None
    assert panel.table.rows == [["Audit 1", "0.70"], ["Audit 2", "0.90"]]
    assert "0.80 four-fifths" in panel.chart


def test_trends_read_a_fixed_number_of_queries_as_data_grows(
    django_assert_num_queries: Any,
) -> None:
    officer = user_with_roles(Role.COMPLIANCE_OFFICER)

    def read() -> None:
        trend_panels.approvals_panel(officer, NOW)
        trend_panels.late_signoffs_panel(officer, NOW)
        trend_panels.gate_denials_panel(officer, NOW)
        trend_panels.findings_panel(officer, NOW)
        bias_trend(officer)

    _approval(asked=NOW - dt.timedelta(days=2), decided=NOW - dt.timedelta(hours=2))
    read()  # the viewer's roles are read once and kept
    # Two for approvals, three for late sign-offs, one for denials, two for findings, one for
    # bias audits.
    with django_assert_num_queries(9):
        read()
    for days in (3, 9, 20):
        _approval(asked=NOW - dt.timedelta(days=days), decided=NOW - dt.timedelta(days=days - 1))
        raise_finding(actor=officer)
        gate_record(gate_evaluate(DeploymentFactory()), asked_by=officer)
    with django_assert_num_queries(9):
        read()


@pytest.mark.parametrize(
    ("role", "url"),
    [(Role.COMPLIANCE_OFFICER, "dashboard:overview"), (Role.EXECUTIVE, "core:home")],
)
def test_trend_panels_with_their_tables_show_on_the_overview_and_executive_home(
    client: Client, role: str, url: str
) -> None:
    client.force_login(user_with_roles(role))
    _approval(asked=timezone.now() - dt.timedelta(days=1), decided=timezone.now())
    page = client.get(reverse(url)).content.decode()
    for title in (
        "Approvals per week",
        "Sign-offs past their SLA per week",
        "Gate denials per week",
        "Findings opened and closed per week",
        "Lowest impact ratio, audit after audit",
    ):
        assert f'aria-label="{title}"' in page
    assert page.count('<table class="trend-table">') == 4
    assert "<caption>Approvals per week</caption>" in page
    assert 'class="chart trend-chart trend-bars" role="img"' in page
    assert 'viewBox="0 0 480 ' in page and "css/trends.css" in page
