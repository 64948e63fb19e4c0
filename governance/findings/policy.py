"""The shipped severity policy (version 1) and how a finding reads it.

Days to remediate: critical 7, high 30, medium 90, low 180. Risk acceptance: a compliance
officer for low, medium and high; a compliance officer and an executive for critical. An
acceptance runs at most a year. Admins version the policy from there
(`services.finding_policy_create_version`); a finding keeps the version that dated it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from governance.findings.choices import Severity

DEFAULT_DUE_DAYS: dict[str, int] = {
    Severity.CRITICAL: 7,
    Severity.HIGH: 30,
    Severity.MEDIUM: 90,
    Severity.LOW: 180,
}
DEFAULT_ACCEPTANCE_ROLES: dict[str, list[str]] = {
    Severity.LOW: ["compliance_officer"],
    Severity.MEDIUM: ["compliance_officer"],
    Severity.HIGH: ["compliance_officer"],
    Severity.CRITICAL: ["compliance_officer", "executive"],
}
DEFAULT_MAX_ACCEPTANCE_DAYS = 365


def ensure_default_policy(policy_model: Any = None) -> None:
    """Create version 1 when there is no policy yet (idempotent; the migration passes its model)."""
    if policy_model is None:
        from governance.findings.models import FindingPolicy

        policy_model = FindingPolicy
    if policy_model.objects.exists():
        return
    policy_model.objects.create(
        version=1,
        is_current=True,
        due_days={str(k): v for k, v in DEFAULT_DUE_DAYS.items()},
        acceptance_roles={str(k): v for k, v in DEFAULT_ACCEPTANCE_ROLES.items()},
        max_acceptance_days=DEFAULT_MAX_ACCEPTANCE_DAYS,
        notes="Shipped default",
    )


def due_date_for(policy: Any, severity: str, raised_on: dt.date) -> dt.date:
    return raised_on + dt.timedelta(days=int(policy.due_days[severity]))


def acceptance_roles_for(policy: Any, severity: str) -> list[str]:
    return list(policy.acceptance_roles[severity])
