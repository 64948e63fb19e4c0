"""Reactions to other rooms' signals; each runs inside the sender's transaction."""

from __future__ import annotations

from typing import Any

from governance.risk.services import risk_assessment_mark_stale


def on_material_change(
    sender: Any, *, deployment: Any, actor: Any, before: str, after: str, **kwargs: Any
) -> None:
    """A new fingerprint makes the current assessment stale: a new one is needed for approval."""
    risk_assessment_mark_stale(deployment=deployment, before=before, after=after, actor=actor)
