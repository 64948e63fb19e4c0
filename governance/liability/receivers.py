"""Reactions of the liability room to other rooms' signals (connected in `apps.py`)."""

from __future__ import annotations

from typing import Any


def on_user_access_reduced(
    sender: Any,
    *,
    user: Any,
    actor: Any,
    removed_roles: frozenset[str] = frozenset(),
    deactivated: bool = False,
    successor: Any = None,
    **kwargs: Any,
) -> None:
    # Runs inside the accounts transaction: the orphaning commits or rolls back with it.
    from governance.liability.services import offer_orphans_to, react_to_access_reduced

    orphaned = react_to_access_reduced(
        user=user, actor=actor, deactivated=deactivated, removed_roles=removed_roles
    )
    if orphaned and successor is not None:
        offer_orphans_to(ownerships=orphaned, successor=successor, actor=actor)
