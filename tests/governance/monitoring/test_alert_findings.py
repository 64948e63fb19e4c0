"""A breach or a silence becomes one finding; repeats join it while it is open."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from governance.findings.models import Finding
from governance.ledger.models import LedgerEvent
from governance.monitoring.choices import AlertLevel
from governance.monitoring.models import Alert
from governance.monitoring.services.alerts import silence_sweep
from governance.monitoring.services.ingestion import observations_ingest

pytestmark = pytest.mark.django_db


def _send(deployment: Any, actor: Any, value: float, *, hours_ago: int = 1) -> Any:
    end = timezone.now() - dt.timedelta(hours=hours_ago)
    return observations_ingest(
        deployment=deployment,
        actor=actor,
        points=[
            {
                "metric": "accuracy",
                "value": value,
                "window_start": (end - dt.timedelta(days=1)).isoformat(),
                "window_end": end.isoformat(),
            }
        ],
    )


def test_a_breach_raises_an_alert_that_opens_one_finding(
    deployment: Any, plan: Any, engineer: Any
) -> None:
    result = _send(deployment, engineer, 0.71)
    alert = result.alerts[0]
    finding = Finding.objects.get()
    assert alert.level == AlertLevel.BREACH and alert.finding_id == finding.pk
    assert finding.source_kind == "monitoring_alert" and finding.automatic
    assert finding.severity == "medium"  # the plan's severity for accuracy at tier III
    assert finding.owner == engineer  # the plan's owner watches the deployment
    assert "Accuracy breached its threshold (0.71" in finding.title
    event = LedgerEvent.objects.get(action="monitoring_alert.raised")
    assert event.payload["finding"] == str(finding.pk)


def test_repeated_breaches_join_the_open_finding(deployment: Any, plan: Any, engineer: Any) -> None:
    _send(deployment, engineer, 0.71, hours_ago=3)
    _send(deployment, engineer, 0.70, hours_ago=2)
    _send(deployment, engineer, 0.69, hours_ago=1)
    assert Finding.objects.count() == 1
    assert Alert.objects.filter(level=AlertLevel.BREACH).count() == 3
    assert set(Alert.objects.values_list("finding_id", flat=True)) == {Finding.objects.get().pk}


def test_a_warning_raises_an_alert_but_no_finding(
    deployment: Any, plan: Any, engineer: Any
) -> None:
    result = _send(deployment, engineer, 0.84)
    assert result.alerts[0].level == AlertLevel.WARNING and result.alerts[0].finding_id is None
    assert not Finding.objects.exists()


def test_a_breach_after_the_finding_closed_opens_a_new_one(
    deployment: Any, plan: Any, engineer: Any
) -> None:
    _send(deployment, engineer, 0.71, hours_ago=2)
    Finding.objects.update(state="closed")  # the closing workflow is tested in the findings room
    _send(deployment, engineer, 0.70, hours_ago=1)
    assert Finding.objects.count() == 2


def test_silence_opens_a_monitoring_silent_finding_once(
    deployment: Any, plan: Any, engineer: Any
) -> None:
    now = timezone.now() + dt.timedelta(days=3)
    silence_sweep(now=now)
    silence_sweep(now=now + dt.timedelta(hours=1))
    titles = sorted(Finding.objects.values_list("title", flat=True))
    # The two daily metrics are silent after three days; the weekly fairness one is not yet.
    assert titles == [
        "Monitoring silent: Accuracy has reported nothing for more than 2 × 24 hours",
        "Monitoring silent: Share of missing input values has reported nothing for more than "
        "2 × 24 hours",
    ]


def test_a_breach_goes_to_the_deployments_owner_when_the_plan_owner_cannot_act(
    deployment: Any, plan: Any, engineer: Any, officer: Any
) -> None:
    deployment.created_by = officer  # registered by someone who can work findings
    deployment.save(update_fields=["created_by"])
    engineer.is_active = False
    engineer.save(update_fields=["is_active"])
    result = _send(deployment, engineer, 0.71)
    finding = Finding.objects.get()
    assert result.alerts[0].finding_id == finding.pk
    assert finding.owner == officer


def test_a_watched_feature_drifting_raises_alerts_and_a_major_shift_a_finding(
    deployment: Any, engineer: Any
) -> None:
    from governance.monitoring.services.ingestion import drift_record
    from governance.monitoring.services.plans import monitoring_plan_save

    monitoring_plan_save(
        deployment=deployment,
        owner=engineer,
        actor=engineer,
        metrics=[
            {
                "key": "income_psi",
                "name": "Drift of income",
                "kind": "drift",
                "direction": "lower_is_better",
                "warning_threshold": "0.10",
                "breach_threshold": "0.25",
                "cadence_hours": 168,
                "severity": "high",
                "feature": "income",
            }
        ],
    )
    moderate = {"feature": "income", "reference": [25, 25, 25, 25], "current": [10, 20, 30, 40]}
    unwatched = {"feature": "age", "reference": [25, 75], "current": [75, 25]}
    drift_record(deployment=deployment, actor=engineer, features=[moderate, unwatched])
    assert [(a.metric, a.level) for a in Alert.objects.all()] == [("income_psi", "warning")]
    assert not Finding.objects.exists()

    major = {"feature": "income", "reference": [25, 25, 25, 25], "current": [1, 1, 48, 50]}
    drift_record(deployment=deployment, actor=engineer, features=[major])
    breach = Alert.objects.get(level=AlertLevel.BREACH)
    assert breach.metric == "income_psi" and breach.value > 0.25
    finding = Finding.objects.get()
    assert finding.severity == "high" and breach.finding_id == finding.pk
