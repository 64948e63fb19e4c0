"""What a material change of a deployment would void, in plain words.

A material change invalidates approvals and turns the risk assessment stale (the rooms react
to `deployment_material_change`). The person making it is told first, and the API answers
with the same list: rooms register a source that names what of theirs the change voids, so
the inventory need not know them. Each source runs a constant number of queries.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

MaterialEffectSource = Callable[[Any], list[str]]

_sources: dict[str, MaterialEffectSource] = {}


def register_material_effect(name: str) -> Callable[[MaterialEffectSource], MaterialEffectSource]:
    def decorator(source: MaterialEffectSource) -> MaterialEffectSource:
        _sources[name] = source
        return source

    return decorator


def material_effects(deployment: Any) -> list[str]:
    return [item for _, source in sorted(_sources.items()) for item in source(deployment)]
