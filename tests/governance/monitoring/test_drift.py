"""Drift arithmetic: the PSI example, smoothing of empty bins, band edges, JS distance."""

from __future__ import annotations

import math
from typing import Any

import pytest
from scipy.spatial.distance import jensenshannon

from governance.monitoring import drift
from governance.monitoring.choices import DriftBand
from governance.monitoring.rules import PSI_EPSILON


def test_psi_of_the_documented_example_is_0_2282() -> None:
    figures = drift.drift_figures([25, 25, 25, 25], [10, 20, 30, 40])
    assert round(figures.psi, 4) == 0.2282
    assert figures.band == DriftBand.MODERATE


def test_psi_is_the_same_whichever_side_is_the_reference() -> None:
    forward = drift.drift_figures([25, 25, 25, 25], [10, 20, 30, 40]).psi
    backward = drift.drift_figures([10, 20, 30, 40], [25, 25, 25, 25]).psi
    assert forward == pytest.approx(backward)


def test_identical_distributions_are_stable_with_zero_psi() -> None:
    figures = drift.drift_figures([5, 10, 85], [50, 100, 850])
    assert figures.psi == pytest.approx(0.0, abs=1e-12)
    assert figures.js_distance == pytest.approx(0.0, abs=1e-7)
    assert figures.band == DriftBand.STABLE


def test_an_empty_bin_is_smoothed_with_epsilon_and_renormalised() -> None:
    proportions = drift.proportions([0, 50, 50])
    assert sum(proportions) == pytest.approx(1.0)
    assert proportions[0] == pytest.approx(PSI_EPSILON / (1 + PSI_EPSILON))
    figures = drift.drift_figures([0, 50, 50], [10, 45, 45])
    assert math.isfinite(figures.psi) and figures.psi > 0.25
    expected = sum(
        (c - r) * math.log(c / r)
        for r, c in zip(
            drift.proportions([0, 50, 50]), drift.proportions([10, 45, 45]), strict=True
        )
    )
    assert figures.psi == pytest.approx(expected)


@pytest.mark.parametrize(
    ("value", "band"),
    [
        (0.0999999, DriftBand.STABLE),
        (0.10, DriftBand.MODERATE),
        (0.2499999, DriftBand.MODERATE),
        (0.25, DriftBand.MAJOR),
        (3.0, DriftBand.MAJOR),
    ],
)
def test_band_edges_belong_to_the_higher_band(value: float, band: str) -> None:
    assert drift.band_of(value) == band


def test_js_distance_matches_scipy_with_base_two() -> None:
    figures = drift.drift_figures([25, 25, 25, 25], [10, 20, 30, 40])
    expected = jensenshannon([0.25] * 4, [0.1, 0.2, 0.3, 0.4], base=2)
    assert figures.js_distance == pytest.approx(float(expected))


@pytest.mark.django_db
def test_the_newest_drift_per_feature_names_every_feature_however_long_the_history(
    django_assert_num_queries: Any,
) -> None:
    import datetime as dt
    from unittest import mock

    from django.utils import timezone

    from governance.monitoring.models import DriftResult
    from governance.monitoring.selectors import latest_drift_by_feature
    from tests.factories import DeploymentFactory, UserFactory

    deployment, user = DeploymentFactory(), UserFactory()

    def results(at: dt.datetime, rows: list[tuple[str, float]]) -> None:
        with mock.patch("django.utils.timezone.now", return_value=at):  # created_at
            DriftResult.objects.bulk_create(
                DriftResult(
                    deployment=deployment,
                    feature=feature,
                    reference_counts=[1, 1],
                    current_counts=[1, 1],
                    epsilon=PSI_EPSILON,
                    psi=psi,
                    js_distance=0.0,
                    band=DriftBand.STABLE,
                    received_by=user,
                )
                for feature, psi in rows
            )

    now = timezone.now()
    # A long history of one feature must not crowd out a feature later in the alphabet.
    results(now - dt.timedelta(days=2), [("age", 0.01)] * 5000 + [("income", 0.02)])
    results(now - dt.timedelta(days=1), [("age", 0.04), ("income", 0.03)])
    with django_assert_num_queries(1):
        latest = latest_drift_by_feature(deployment)
    assert [(r.feature, r.psi) for r in latest] == [("age", 0.04), ("income", 0.03)]
