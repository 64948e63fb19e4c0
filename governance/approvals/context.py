"""What the approvals room reads from the rooms it builds on, in one place.

With `facts` (one gate evaluation), each fact is read once and shared with the gate checks
that need it too.
"""

from __future__ import annotations

from typing import Any

from governance.approvals.gate_checks import GateFacts, facts_for


def current_assessment(deployment: Any, facts: GateFacts | None = None) -> Any:
    from governance.risk.checks import CURRENT_ASSESSMENT
    from governance.risk.selectors import current_assessment as risk_current

    return facts_for(deployment, facts).memo(CURRENT_ASSESSMENT, lambda: risk_current(deployment))


def accountable_owner(deployment: Any, facts: GateFacts | None = None) -> Any:
    from governance.liability.gate import ACCOUNTABLE_OWNER
    from governance.liability.selectors import accountable_owner as owner_of

    return facts_for(deployment, facts).memo(ACCOUNTABLE_OWNER, lambda: owner_of(deployment))
