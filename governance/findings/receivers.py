"""Reactions of the findings room to other rooms' signals (connected in `apps.py`)."""

from __future__ import annotations

from typing import Any


def on_user_access_reduced(
    sender: Any,
    *,
    user: Any,
    actor: Any,
    deactivated: bool = False,
    successor: Any = None,
    **kwargs: Any,
) -> None:
    """A deactivated owner's findings pass to the successor chosen in the same step.

    Without a successor they stay with the inactive owner and show as needing a new owner
    (`selectors.needs_owner_q`) on the overview and the findings list. Runs inside the
    accounts transaction, so the hand-over commits or rolls back with the deactivation.
    """
    if not deactivated or successor is None:
        return
    from governance.findings.services import findings_hand_over

    findings_hand_over(from_user=user, to_user=successor, actor=actor)
