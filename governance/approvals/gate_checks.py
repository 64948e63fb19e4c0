"""The registry of deployment-gate checks.

The gate (approvals room) asks every registered check whether a deployment may go live.
A check takes the deployment (with `model_version__system` loaded) and the evaluation's
`GateFacts`, and returns the reasons, in plain words, why it may not; an empty list means
the check passes. Rooms register their checks from their AppConfig.ready(), so the gate
grows without importing them:

    @register_gate_check("bias_audit", page="bias:deployment_audits")
    def bias_audit_fresh(deployment, facts=None) -> list[str]: ...

`page` names the URL (taking the deployment's `pk`) where what the check misses is put
right; approval requests that are refused for it link there.

Each check must run a constant number of queries, whatever the data size, and read shared
facts (the current assessment, the accountable owner, …) through `facts.memo` so that one
gate answer reads each of them once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")


class GateFacts:
    """What several checks of one gate evaluation need, each read at most once."""

    def __init__(self, deployment: Any) -> None:
        self.deployment = deployment
        self._memo: dict[str, Any] = {}

    def memo(self, key: str, compute: Callable[[], T]) -> T:
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]


def facts_for(deployment: Any, facts: GateFacts | None) -> GateFacts:
    return facts if facts is not None else GateFacts(deployment)


GateCheck = Callable[[Any, GateFacts], list[str]]

_checks: dict[str, GateCheck] = {}
_pages: dict[str, str] = {}


CheckT = TypeVar("CheckT", bound=GateCheck)


def register_gate_check(name: str, *, page: str = "") -> Callable[[CheckT], CheckT]:
    def decorator(check: CheckT) -> CheckT:
        _checks[name] = check
        if page:
            _pages[name] = page
        return check

    return decorator


def registered_checks() -> dict[str, GateCheck]:
    return dict(_checks)


def check_page(name: str) -> str:
    """The URL name of the page where what the named check misses is put right, or ""."""
    return _pages.get(name, "")


def failing_reasons(deployment: Any, facts: GateFacts | None = None) -> list[str]:
    facts = facts_for(deployment, facts)
    reasons: list[str] = []
    for check in _checks.values():
        reasons.extend(check(deployment, facts))
    return reasons
