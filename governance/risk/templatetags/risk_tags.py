from __future__ import annotations

from django import template

from governance.risk.tiers import EUClass, Tier

register = template.Library()

_EU_LABELS = dict(EUClass.choices)
_TIER_LABELS = dict(Tier.choices)


@register.filter
def eu_class_label(value: str) -> str:
    return _EU_LABELS.get(value, "not classified") if value else "not classified"


@register.filter
def tier_label(value: str) -> str:
    return _TIER_LABELS.get(value, value or "—")


@register.inclusion_tag("risk/_tier_badge.html")
def tier_badge(tier: str) -> dict[str, str]:
    return {"tier": tier or "", "label": _TIER_LABELS.get(tier, "Not assessed")}
