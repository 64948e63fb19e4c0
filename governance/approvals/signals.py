"""Reactions of the approvals room to changes elsewhere, inside the cause's transaction."""

from __future__ import annotations

from typing import Any

from governance.risk.tiers import tier_rank


def on_material_change(sender: Any, *, deployment: Any, actor: Any, **kwargs: Any) -> None:
    from governance.approvals.services import approvals_invalidate

    approvals_invalidate(
        deployment=deployment,
        cause="material change: the deployment's configuration fingerprint changed",
        actor=actor,
    )


def on_assessment_submitted(
    sender: Any, *, assessment: Any, previous: Any, actor: Any, **kwargs: Any
) -> None:
    from governance.approvals.services import approvals_invalidate

    if previous is None or tier_rank(assessment.tier) <= tier_rank(previous.tier):
        return
    approvals_invalidate(
        deployment=assessment.deployment,
        cause=f"risk tier rose from {previous.tier} to {assessment.tier}",
        actor=actor,
    )


def on_owner_changed(
    sender: Any,
    *,
    deployment: Any,
    previous: Any,
    current: Any,
    actor: Any,
    cause: str = "",
    **kwargs: Any,
) -> None:
    from governance.approvals.services import approvals_invalidate

    if previous is None:
        return  # a first owner changes nothing that was approved
    who = current.get_username() if current is not None else "nobody"
    approvals_invalidate(
        deployment=deployment,
        cause=f"accountable owner changed from {previous.get_username()} to {who}"
        + (f" ({cause})" if cause else ""),
        actor=actor,
    )
