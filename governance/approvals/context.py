"""What the approvals room reads from the rooms it builds on, in one place."""

from __future__ import annotations

from typing import Any


def current_assessment(deployment: Any) -> Any:
    from governance.risk.selectors import current_assessment as risk_current

    return risk_current(deployment)


def accountable_owner(deployment: Any) -> Any:
    from governance.liability.selectors import accountable_owner as owner_of

    return owner_of(deployment)
