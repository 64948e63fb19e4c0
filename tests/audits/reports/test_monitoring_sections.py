"""The dossier's post-market monitoring part (Annex IV §9, Art 72): what it states, that the
PDF and the evidence carry it, and that reading it costs the same whatever the number of values."""

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

from audits.reports.models import Report
from audits.reports.snapshot import take_snapshot
from governance.accounts.roles import Role
from governance.monitoring.models import Alert
from governance.monitoring.services import incidents
from governance.monitoring.services.ingestion import drift_record, observations_ingest
from governance.monitoring.services.plans import monitoring_plan_save, plan_template
from tests.audits.reports.conftest import make_deployment
from tests.factories import ReportFactory, user_with_roles
from tests.helpers.reports import generate_report

pytestmark = pytest.mark.django_db


def _text(report: Report) -> str:
    with report.file.open("rb") as handle:
        pages = PdfReader(io.BytesIO(handle.read())).pages
    return " ".join(" ".join(page.extract_text() for page in pages).split())


def _section(report: Report, key: str) -> dict[str, Any]:
    evidence = json.loads(report.evidence)
    return next(s["data"] for s in evidence["sections"] if s["key"] == key)


def _points(values: list[float], metric: str, *, days_ago: int = 0) -> list[dict[str, Any]]:
    """One value a day for `metric`, the last one ending an hour (plus `days_ago`) ago."""
    end = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1, days=days_ago)
    points = []
    for i, value in enumerate(reversed(values)):
        window_end = end - dt.timedelta(days=i)
        points.append(
            {
                "metric": metric,
                "value": value,
                "window_start": (window_end - dt.timedelta(days=1)).isoformat(),
                "window_end": window_end.isoformat(),
            }
        )
    return points


def _monitored(owner: Any, *, name: str = "Credit limit model") -> Any:
    deployment = make_deployment(owner, name=name)
    monitoring_plan_save(
        deployment=deployment, owner=owner, metrics=plan_template("III"), actor=owner
    )
    return deployment


@pytest.fixture
def monitored(owner: Any) -> Any:
    """A plan, a month of accuracy with one breach, missing rates, drift and an incident."""
    deployment = _monitored(owner)
    accuracy = [0.9, 0.88, 0.91, 0.79, 0.87]  # 0.79 is below the 0.80 breach threshold
    observations_ingest(deployment=deployment, points=_points(accuracy, "accuracy"), actor=owner)
    observations_ingest(
        deployment=deployment, points=_points([0.01, 0.02], "missing_rate"), actor=owner
    )
    drift_record(
        deployment=deployment,
        features=[{"feature": "income", "reference": [250, 250, 250, 250],
                   "current": [100, 200, 300, 400]}],
        actor=owner,
    )  # fmt: skip
    incidents.incident_report(
        deployment=deployment,
        actor=owner,
        title="Credit limits cut to zero",
        description="A batch of applicants was offered no credit at all.",
        occurred_at=timezone.now() - dt.timedelta(days=2),
        aware_at=timezone.now() - dt.timedelta(days=1),
        severity="high",
        serious=True,
        serious_category="other",
    )
    return deployment


