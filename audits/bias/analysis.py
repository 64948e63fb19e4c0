"""From category counts to what an audit stores: per-category figures and per-dimension summaries.

Two entry points share one evaluation: `analyse_counts` after reading a file, and
`analyse_stored` when a draft's exclusions or privileged groups change (the counts are
already stored, so the file is not read again).
"""

from __future__ import annotations

import platform
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from audits.bias import stats
from audits.bias.engine import Counts
from audits.bias.stats import CategoryFigures

ENGINE_VERSION = "1"


@dataclass
class DimensionInput:
    dimension: str
    is_intersection: bool
    unknown: int
    counts: list[tuple[str, int, int]]
    # Classification audits: category → (TPR, FPR).
    rates: dict[str, tuple[float | None, float | None]] = field(default_factory=dict)


def inputs_from_counts(counts: Counts) -> list[DimensionInput]:
    result = []
    for dim in counts.dimensions:
        rates = {
            c.category: stats.classification_rates(
                c.positives or 0, c.true_positives or 0, c.negatives or 0, c.false_positives or 0
            )
            for c in dim.categories
            if c.positives is not None
        }
        result.append(
            DimensionInput(
                dimension=dim.dimension,
                is_intersection=dim.is_intersection,
                unknown=dim.unknown,
                counts=[(c.category, c.n, c.selected) for c in dim.categories],
                rates=rates,
            )
        )
    return result


def inputs_from_stored(
    results: Iterable[Any], summaries: Iterable[Mapping[str, Any]]
) -> list[DimensionInput]:
    """Rebuild the inputs from stored result rows (ordered by position) and summaries."""
    by_dimension: dict[str, list[Any]] = {}
    for row in results:
        by_dimension.setdefault(row.dimension, []).append(row)
    inputs = []
    for summary in summaries:
        rows = sorted(by_dimension.get(summary["dimension"], []), key=lambda r: r.position)
        inputs.append(
            DimensionInput(
                dimension=summary["dimension"],
                is_intersection=summary["is_intersection"],
                unknown=summary["unknown"],
                counts=[(r.category, r.n, r.selected) for r in rows],
                rates={
                    r.category: (r.tpr, r.fpr)
                    for r in rows
                    if r.tpr is not None or r.fpr is not None
                },
            )
        )
    return inputs


def analyse(
    inputs: list[DimensionInput],
    *,
    total: int,
    exclusions: Mapping[str, Mapping[str, str]],
    privileged: Mapping[str, str],
    classification: bool,
) -> tuple[list[CategoryFigures], list[dict[str, Any]]]:
    """Every category's figures and one summary per dimension (intersection last)."""
    figures: list[CategoryFigures] = []
    summaries: list[dict[str, Any]] = []
    for dim in inputs:
        rows = stats.evaluate(
            dimension=dim.dimension,
            is_intersection=dim.is_intersection,
            counts=dim.counts,
            total=total,
            exclusions=exclusions.get(dim.dimension, {}),
        )
        for row in rows:
            row.tpr, row.fpr = dim.rates.get(row.category, (None, None))
            # Positions run across the whole audit, so results sort by dimension, then category.
            row.position = len(figures)
            figures.append(row)
        summaries.append(_summary(dim, rows, privileged.get(dim.dimension), classification))
    return figures, summaries


def _summary(
    dim: DimensionInput,
    rows: list[CategoryFigures],
    privileged: str | None,
    classification: bool,
) -> dict[str, Any]:
    reference = next((r.category for r in rows if r.is_reference), None)
    # Fairness metrics compare every known category with people in it, as Fairlearn does
    # with the rows whose category is known (exclusions are an LL144 notion, not theirs).
    populated = [r for r in rows if r.n > 0]
    metrics: dict[str, Any] = stats.demographic_parity([r.rate for r in populated])
    if classification:
        metrics.update(stats.equalized_odds([r.tpr for r in populated], [r.fpr for r in populated]))
    if privileged:
        metrics["privileged"] = privileged
        metrics["disparate_impact"] = stats.disparate_impact(dim.counts, privileged)
    return {
        "dimension": dim.dimension,
        "is_intersection": dim.is_intersection,
        "unknown": dim.unknown,
        "categories": len(rows),
        "flagged": sum(1 for r in rows if r.flagged),
        "excluded": sum(1 for r in rows if r.excluded),
        "reference": reference,
        "metrics": metrics,
    }


def library_versions() -> dict[str, str]:
    import numpy
    import pyarrow
    import scipy

    return {
        "engine": ENGINE_VERSION,
        "python": platform.python_version(),
        "pyarrow": pyarrow.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
    }
