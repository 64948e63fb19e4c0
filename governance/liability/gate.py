"""The liability room's deployment-gate check (registered from `apps.py`)."""

from __future__ import annotations

from typing import Any

NO_OWNER = "no accepted accountable owner"


def accountable_owner_check(deployment: Any) -> list[str]:
    """Closed while nobody who still qualifies has accepted accountability (one query)."""
    from governance.liability.selectors import accountable_owner

    return [] if accountable_owner(deployment) is not None else [NO_OWNER]
