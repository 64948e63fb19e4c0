"""The liability room's deployment-gate check (registered from `apps.py`)."""

from __future__ import annotations

from typing import Any

from governance.approvals.gate_checks import GateFacts, facts_for

NO_OWNER = "no accepted accountable owner"
ACCOUNTABLE_OWNER = "liability.accountable_owner"


def accountable_owner_check(deployment: Any, facts: GateFacts | None = None) -> list[str]:
    """Closed while nobody who still qualifies has accepted accountability (one query)."""
    from governance.liability.selectors import accountable_owner

    owner = facts_for(deployment, facts).memo(
        ACCOUNTABLE_OWNER, lambda: accountable_owner(deployment)
    )
    return [] if owner is not None else [NO_OWNER]
