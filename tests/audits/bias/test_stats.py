"""Worked examples of the LL144 figures, and agreement with scipy and Fairlearn."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from scipy.stats import chi2_contingency, fisher_exact

from audits.bias import analysis, counting, engine, stats
from audits.bias.engine import ColumnMapping


def _rows(counts: list[tuple[str, int, int]], total: int | None = None, **kw):  # type: ignore[no-untyped-def]
    total = total if total is not None else sum(n for _, n, _ in counts)
    result = stats.evaluate(
        dimension="sex",
        is_intersection=False,
        counts=counts,
        total=total,
        exclusions=kw.get("exclusions", {}),
    )
    return {r.category: r for r in result}


def test_rates_and_impact_ratios_against_the_highest_rate() -> None:
    rows = _rows([("A", 200, 100), ("B", 400, 120), ("C", 100, 45)])
    assert rows["A"].rate == 0.5 and rows["B"].rate == 0.3 and rows["C"].rate == 0.45
    assert rows["A"].is_reference and rows["A"].impact_ratio == 1.0
    assert rows["B"].impact_ratio == pytest.approx(0.6)
    assert rows["C"].impact_ratio == pytest.approx(0.9)
    assert rows["B"].flagged and not rows["C"].flagged and not rows["A"].flagged


def test_exactly_four_fifths_is_not_flagged_but_079_is() -> None:
    rows = _rows([("A", 100, 50), ("B", 100, 40), ("C", 200, 79)])
    assert rows["B"].impact_ratio == pytest.approx(0.8)
    assert rows["B"].flagged is False
    assert rows["C"].impact_ratio == pytest.approx(0.79)
    assert rows["C"].flagged is True


def test_four_fifths_is_decided_on_counts_not_rounded_floats() -> None:
    # 0.7 / 0.875 is 0.8 exactly, but the float division gives 0.7999999999999999.
    assert 0.7 / 0.875 < 0.8
    rows = _rows([("A", 8, 7), ("B", 10, 7)])
    assert rows["B"].flagged is False


def test_category_under_two_percent_is_eligible_and_stays_listed() -> None:
    # 1,000 people: 19 is under 2 %, 20 is exactly 2 % and is not eligible.
    rows = _rows([("A", 500, 100), ("B", 461, 80), ("C", 19, 15), ("D", 20, 4)], total=1000)
    assert rows["C"].below_two_percent and not rows["D"].below_two_percent
    # Not excluded unless the auditor chooses: C has the highest rate and is the reference.
    assert rows["C"].is_reference and not rows["C"].excluded


def test_excluded_category_is_never_the_reference_but_keeps_its_counts() -> None:
    rows = _rows(
        [("A", 500, 100), ("B", 461, 80), ("C", 19, 15), ("D", 20, 4)],
        total=1000,
        exclusions={"C": "Too few people for a reliable rate."},
    )
    excluded = rows["C"]
    assert excluded.excluded and excluded.exclusion_justification.startswith("Too few")
    assert excluded.n == 19 and excluded.selected == 15 and excluded.rate == pytest.approx(15 / 19)
    assert excluded.impact_ratio is None and not excluded.is_reference and not excluded.flagged
    assert excluded.p_value_z is None and excluded.p_value_fisher is None
    assert rows["A"].is_reference
    assert rows["B"].impact_ratio == pytest.approx((80 / 461) / 0.2)


@pytest.mark.parametrize(
    "counts",
    [
        [("A", 1000, 480), ("B", 950, 300), ("C", 25, 9)],
        [("A", 12, 9), ("B", 7, 2), ("C", 30, 11)],
        [("A", 400000, 120000), ("B", 380000, 110500)],
    ],
)
def test_z_and_fisher_p_values_equal_scipy_on_the_same_tables(counts) -> None:  # type: ignore[no-untyped-def]
    rows = _rows(counts)
    reference = next(r for r in rows.values() if r.is_reference)
    compared = [r for r in rows.values() if not r.is_reference]
    assert compared
    for row in compared:
        table = [
            [row.selected, row.n - row.selected],
            [reference.selected, reference.n - reference.selected],
        ]
        assert row.p_value_fisher == pytest.approx(fisher_exact(table).pvalue, rel=1e-9)
        # The pooled two-proportion z test is the uncorrected chi-square test on the table.
        chi2 = chi2_contingency(table, correction=False)
        assert row.z is not None and row.z**2 == pytest.approx(chi2.statistic, rel=1e-9)
        assert row.p_value_z == pytest.approx(chi2.pvalue, rel=1e-9)
        assert row.z < 0  # below the reference


def test_z_is_undefined_when_nobody_is_selected() -> None:
    assert stats.two_proportion_z(0, 10, 0, 12) == (None, None)
    rows = _rows([("A", 10, 0), ("B", 12, 0)])
    assert all(r.impact_ratio is None and not r.flagged for r in rows.values())


def test_disparate_impact_pools_the_unprivileged_categories() -> None:
    counts = [("Men", 100, 60), ("Women", 80, 30), ("Other", 20, 10)]
    assert stats.disparate_impact(counts, "Men") == pytest.approx((40 / 100) / 0.6)
    assert stats.disparate_impact(counts, "Women") == pytest.approx((70 / 120) / (30 / 80))


def _generated_classification(seed: int = 7, n: int = 6000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["Female", "Male"], n, p=[0.45, 0.55])
    race = rng.choice(["Asian", "Black", "Hispanic", "White"], n, p=[0.2, 0.2, 0.2, 0.4])
    base = 0.3 + 0.1 * (sex == "Male") + 0.05 * (race == "White")
    label = (rng.random(n) < base).astype(int)
    # Predictions agree with the label most of the time, with group-dependent error.
    flip = rng.random(n) < (0.15 + 0.05 * (race == "Black"))
    prediction = np.where(flip, 1 - label, label)
    return pd.DataFrame({"sex": sex, "race": race, "label": label, "prediction": prediction})


def test_parity_and_equalized_odds_equal_fairlearn_on_a_generated_dataset() -> None:
    frame = _generated_classification()
    data = io.BytesIO(frame.to_csv(index=False).encode())
    counts = counting.count_file(
        data,
        mapping=ColumnMapping(("sex", "race"), {"label": "label", "prediction": "prediction"}),
        audit_type="classification",
        data_format="rows",
    )
    figures, summaries = analysis.analyse(
        analysis.inputs_from_counts(counts),
        total=counts.total,
        exclusions={},
        privileged={},
        classification=True,
    )
    y_true, y_pred = frame["label"], frame["prediction"]
    for summary, features in zip(
        summaries, [frame["sex"], frame["race"], frame[["sex", "race"]]], strict=True
    ):
        metrics = summary["metrics"]
        kwargs = {"sensitive_features": features}
        assert metrics["demographic_parity_difference"] == pytest.approx(
            demographic_parity_difference(y_true, y_pred, **kwargs), abs=1e-12
        )
        assert metrics["demographic_parity_ratio"] == pytest.approx(
            demographic_parity_ratio(y_true, y_pred, **kwargs), abs=1e-12
        )
        assert metrics["equalized_odds_difference"] == pytest.approx(
            equalized_odds_difference(y_true, y_pred, **kwargs), abs=1e-12
        )
        assert metrics["equalized_odds_ratio"] == pytest.approx(
            equalized_odds_ratio(y_true, y_pred, **kwargs), abs=1e-12
        )
        by_group = MetricFrame(
            metrics={"sel": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate},
            y_true=y_true,
            y_pred=y_pred,
            **kwargs,
        ).by_group
        rows = {f.category: f for f in figures if f.dimension == summary["dimension"]}
        assert len(rows) == len(by_group)
        for key, expected in by_group.iterrows():
            category = engine.INTERSECTION_JOIN.join(key) if isinstance(key, tuple) else key
            assert rows[category].rate == pytest.approx(expected["sel"], abs=1e-12)
            assert rows[category].tpr == pytest.approx(expected["tpr"], abs=1e-12)
            assert rows[category].fpr == pytest.approx(expected["fpr"], abs=1e-12)
