"""Observation batches: all or nothing, one ledger event per batch, errors name the point."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from governance.ledger.models import LedgerEvent
from governance.monitoring.choices import AlertLevel, DriftBand
from governance.monitoring.models import Alert, DriftResult, Observation, ObservationBatch
from governance.monitoring.rules import MAX_BATCH_POINTS

pytestmark = pytest.mark.django_db


def _points(n: int, *, metric: str = "accuracy", value: float = 0.9) -> list[dict[str, Any]]:
    end = timezone.now().replace(microsecond=0) - dt.timedelta(hours=1)
    return [
        {
            "metric": metric,
            "value": value,
            "window_start": (end - dt.timedelta(days=i + 1)).isoformat(),
            "window_end": (end - dt.timedelta(days=i)).isoformat(),
        }
        for i in range(n)
    ]


def _url(deployment: Any, what: str) -> str:
    return f"/api/v1/deployments/{deployment.pk}/{what}/"


def test_a_batch_is_stored_whole_with_one_ledger_event_naming_its_digest_and_count(
    api: Any, deployment: Any, plan: Any, engineer: Any
) -> None:
    before = LedgerEvent.objects.count()
    response = api(engineer).post(
        _url(deployment, "observations"), {"points": _points(300)}, format="json"
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["count"] == 300 and len(body["sha256"]) == 64
    assert Observation.objects.filter(deployment=deployment).count() == 300
    events = list(LedgerEvent.objects.order_by("seq")[before:])
    assert [e.action for e in events] == ["observation_batch.received"]
    assert events[0].payload["sha256"] == body["sha256"] and events[0].payload["count"] == 300


def test_the_same_points_give_the_same_digest(
    api: Any, deployment: Any, plan: Any, engineer: Any
) -> None:
    points = _points(3)
    first = api(engineer).post(_url(deployment, "observations"), {"points": points}, format="json")
    second = api(engineer).post(_url(deployment, "observations"), {"points": points}, format="json")
    assert first.json()["sha256"] == second.json()["sha256"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"value": "NaN"}, "value"),
        ({"value": "Infinity"}, "value"),
        ({"value": "0.5"}, "value"),
        ({"metric": "no_such_metric"}, "metric"),
        (
            {
                "window_start": "2026-03-02T00:00:00+00:00",
                "window_end": "2026-03-01T00:00:00+00:00",
            },
            "window_end",
        ),
        ({"window_end": "2026-03-01T00:00:00"}, "window_end"),
        ({"window_end": "2999-01-01T00:00:00+00:00"}, "window_end"),
    ],
)
def test_a_bad_point_refuses_the_whole_batch_naming_its_index_and_field(
    api: Any, deployment: Any, plan: Any, engineer: Any, change: dict[str, Any], field: str
) -> None:
    points = _points(5)
    points[3].update(change)
    response = api(engineer).post(
        _url(deployment, "observations"), {"points": points}, format="json"
    )
    assert response.status_code == 400, response.content
    assert f"points[3].{field}" in response.json()
    assert not ObservationBatch.objects.exists() and not Observation.objects.exists()


def test_bare_nan_or_infinity_tokens_are_refused_as_invalid_json(
    api: Any, deployment: Any, plan: Any, engineer: Any
) -> None:
    # JSON has no NaN or Infinity; a client that writes the tokens anyway is told so.
    body = (
        '{"points": [{"metric": "accuracy", "value": NaN, "window_start": "x", "window_end": "y"}]}'
    )
    response = api(engineer).post(
        _url(deployment, "observations"), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert not Observation.objects.exists()


def test_a_batch_over_the_limit_is_refused(
    api: Any, deployment: Any, plan: Any, engineer: Any
) -> None:
    points = _points(1) * (MAX_BATCH_POINTS + 1)
    response = api(engineer).post(
        _url(deployment, "observations"), {"points": points}, format="json"
    )
    assert response.status_code == 400
    assert "points" in response.json()
    assert not Observation.objects.exists()


def test_observations_need_a_plan(api: Any, deployment: Any, engineer: Any) -> None:
    response = api(engineer).post(
        _url(deployment, "observations"), {"points": _points(1)}, format="json"
    )
    assert response.status_code == 409
    assert "monitoring plan" in response.json()["detail"]


def test_an_auditor_cannot_send_observations(
    api: Any, deployment: Any, plan: Any, auditor: Any
) -> None:
    response = api(auditor).post(
        _url(deployment, "observations"), {"points": _points(1)}, format="json"
    )
    assert response.status_code == 403
    assert not Observation.objects.exists()


def test_a_breach_raises_one_alert_per_metric_at_the_worst_level(
    api: Any, deployment: Any, plan: Any, engineer: Any
) -> None:
    points = _points(4)
    points[0]["value"] = 0.84  # warning (below 0.85)
    points[1]["value"] = 0.70  # breach (below 0.80)
    points[2]["value"] = 0.75  # breach, less bad
    response = api(engineer).post(
        _url(deployment, "observations"), {"points": points}, format="json"
    )
    assert response.status_code == 201
    alerts = list(Alert.objects.filter(deployment=deployment))
    assert len(alerts) == 1
    assert alerts[0].level == AlertLevel.BREACH and alerts[0].metric == "accuracy"
    assert alerts[0].value == 0.70  # the worst level's latest window (points[1] ends later)
    assert LedgerEvent.objects.filter(action="monitoring_alert.raised").count() == 1


def test_drift_is_computed_stored_and_classified(
    api: Any, deployment: Any, plan: Any, engineer: Any
) -> None:
    response = api(engineer).post(
        _url(deployment, "drift"),
        {
            "features": [
                {"feature": "income", "reference": [25, 25, 25, 25], "current": [10, 20, 30, 40]},
                {"feature": "age", "reference": [30, 70], "current": [31, 69]},
            ]
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    by_feature = {r["feature"]: r for r in response.json()}
    assert round(by_feature["income"]["psi"], 4) == 0.2282
    assert by_feature["income"]["band"] == DriftBand.MODERATE
    assert by_feature["age"]["band"] == DriftBand.STABLE
    assert DriftResult.objects.count() == 2
    assert LedgerEvent.objects.filter(action="drift.computed").count() == 1
    listed = api(engineer).get(_url(deployment, "drift")).json()
    assert [r["feature"] for r in listed] == ["age", "income"]


@pytest.mark.parametrize(
    ("feature", "field"),
    [
        ({"feature": "x", "reference": [1, 2, 3], "current": [1, 2]}, "features[0].current"),
        ({"feature": "x", "reference": [1, -2], "current": [1, 2]}, "features[0].reference"),
        ({"feature": "x", "reference": [0, 0], "current": [1, 2]}, "features[0].reference"),
        ({"feature": "", "reference": [1, 2], "current": [1, 2]}, "features[0].feature"),
        (
            {"feature": "x", "reference": [1, 2], "current": [1, 2], "bins": ["a"]},
            "features[0].bins",
        ),
    ],
)
def test_bad_bins_are_refused_naming_the_feature(
    api: Any, deployment: Any, plan: Any, engineer: Any, feature: dict[str, Any], field: str
) -> None:
    response = api(engineer).post(_url(deployment, "drift"), {"features": [feature]}, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not DriftResult.objects.exists()


def _token_client(user: Any, scopes: list[str]) -> Any:
    from rest_framework.test import APIClient

    from governance.accounts.services import api_token_create

    client = APIClient()
    key = api_token_create(user=user, name="pipeline", scopes=scopes)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    return client


@pytest.mark.parametrize(
    ("scopes", "status"),
    [(["observations:write"], 201), (["write"], 201), (["read", "gate:read"], 403)],
)
def test_a_pipeline_token_needs_an_observations_or_write_scope(
    deployment: Any, plan: Any, engineer: Any, scopes: list[str], status: int
) -> None:
    client = _token_client(engineer, scopes)
    response = client.post(_url(deployment, "observations"), {"points": _points(2)}, format="json")
    assert response.status_code == status, response.content


def test_an_observations_token_cannot_change_anything_else(
    deployment: Any, plan: Any, engineer: Any
) -> None:
    client = _token_client(engineer, ["observations:write"])
    response = client.post(
        "/api/v1/incidents/",
        {
            "deployment": str(deployment.pk),
            "title": "x",
            "description": "y",
            "occurred_at": "2026-03-01T08:00:00Z",
            "aware_at": "2026-03-01T10:00:00Z",
            "severity": "low",
        },
        format="json",
    )
    assert response.status_code == 403


def test_points_are_stored_with_their_values_windows_and_segments(
    deployment: Any, plan: Any, engineer: Any
) -> None:
    from governance.monitoring.services.ingestion import observations_ingest

    points = _points(3, value=0.875)
    points[1]["segment"] = "age 18-30"
    observations_ingest(deployment=deployment, points=points, actor=engineer)
    stored = list(Observation.objects.filter(deployment=deployment).order_by("-window_end"))
    assert [o.value for o in stored] == [0.875] * 3
    assert [o.segment for o in stored] == ["", "age 18-30", ""]
    assert [o.window_end for o in stored] == [
        dt.datetime.fromisoformat(p["window_end"]) for p in points
    ]
    assert {o.batch_id for o in stored} == {ObservationBatch.objects.get().pk}


def test_a_failure_after_the_points_are_written_stores_nothing(
    monkeypatch: Any, deployment: Any, plan: Any, engineer: Any
) -> None:
    from governance.monitoring.services import alerts, ingestion

    def broken(**kwargs: Any) -> Any:
        raise RuntimeError("alert store unavailable")

    monkeypatch.setattr(alerts, "alert_raise", broken)
    before = LedgerEvent.objects.count()
    with pytest.raises(RuntimeError):
        ingestion.observations_ingest(
            deployment=deployment, points=_points(50, value=0.1), actor=engineer
        )
    assert not Observation.objects.exists() and not ObservationBatch.objects.exists()
    assert LedgerEvent.objects.count() == before
