"""A metric that stops reporting is a governance failure: the sweep raises it once."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from governance.monitoring.choices import AlertLevel
from governance.monitoring.models import Alert
from governance.monitoring.services.alerts import silence_sweep
from governance.monitoring.services.ingestion import observations_ingest

pytestmark = pytest.mark.django_db


def _send(deployment: Any, actor: Any, metric: str, end: dt.datetime) -> None:
    observations_ingest(
        deployment=deployment,
        actor=actor,
        points=[
            {
                "metric": metric,
                "value": 0.9 if metric != "missing_rate" else 0.01,
                "window_start": (end - dt.timedelta(hours=1)).isoformat(),
                "window_end": end.isoformat(),
            }
        ],
    )


def test_a_metric_silent_for_two_cadences_raises_one_silent_alert(
    deployment: Any, plan: Any, engineer: Any
) -> None:
    now = timezone.now()
    # accuracy reports daily: last heard 49 hours ago. missing_rate reported an hour ago.
    _send(deployment, engineer, "accuracy", now - dt.timedelta(hours=49))
    _send(deployment, engineer, "missing_rate", now - dt.timedelta(hours=1))
    _send(deployment, engineer, "selection_rate_ratio", now - dt.timedelta(hours=1))

    raised = silence_sweep(now=now)
    assert [(a.metric, a.level) for a in raised] == [("accuracy", AlertLevel.SILENT)]
    assert silence_sweep(now=now + dt.timedelta(hours=1)) == []  # idempotent

    _send(deployment, engineer, "accuracy", now)  # the pipeline came back …
    assert silence_sweep(now=now + dt.timedelta(hours=2)) == []
    # … and went silent again: a new silence is a new alert.
    later = now + dt.timedelta(hours=49)
    assert {a.metric for a in silence_sweep(now=later)} == {"accuracy", "missing_rate"}
    assert Alert.objects.filter(level=AlertLevel.SILENT, metric="accuracy").count() == 2


def test_a_deployment_that_is_not_running_is_never_silent(
    deployment: Any, plan: Any, engineer: Any
) -> None:
    deployment.status = "retired"
    deployment.save(update_fields=["status"])
    assert silence_sweep(now=timezone.now() + dt.timedelta(days=30)) == []


def test_the_sweep_reads_every_watched_metric_in_one_query_without_aggregating_the_table(
    deployment: Any, plan: Any, engineer: Any, django_assert_num_queries: Any
) -> None:
    from governance.monitoring.services.alerts import silent_metrics
    from governance.monitoring.services.plans import monitoring_plan_save, plan_template
    from tests.factories import DeploymentFactory

    now = timezone.now()
    _send(deployment, engineer, "accuracy", now - dt.timedelta(hours=49))
    other = DeploymentFactory(status="active")
    monitoring_plan_save(
        deployment=other, owner=engineer, metrics=plan_template("I"), actor=engineer
    )
    _send(other, engineer, "accuracy", now - dt.timedelta(hours=1))
    _send(other, engineer, "missing_rate", now - dt.timedelta(hours=60))

    with django_assert_num_queries(1) as captured:
        silent = silent_metrics(now)
    # Each metric's last value comes from its own series, not from a GROUP BY over all values.
    assert "GROUP BY" not in captured.captured_queries[0]["sql"].upper()
    assert {(m.plan.deployment_id, m.key, last) for m, last in silent} == {
        (deployment.pk, "accuracy", now - dt.timedelta(hours=49)),
        (other.pk, "missing_rate", now - dt.timedelta(hours=60)),
    }
