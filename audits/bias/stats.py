"""The audit figures, from category counts (regulatory-facts §1).

Pure functions: counts in, figures out. Exclusion choices and the privileged group only
change these figures, never the counts, so a draft can be re-evaluated from its stored rows
without reading the file again.

- rate = selected ÷ n (LL144 §5-300; for scoring audits "selected" is the count strictly
  above the whole sample's median).
- impact ratio = rate ÷ the highest rate among the categories *included* in the calculation;
  a category excluded under the 2 % rule (§5-301(d)) is never the reference.
- flagged when the impact ratio is below 0.80 (29 CFR 1607.4(D)); compared on the integer
  counts (5·x·n_ref < 4·x_ref·n), so exactly 0.80 is never flagged through rounding.
- two-proportion z test with the pooled proportion, and Fisher's exact test (two-sided),
  each against the reference category.
- a category is eligible for exclusion when it holds less than 2 % of the audit data
  (50·n < total, exact).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

FOUR_FIFTHS = Fraction(4, 5)


@dataclass
class CategoryFigures:
    dimension: str
    is_intersection: bool
    category: str
    position: int
    n: int
    selected: int
    rate: float | None = None
    impact_ratio: float | None = None
    is_reference: bool = False
    flagged: bool = False
    z: float | None = None
    p_value_z: float | None = None
    p_value_fisher: float | None = None
    below_two_percent: bool = False
    excluded: bool = False
    exclusion_justification: str = ""
    tpr: float | None = None
    fpr: float | None = None


def below_two_percent(n: int, total: int) -> bool:
    """§5-301(d): less than 2 % of the audit data (exactly 2 % is not below)."""
    return 50 * n < total


def is_flagged(selected: int, n: int, ref_selected: int, ref_n: int) -> bool:
    """Impact ratio below four-fifths, decided on the counts: exactly 0.80 is not flagged."""
    if n == 0 or ref_n == 0 or ref_selected == 0:
        return False
    return Fraction(selected, n) / Fraction(ref_selected, ref_n) < FOUR_FIFTHS


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float | None, float | None]:
    """z = (p1 − p2) / √(p̂(1−p̂)(1/n1 + 1/n2)) with p̂ pooled; two-sided p from the normal.

    Undefined (None) when either group is empty or the pooled proportion is 0 or 1.
    """
    if n1 == 0 or n2 == 0:
        return None, None
    pooled = (x1 + x2) / (n1 + n2)
    variance = pooled * (1 - pooled) * (1 / n1 + 1 / n2)
    if variance <= 0:
        return None, None
    z = (x1 / n1 - x2 / n2) / math.sqrt(variance)
    # 2·(1 − Φ(|z|)) = erfc(|z|/√2), which keeps precision for very small p-values.
    return z, math.erfc(abs(z) / math.sqrt(2))


def fisher_p(x1: int, n1: int, x2: int, n2: int) -> float | None:
    if n1 == 0 or n2 == 0:
        return None
    # scipy takes a second and tens of megabytes to import; only audit computations need it.
    from scipy.stats import fisher_exact

    result: Any = fisher_exact([[x1, n1 - x1], [x2, n2 - x2]], alternative="two-sided")
    return float(result.pvalue)


def evaluate(
    *,
    dimension: str,
    is_intersection: bool,
    counts: Sequence[tuple[str, int, int]],
    total: int,
    exclusions: Mapping[str, str],
) -> list[CategoryFigures]:
    """Figures for one dimension. `counts` is (category, n, selected) in display order;
    `exclusions` maps an excluded category to the auditor's justification."""
    rows = [
        CategoryFigures(
            dimension=dimension,
            is_intersection=is_intersection,
            category=category,
            position=position,
            n=n,
            selected=selected,
            rate=selected / n if n else None,
            below_two_percent=below_two_percent(n, total),
        )
        for position, (category, n, selected) in enumerate(counts)
    ]
    for row in rows:
        if row.category in exclusions:
            row.excluded = True
            row.exclusion_justification = exclusions[row.category]
    included = [r for r in rows if not r.excluded and r.n > 0]
    if not included:
        return rows
    # The highest rate compared exactly; on a tie the first category in order is the reference.
    reference = max(included, key=lambda r: (Fraction(r.selected, r.n), -r.position))
    reference.is_reference = True
    for row in included:
        if reference.selected > 0:
            ratio = Fraction(row.selected, row.n) / Fraction(reference.selected, reference.n)
            row.impact_ratio = float(ratio)
        row.flagged = is_flagged(row.selected, row.n, reference.selected, reference.n)
        if row is reference:
            continue
        row.z, row.p_value_z = two_proportion_z(
            row.selected, row.n, reference.selected, reference.n
        )
        row.p_value_fisher = fisher_p(row.selected, row.n, reference.selected, reference.n)
    return rows


# --- Fairness metrics (Fairlearn and AIF360 definitions) ----------------------------------


def _spread(values: Sequence[float | None]) -> tuple[float | None, float | None]:
    """(max − min, min ÷ max) over the defined values, as Fairlearn's between-groups method."""
    known = [v for v in values if v is not None]
    if not known:
        return None, None
    high, low = max(known), min(known)
    return high - low, (low / high if high > 0 else None)


def classification_rates(
    positives: int, true_positives: int, negatives: int, false_positives: int
) -> tuple[float | None, float | None]:
    """(TPR, FPR) of one group; undefined when the group has no positives / no negatives."""
    tpr = true_positives / positives if positives else None
    fpr = false_positives / negatives if negatives else None
    return tpr, fpr


def demographic_parity(rates: Sequence[float | None]) -> dict[str, float | None]:
    difference, ratio = _spread(rates)
    return {"demographic_parity_difference": difference, "demographic_parity_ratio": ratio}


def equalized_odds(
    tprs: Sequence[float | None], fprs: Sequence[float | None]
) -> dict[str, float | None]:
    """Fairlearn's worst case: the larger of the TPR and FPR differences, the smaller ratio."""
    tpr_diff, tpr_ratio = _spread(tprs)
    fpr_diff, fpr_ratio = _spread(fprs)
    diffs = [d for d in (tpr_diff, fpr_diff) if d is not None]
    ratios = [r for r in (tpr_ratio, fpr_ratio) if r is not None]
    return {
        "equalized_odds_difference": max(diffs) if len(diffs) == 2 else None,
        "equalized_odds_ratio": min(ratios) if len(ratios) == 2 else None,
    }


def disparate_impact(counts: Sequence[tuple[str, int, int]], privileged: str) -> float | None:
    """AIF360: P(Y=1 | unprivileged) ÷ P(Y=1 | privileged); every other known category is
    unprivileged. Directional, so it may exceed 1."""
    priv = [(n, s) for c, n, s in counts if c == privileged]
    others = [(n, s) for c, n, s in counts if c != privileged]
    if not priv:
        return None
    priv_n, priv_s = priv[0]
    other_n, other_s = sum(n for n, _ in others), sum(s for _, s in others)
    if priv_n == 0 or other_n == 0 or priv_s == 0:
        return None
    return float(Fraction(other_s, other_n) / Fraction(priv_s, priv_n))