def test_the_monitoring_part_states_the_plan_values_drift_alerts_and_incidents(
    owner: Any, monitored: Any
) -> None:
    report = generate_report(owner, kind="deployment_dossier", deployment=monitored)
    data = _section(report, "monitoring")
    assert data["plan"]["version"] == 1 and data["plan"]["owner"]["username"] == "maya"
    by_key = {m["key"]: m for m in data["metrics"]}
    assert set(by_key) == {"accuracy", "missing_rate", "selection_rate_ratio"}
    accuracy = by_key["accuracy"]
    assert accuracy["breach_threshold"] == "0.800000" and accuracy["cadence_hours"] == 24
    assert (accuracy["count"], accuracy["low"], accuracy["high"]) == (5, 0.79, 0.91)
    assert accuracy["mean"] == pytest.approx((0.9 + 0.88 + 0.91 + 0.79 + 0.87) / 5)
    assert accuracy["breaches"] == 1 and accuracy["latest"]["value"] == 0.87
    assert [p[1] for p in accuracy["points"]] == [0.9, 0.88, 0.91, 0.79, 0.87]
    assert by_key["missing_rate"]["breaches"] == 0 and by_key["selection_rate_ratio"]["count"] == 0
    assert [(d["feature"], d["band"]) for d in data["drift"]] == [("income", "moderate")]
    assert data["drift"][0]["psi"] == pytest.approx(0.2282, abs=1e-4)
    alert = Alert.objects.get(deployment=monitored)
    assert data["alerts"]["total"] == 1
    assert data["alerts"]["listed"][0]["level"] == "breach"
    assert data["alerts"]["listed"][0]["finding"] == str(alert.finding_id)
    (incident,) = data["incidents"]
    assert incident["title"] == "Credit limits cut to zero"
    assert incident["clock"]["state"] == "running" and incident["clock"]["deadline_days"] == 15


def test_the_pdf_names_the_metrics_draws_their_charts_and_fills_annex_iv_9(
    owner: Any, monitored: Any
) -> None:
    report = generate_report(owner, kind="deployment_dossier", deployment=monitored)
    text = _text(report)
    for expected in (
        "Post-market monitoring (Annex IV §9, Art 72)",
        "Accuracy",
        "Share of missing input values",
        "Lowest selection-rate ratio between groups",
        "Credit limits cut to zero",
        "Moderate shift",
        "breach 0.8",  # the accuracy chart's breach line, drawn in the PDF
    ):
        assert expected in text, expected
    evidence = json.loads(report.evidence)
    annex_9 = next(row for row in evidence["annex_iv"] if row["number"] == 9)
    assert annex_9["included"] == ["Post-market monitoring (Annex IV §9, Art 72)"]


def test_without_a_plan_the_dossier_says_art_72_requires_one(owner: Any, deployment: Any) -> None:
    report = generate_report(owner, kind="deployment_dossier", deployment=deployment)
    data = _section(report, "monitoring")
    assert data["plan"] is None and data["metrics"] == []
    assert (
        "No post-market monitoring plan is recorded; Art 72 requires one for high-risk systems."
        in _text(report)
    )


def test_values_older_than_the_period_are_left_out(owner: Any) -> None:
    deployment = _monitored(owner)
    observations_ingest(
        deployment=deployment, points=_points([0.5], "accuracy", days_ago=400), actor=owner
    )
    observations_ingest(deployment=deployment, points=_points([0.9], "accuracy"), actor=owner)
    report = ReportFactory(deployment=deployment, requested_by=owner)
    evidence = json.loads(take_snapshot(report).evidence_json)
    data = next(s["data"] for s in evidence["sections"] if s["key"] == "monitoring")
    accuracy = next(m for m in data["metrics"] if m["key"] == "accuracy")
    assert (accuracy["count"], accuracy["low"], accuracy["breaches"]) == (1, 0.9, 0)
    assert len(accuracy["points"]) == 1


def _snapshot_queries(deployment: Any, requester: Any) -> int:
    report = ReportFactory(deployment=deployment, requested_by=requester)
    with CaptureQueriesContext(connection) as queries:
        take_snapshot(report)
    return len(queries)


def test_reading_the_monitoring_part_costs_the_same_whatever_the_number_of_values(
    owner: Any,
) -> None:
    viewer = user_with_roles(Role.COMPLIANCE_OFFICER)
    small = _monitored(owner, name="Small model")
    large = _monitored(owner, name="Large model")
    for deployment, days in ((small, 3), (large, 300)):
        for metric in ("accuracy", "missing_rate", "selection_rate_ratio"):
            values = [0.7 if i % 10 == 0 else 0.9 for i in range(days)]
            observations_ingest(deployment=deployment, points=_points(values, metric), actor=owner)
    _snapshot_queries(small, viewer)  # the first snapshot fills per-process caches
    assert _snapshot_queries(small, viewer) == _snapshot_queries(large, viewer)
