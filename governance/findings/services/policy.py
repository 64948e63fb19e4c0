"""The severity policy: reading the current version, and versioning it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import transaction

from governance.accounts.roles import Role
from governance.core.errors import InvalidInput
from governance.findings.choices import Severity
from governance.findings.models import FindingPolicy
from governance.findings.policy import ensure_default_policy
from governance.ledger.services import ledger_append


def current_policy() -> FindingPolicy:
    policy = FindingPolicy.objects.filter(is_current=True).first()
    if policy is None:
        # A database flushed after migrating (tests) has lost the shipped version.
        ensure_default_policy()
        policy = FindingPolicy.objects.get(is_current=True)
    return policy


def _clean(due_days: Mapping[str, Any], acceptance_roles: Mapping[str, Sequence[str]]) -> None:
    for severity in Severity.values:
        days = due_days.get(severity)
        if not isinstance(days, int) or isinstance(days, bool) or days < 1:
            raise InvalidInput(
                f"Days to remediate a {severity} finding must be a whole number of at least 1.",
                fields={"due_days": f"{severity}: invalid"},
            )
        roles = list(acceptance_roles.get(severity) or [])
        if not roles or any(role not in Role.values for role in roles):
            raise InvalidInput(
                f"Accepting a {severity} finding's risk needs at least one known role.",
                fields={"acceptance_roles": f"{severity}: invalid"},
            )


def finding_policy_create_version(
    *,
    due_days: Mapping[str, int],
    acceptance_roles: Mapping[str, Sequence[str]],
    max_acceptance_days: int,
    actor: Any,
    notes: str = "",
) -> FindingPolicy:
    """Make a new current severity policy; existing findings keep the version that dated them."""
    _clean(due_days, acceptance_roles)
    if max_acceptance_days < 1:
        raise InvalidInput(
            "A risk acceptance must be allowed to run at least one day.",
            fields={"max_acceptance_days": "at least 1"},
        )
    with transaction.atomic():
        previous = FindingPolicy.objects.select_for_update().filter(is_current=True).first()
        latest = FindingPolicy.objects.order_by("-version").first()
        if previous is not None:
            FindingPolicy.objects.filter(pk=previous.pk).update(is_current=False)
        policy = FindingPolicy.objects.create(
            version=(latest.version + 1) if latest else 1,
            is_current=True,
            due_days={s: due_days[s] for s in Severity.values},
            acceptance_roles={s: list(acceptance_roles[s]) for s in Severity.values},
            max_acceptance_days=max_acceptance_days,
            notes=notes,
            created_by=actor if getattr(actor, "is_authenticated", False) else None,
        )
        ledger_append(
            actor=actor,
            action="finding_policy.versioned",
            subject=policy,
            data={
                "version": policy.version,
                "due_days": policy.due_days,
                "acceptance_roles": policy.acceptance_roles,
                "max_acceptance_days": max_acceptance_days,
                "replaces": str(previous.pk) if previous else None,
            },
        )
    return policy
