"""Filters for report templates, which render from evidence data (plain JSON values)."""

from __future__ import annotations

import datetime as dt

from django import template

register = template.Library()


@register.filter
def utc(value: str | None) -> str:
    """A canonical timestamp (2026-11-28T16:00:05.123456Z) as '2026-11-28 16:00:05 UTC'."""
    if not value:
        return "—"
    try:
        moment = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except (TypeError, ValueError):
        return str(value)
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@register.filter
def yes_no(value: object) -> str:
    return "yes" if value else "no"


@register.filter
def annex(numbers: list[int]) -> str:
    return ", ".join(f"§{n}" for n in numbers) if numbers else "—"
