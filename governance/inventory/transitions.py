"""The deployment lifecycle as data.

`manual` transitions may be asked for by a person (page or API) holding the transition
permission; the others happen only inside workflow services (an approval request moves a
deployment to in_review, the last sign-off to approved, an invalidation back to draft), so
nobody can set "approved" by hand.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from governance.inventory.choices import DeploymentStatus as S

if TYPE_CHECKING:
    from governance.inventory.models import Deployment


@dataclass(frozen=True)
class Transition:
    manual: bool
    description: str
    action: str = ""  # what a person picks in the status menu ("Go live"); manual ones only
    irreversible: bool = False  # the page asks for an explicit confirmation


ALLOWED_TRANSITIONS: dict[tuple[str, str], Transition] = {
    (S.DRAFT, S.IN_REVIEW): Transition(False, "approval requested"),
    (S.IN_REVIEW, S.APPROVED): Transition(False, "last required sign-off given"),
    (S.IN_REVIEW, S.DRAFT): Transition(
        False, "request rejected, changes requested, withdrawn or invalidated"
    ),
    (S.APPROVED, S.DRAFT): Transition(False, "approval invalidated or expired"),
    (S.APPROVED, S.IN_REVIEW): Transition(False, "approval requested again (it no longer held)"),
    (S.APPROVED, S.ACTIVE): Transition(True, "went live", "Go live"),
    (S.ACTIVE, S.SUSPENDED): Transition(True, "suspended", "Suspend"),
    (S.SUSPENDED, S.ACTIVE): Transition(True, "resumed", "Resume"),
    (S.SUSPENDED, S.DRAFT): Transition(True, "returned for rework", "Return to draft for rework"),
    (S.DRAFT, S.RETIRED): Transition(True, "retired", "Retire", irreversible=True),
    (S.APPROVED, S.RETIRED): Transition(True, "retired", "Retire", irreversible=True),
    (S.ACTIVE, S.RETIRED): Transition(True, "retired", "Retire", irreversible=True),
    (S.SUSPENDED, S.RETIRED): Transition(True, "retired", "Retire", irreversible=True),
}

# While a deployment is in one of these states its material configuration may change (the
# change invalidates assessments and approvals). Live or retired deployments must be
# suspended and reworked, or replaced by a new deployment, so what runs always matches what
# was approved.
MATERIAL_EDIT_STATES = frozenset({S.DRAFT, S.IN_REVIEW, S.APPROVED})

# Other rooms add conditions on transitions (e.g. going live needs an open gate). A guard
# returns a reason in plain words to refuse, or None to allow.
TransitionGuard = Callable[["Deployment", str], str | None]
_guards: list[TransitionGuard] = []


def register_guard(guard: TransitionGuard) -> TransitionGuard:
    if guard not in _guards:
        _guards.append(guard)
    return guard


def refusals(deployment: Deployment, to_status: str) -> list[str]:
    return [reason for guard in _guards if (reason := guard(deployment, to_status))]


def allowed_targets(from_status: str, *, manual_only: bool = True) -> list[str]:
    return [
        to
        for (frm, to), transition in ALLOWED_TRANSITIONS.items()
        if frm == from_status and (transition.manual or not manual_only)
    ]


@dataclass(frozen=True)
class MenuEntry:
    to: str
    label: str
    irreversible: bool
    refused: str = ""  # why a guard refuses it now (shown, not offered)


def status_menu(deployment: Deployment) -> list[MenuEntry]:
    """The manual transitions from the deployment's status, each with its guards' verdict."""
    entries = []
    for to in allowed_targets(deployment.status):
        transition = ALLOWED_TRANSITIONS[(deployment.status, to)]
        label = f"{transition.action} (becomes {S(to).label.lower()})"
        refused = "; ".join(refusals(deployment, to))
        entries.append(MenuEntry(to, label, transition.irreversible, refused))
    return entries
