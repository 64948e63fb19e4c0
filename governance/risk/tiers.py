"""Risk tiers: the one scale every downstream decision reads.

A deployment's tier is the higher of its impact level (I-IV from the scored methodology) and
the floor its EU AI Act class imposes: high-risk systems are at least tier III, and a
prohibited practice puts the deployment in tier "blocked", which nothing can approve.
"""

from __future__ import annotations

from django.db import models


class Tier(models.TextChoices):
    I = "I", "Tier I"  # noqa: E741 - the regulatory name of the level
    II = "II", "Tier II"
    III = "III", "Tier III"
    IV = "IV", "Tier IV"
    BLOCKED = "blocked", "Blocked (prohibited practice)"


class EUClass(models.TextChoices):
    """Risk classes of Regulation (EU) 2024/1689."""

    PROHIBITED = "prohibited", "Prohibited practice (Art 5)"
    HIGH = "high", "High-risk (Art 6)"
    LIMITED = "limited", "Limited risk: transparency duties (Art 50)"
    MINIMAL = "minimal", "Minimal risk"


_RANK = {Tier.I: 1, Tier.II: 2, Tier.III: 3, Tier.IV: 4, Tier.BLOCKED: 5}

# The lowest tier an EU class allows; classes without a floor leave the impact level alone.
EU_CLASS_FLOOR: dict[str, Tier] = {EUClass.HIGH: Tier.III, EUClass.PROHIBITED: Tier.BLOCKED}

# Impact levels a methodology may use: the tiers below "blocked".
IMPACT_LEVELS = (Tier.I, Tier.II, Tier.III, Tier.IV)
IMPACT_LEVEL_CHOICES = [(t.value, f"Level {t.value}") for t in IMPACT_LEVELS]


def tier_rank(tier: str) -> int:
    """Order of tiers: I < II < III < IV < blocked. Unknown values raise ValueError."""
    try:
        return _RANK[Tier(tier)]
    except ValueError:
        raise ValueError(f"unknown tier {tier!r}") from None


def tier_for(level: str, eu_class: str) -> Tier:
    """The higher of the impact level and the EU class floor."""
    level_tier = Tier(level)
    floor = EU_CLASS_FLOOR.get(eu_class)
    if floor is not None and tier_rank(floor) > tier_rank(level_tier):
        return floor
    return level_tier
