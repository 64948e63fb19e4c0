"""Drift from binned distributions: the Population Stability Index and Jensen–Shannon distance.

PSI = Σᵢ (cᵢ − rᵢ) · ln(cᵢ / rᵢ) over bin proportions r (reference) and c (current). Pure
functions: the service stores what they return together with the inputs and ε.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from governance.monitoring.rules import PSI_BANDS, PSI_EPSILON


@dataclass(frozen=True)
class DriftFigures:
    psi: float
    js_distance: float
    band: str
    reference_proportions: tuple[float, ...]
    current_proportions: tuple[float, ...]


def proportions(counts: Sequence[int | float], *, epsilon: float = PSI_EPSILON) -> list[float]:
    """Counts to proportions; empty bins get ε, then the whole is renormalised to sum to 1."""
    total = float(sum(counts))
    raw = [float(c) / total for c in counts]
    smoothed = [p if p > 0 else epsilon for p in raw]
    norm = sum(smoothed)
    return [p / norm for p in smoothed]


def psi(reference: Sequence[float], current: Sequence[float]) -> float:
    return math.fsum((c - r) * math.log(c / r) for r, c in zip(reference, current, strict=True))


def js_distance(reference: Sequence[float], current: Sequence[float]) -> float:
    # scipy is imported when drift is computed, not when a web process starts.
    from scipy.spatial.distance import jensenshannon

    return float(jensenshannon(reference, current, base=2))


def band_of(value: float) -> str:
    # Rounded so that float noise (0.09999999999998) does not move a value across an edge.
    rounded = Decimal(str(round(value, 10)))
    for lower, band in PSI_BANDS:
        if rounded >= lower:
            return band
    return PSI_BANDS[-1][1]


def drift_figures(
    reference_counts: Sequence[int | float], current_counts: Sequence[int | float]
) -> DriftFigures:
    ref = proportions(reference_counts)
    cur = proportions(current_counts)
    value = psi(ref, cur)
    return DriftFigures(
        psi=value,
        js_distance=js_distance(ref, cur),
        band=band_of(value),
        reference_proportions=tuple(ref),
        current_proportions=tuple(cur),
    )
