"""The registry of deployment-gate checks.

The gate (approvals room) asks every registered check whether a deployment may go live.
A check takes the deployment (with `model_version__system` loaded) and returns the reasons,
in plain words, why it may not; an empty list means the check passes. Rooms register their
checks from their AppConfig.ready(), so the gate grows without importing them:

    @register_gate_check("bias_audit")
    def bias_audit_fresh(deployment) -> list[str]: ...

Each check must run a constant number of queries, whatever the data size.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

GateCheck = Callable[[Any], list[str]]

_checks: dict[str, GateCheck] = {}


def register_gate_check(name: str) -> Callable[[GateCheck], GateCheck]:
    def decorator(check: GateCheck) -> GateCheck:
        _checks[name] = check
        return check

    return decorator


def registered_checks() -> dict[str, GateCheck]:
    return dict(_checks)


def failing_reasons(deployment: Any) -> list[str]:
    reasons: list[str] = []
    for check in _checks.values():
        reasons.extend(check(deployment))
    return reasons
