"""What each role may do: the one place pages, the API, services and commands ask.

Roles grant permissions; a permission names an action on a kind of record. Object rules
(for example "the requester cannot sign their own request") live in the services that
enforce them, and are stated there in plain words.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from rest_framework.permissions import SAFE_METHODS, BasePermission

from governance.accounts.roles import Role
from governance.accounts.scopes import READ_ONLY_SCOPES, Scope, accepted_scopes
from governance.core.errors import PermissionRefused

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from governance.accounts.models import User


class Perm(StrEnum):
    VIEW = "view"  # read every record of the governance system
    INVENTORY_EDIT = "inventory.edit"
    DEPLOYMENT_TRANSITION = "deployment.transition"
    RISK_ASSESS = "risk.assess"
    RISK_REGISTER_EDIT = "risk.register_edit"
    RISK_ACCEPT_HIGH = "risk.accept_high"
    METHODOLOGY_LOAD = "risk.methodology_load"
    APPROVAL_REQUEST = "approvals.request"
    APPROVAL_SIGN = "approvals.sign"
    POLICY_EDIT = "approvals.policy_edit"
    BIAS_AUDIT_EDIT = "bias.edit"
    LIABILITY_EDIT = "liability.edit"
    REPORT_REQUEST = "reports.request"
    EXPORT_CREATE = "reports.export"
    USER_MANAGE = "accounts.manage"
    LEDGER_VERIFY = "ledger.verify"
    MONITORING_PLAN_EDIT = "monitoring.plan_edit"
    OBSERVATIONS_WRITE = "monitoring.observations_write"
    INCIDENT_REPORT = "monitoring.incident_report"
    INCIDENT_MANAGE = "monitoring.incident_manage"
    # Findings. Owners work on their own findings whatever their role (an object rule in the
    # findings services); FINDING_MANAGE works on anyone's.
    FINDING_CREATE = "findings.create"
    FINDING_WORK = "findings.work"
    FINDING_MANAGE = "findings.manage"
    FINDING_VERIFY = "findings.verify"
    FINDING_ACCEPT_RISK = "findings.accept_risk"
    # Obligations: evidence documents are kept by those who write the records they prove;
    # only compliance officers sign that a requirement is met or does not apply.
    EVIDENCE_UPLOAD = "obligations.evidence_upload"
    OBLIGATION_ASSERT = "obligations.assert"


# Anyone who signs may also report an incident they see: reporting must never wait for a role.
_SIGNERS = {
    Perm.VIEW,
    Perm.APPROVAL_SIGN,
    Perm.REPORT_REQUEST,
    Perm.FINDING_WORK,
    Perm.INCIDENT_REPORT,
}

ROLE_PERMISSIONS: dict[str, frozenset[Perm]] = {
    Role.REQUESTER: frozenset(
        {
            Perm.VIEW,
            Perm.INVENTORY_EDIT,
            Perm.DEPLOYMENT_TRANSITION,
            Perm.RISK_ASSESS,
            Perm.RISK_REGISTER_EDIT,
            Perm.APPROVAL_REQUEST,
            Perm.BIAS_AUDIT_EDIT,
            Perm.LIABILITY_EDIT,
            Perm.REPORT_REQUEST,
            Perm.MONITORING_PLAN_EDIT,
            Perm.OBSERVATIONS_WRITE,
            Perm.INCIDENT_REPORT,
            Perm.FINDING_CREATE,
            Perm.FINDING_WORK,
            Perm.EVIDENCE_UPLOAD,
        }
    ),
    Role.REVIEWER: frozenset(
        _SIGNERS | {Perm.RISK_REGISTER_EDIT, Perm.FINDING_CREATE, Perm.FINDING_VERIFY}
    ),
    Role.COMPLIANCE_OFFICER: frozenset(
        _SIGNERS
        | {
            Perm.RISK_REGISTER_EDIT,
            Perm.BIAS_AUDIT_EDIT,
            Perm.LIABILITY_EDIT,
            Perm.DEPLOYMENT_TRANSITION,
            Perm.EXPORT_CREATE,
            Perm.LEDGER_VERIFY,
            Perm.MONITORING_PLAN_EDIT,
            Perm.INCIDENT_MANAGE,
            Perm.FINDING_CREATE,
            Perm.FINDING_MANAGE,
            Perm.FINDING_VERIFY,
            Perm.FINDING_ACCEPT_RISK,
            Perm.EVIDENCE_UPLOAD,
            Perm.OBLIGATION_ASSERT,
        }
    ),
    Role.LEGAL: frozenset(
        _SIGNERS | {Perm.LIABILITY_EDIT, Perm.FINDING_CREATE, Perm.EVIDENCE_UPLOAD}
    ),
    Role.EXECUTIVE: frozenset(_SIGNERS | {Perm.RISK_ACCEPT_HIGH, Perm.FINDING_ACCEPT_RISK}),
    # Auditors read everything and change nothing.
    Role.AUDITOR: frozenset({Perm.VIEW}),
    Role.ADMIN: frozenset(Perm),
}


# What each permission lets a person do, in the words the profile page shows.
PERM_DESCRIPTIONS: dict[Perm, str] = {
    Perm.MONITORING_PLAN_EDIT: "Write deployments' post-market monitoring plans",
    Perm.OBSERVATIONS_WRITE: "Send monitoring values and drift distributions",
    Perm.INCIDENT_REPORT: "Report incidents",
    Perm.INCIDENT_MANAGE: "Investigate incidents, report them to authorities, suspend or roll "
    "back deployments",
    Perm.VIEW: "See every record of the governance system",
    Perm.INVENTORY_EDIT: "Register and edit AI systems, model versions, datasets and deployments",
    Perm.DEPLOYMENT_TRANSITION: "Move deployments through their lifecycle",
    Perm.RISK_ASSESS: "Assess the risk of deployments",
    Perm.RISK_REGISTER_EDIT: "Add and edit entries of the risk register",
    Perm.RISK_ACCEPT_HIGH: "Accept high residual risks",
    Perm.METHODOLOGY_LOAD: "Load risk scoring methodologies",
    Perm.APPROVAL_REQUEST: "Request approval of deployments",
    Perm.APPROVAL_SIGN: "Sign approval requests for the roles you hold",
    Perm.POLICY_EDIT: "Change approval policies",
    Perm.BIAS_AUDIT_EDIT: "Upload and finalise bias audits",
    Perm.LIABILITY_EDIT: "Record parties, contracts and who is accountable",
    Perm.REPORT_REQUEST: "Request signed PDF reports",
    Perm.EXPORT_CREATE: "Export evidence bundles for regulators",
    Perm.USER_MANAGE: "Manage people and their roles",
    Perm.LEDGER_VERIFY: "Check the audit log for tampering",
    Perm.FINDING_CREATE: "Raise findings",
    Perm.FINDING_WORK: "Work on the findings you own",
    Perm.FINDING_MANAGE: "Work on anyone's findings",
    Perm.FINDING_VERIFY: "Verify that findings were fixed",
    Perm.FINDING_ACCEPT_RISK: "Sign risk acceptances of findings",
    Perm.EVIDENCE_UPLOAD: "Upload evidence documents and link them to requirements",
    Perm.OBLIGATION_ASSERT: "Sign that a requirement is met or does not apply",
}


def role_abilities(roles: Iterable[str]) -> list[tuple[str, list[str]]]:
    """Each role's label with what it lets a person do, in words, for the profile page."""
    held = set(roles)
    return [
        (label, sorted(PERM_DESCRIPTIONS[perm] for perm in ROLE_PERMISSIONS[role]))
        for role, label in Role.choices
        if role in held
    ]


def permissions_of(user: User | AnonymousUser | None) -> frozenset[Perm]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    roles: frozenset[str] = user.roles
    granted: set[Perm] = set()
    for role in roles:
        granted |= ROLE_PERMISSIONS.get(role, frozenset())
    return frozenset(granted)


def can(user: User | AnonymousUser | None, perm: Perm) -> bool:
    return perm in permissions_of(user)


def require(user: User | AnonymousUser | None, perm: Perm) -> None:
    """Raise PermissionRefused unless the user holds a role granting `perm`."""
    if not can(user, perm):
        raise PermissionRefused(f"Your roles do not allow this action ({perm.value}).")


def roles_granting(perm: Perm) -> list[str]:
    return [role for role, perms in ROLE_PERMISSIONS.items() if perm in perms]


class HasPerm(BasePermission):
    """DRF adapter: reads need VIEW; writes need the view's `write_perm` (or `action_perms`).

    Views declare `action_perms = {"transition": Perm.DEPLOYMENT_TRANSITION}` for workflow
    actions and `write_perm` for plain create/update. A view that declares neither is
    read-only for everyone.
    """

    message = "Your roles do not allow this action."

    def has_permission(self, request: Any, view: Any) -> bool:
        action = getattr(view, "action", None)
        action_perms: dict[str, Perm] = getattr(view, "action_perms", {})
        needed: Perm | None
        if action in action_perms:
            needed = action_perms[action]
        elif request.method in SAFE_METHODS:
            needed = Perm.VIEW
        else:
            needed = getattr(view, "write_perm", None)
            if needed is None:
                return False
        allowed = can(request.user, needed)
        if not allowed:
            self.message = f"Your roles do not allow this action ({needed.value})."
        return allowed


def mintable_scopes(user: User | AnonymousUser | None) -> frozenset[str]:
    """The scopes this person may give a token: a token never does more than its owner.

    Someone whose roles only read (an auditor) may give only the read scopes; only people
    who manage accounts may give the SCIM scope, which creates and deactivates people.
    """
    held = permissions_of(user)
    if not held - {Perm.VIEW}:
        return frozenset(READ_ONLY_SCOPES)
    if Perm.USER_MANAGE not in held:
        return frozenset(Scope.values) - {Scope.SCIM}
    return frozenset(Scope.values)


class TokenScopes(BasePermission):
    """DRF adapter: a token-authenticated request needs a scope the view accepts.

    Which scope is declared by the view (`read_scopes`, `required_scope`) with defaults in
    governance/accounts/scopes.py. Requests authenticated by the session (browsers) carry
    no token (`request.auth` is None) and are decided by the roles alone.
    """

    message = "This token does not have the scope this call needs."

    def has_permission(self, request: Any, view: Any) -> bool:
        if request.auth is None:
            return True
        held: frozenset[str] | None = getattr(request.auth, "scope_set", None)
        accepted = accepted_scopes(request.method, view)
        if held is not None and held.intersection(accepted):
            return True
        self.message = (
            f"This token does not have the scope this call needs "
            f"({' or '.join(accepted)}); it has: {', '.join(sorted(held or ())) or 'none'}."
        )
        return False


def perm_required(perm: Perm) -> Any:
    """Page decorator: log in first, then the role check; a refusal is a 403 page."""
    from functools import wraps

    from django.contrib.auth.decorators import login_required
    from django.core.exceptions import PermissionDenied

    def decorator(view: Any) -> Any:
        @login_required
        @wraps(view)
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not can(request.user, perm):
                raise PermissionDenied(f"Your roles do not allow this page ({perm.value}).")
            return view(request, *args, **kwargs)

        wrapped.required_perm = perm  # type: ignore[attr-defined]
        return wrapped

    return decorator
