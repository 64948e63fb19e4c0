"""Reads for pages, the API, the gate and other rooms, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from governance.accounts.models import RoleGrant, User
from governance.accounts.permissions import Perm, can
from governance.core.canonical import format_timestamp
from governance.inventory.choices import Sourcing
from governance.inventory.models import Deployment
from governance.ledger.models import LedgerEvent
from governance.liability import conf
from governance.liability.choices import (
    EXTERNAL_KINDS,
    PROVIDER_OBLIGATIONS,
    RACI_LETTER,
    AIActRole,
    OfferStatus,
    Raci,
)
from governance.liability.models import (
    AccountabilityAssignment,
    AIActRoleShift,
    Contract,
    Ownership,
    OwnershipOffer,
    Party,
)

RACI_ORDER = {value: index for index, value in enumerate(Raci.values)}
LIABILITY_ACTIONS = ("ownership.", "assignment.", "ai_act.")


def _as_uuid(value: Any) -> uuid.UUID:
    return value if isinstance(value, uuid.UUID) else uuid.UUID(str(value))


# --- Accountable owner ------------------------------------------------------------------


def _qualifying_grant() -> Exists:
    return Exists(
        RoleGrant.objects.filter(user=OuterRef("user_id"), role__in=conf.qualifying_roles())
    )


def open_ownership_name() -> Coalesce:
    """For annotating deployments: the signed name of the accountable owner as
    `accountable_owners` finds them, "" when orphaned (so orphans sort first everywhere)."""
    names = (
        Ownership.objects.filter(deployment=OuterRef("pk"), ended_at__isnull=True)
        .filter(_qualifying_grant(), user__is_active=True)
        .values("printed_name")[:1]
    )
    return Coalesce(Subquery(names), Value(""))


def accountable_owners(deployment_ids: Iterable[Any]) -> dict[uuid.UUID, User | None]:
    """The accepted, active, still-qualified owner of each deployment (None: orphaned).

    One query whatever the number of deployments.
    """
    ids = [_as_uuid(pk) for pk in deployment_ids]
    result: dict[uuid.UUID, User | None] = dict.fromkeys(ids, None)
    if not ids:
        return result
    rows = (
        Ownership.objects.filter(deployment_id__in=ids, ended_at__isnull=True)
        .filter(_qualifying_grant(), user__is_active=True)
        .select_related("user")
    )
    for ownership in rows:
        result[ownership.deployment_id] = ownership.user
    return result


def accountable_owner(deployment: Any) -> User | None:
    """The person who accepted accountability, is active and holds a qualifying role, or None."""
    return accountable_owners([deployment.pk])[_as_uuid(deployment.pk)]


def current_ownership(deployment: Any) -> Ownership | None:
    """The open ownership record, even when its holder no longer qualifies (to show why)."""
    return (
        Ownership.objects.filter(deployment=deployment, ended_at__isnull=True)
        .select_related("user", "offer__offered_by")
        .first()
    )


def orphaned(queryset: QuerySet[Deployment]) -> QuerySet[Deployment]:
    """Deployments without an accepted accountable owner who still qualifies."""
    good_owner = Ownership.objects.filter(
        deployment=OuterRef("pk"), ended_at__isnull=True, user__is_active=True
    ).filter(_qualifying_grant())
    return queryset.filter(~Exists(good_owner))


# --- Assignments ------------------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveAssignment:
    assignment: AccountabilityAssignment
    inherited: bool

    @property
    def letter(self) -> str:
        return RACI_LETTER[self.assignment.raci]  # type: ignore[index]


def _current(on: dt.date) -> Q:
    return Q(ended_at__isnull=True, effective_from__lte=on) & (
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    )


def effective_assignments_for(
    deployments: Sequence[Deployment], on: dt.date | None = None
) -> dict[uuid.UUID, list[EffectiveAssignment]]:
    """For each deployment, its own assignments plus its system's defaults it does not override.

    A deployment overrides a default per (scope, RACI role). One query for any number of
    deployments (they must come with `model_version` loaded).
    """
    today = on or timezone.localdate()
    system_of = {d.pk: d.model_version.system_id for d in deployments}
    result: dict[uuid.UUID, list[EffectiveAssignment]] = {d.pk: [] for d in deployments}
    if not deployments:
        return result
    rows = (
        AccountabilityAssignment.objects.filter(_current(today))
        .filter(Q(deployment_id__in=list(system_of)) | Q(system_id__in=set(system_of.values())))
        .select_related("party", "contract")
    )
    own: dict[Any, list[AccountabilityAssignment]] = defaultdict(list)
    defaults: dict[Any, list[AccountabilityAssignment]] = defaultdict(list)
    for row in rows:
        if row.deployment_id is not None:
            own[row.deployment_id].append(row)
        else:
            defaults[row.system_id].append(row)
    order = {scope: index for index, scope in enumerate(conf.scopes())}
    for pk, system_id in system_of.items():
        overridden = {(a.scope, a.raci) for a in own[pk]}
        combined = [EffectiveAssignment(a, False) for a in own[pk]] + [
            EffectiveAssignment(a, True)
            for a in defaults[system_id]
            if (a.scope, a.raci) not in overridden
        ]
        combined.sort(
            key=lambda e: (
                order.get(e.assignment.scope, len(order)),
                RACI_ORDER.get(e.assignment.raci, 9),
                e.assignment.party.name,
            )
        )
        result[pk] = combined
    return result


def effective_assignments(deployment: Deployment) -> list[EffectiveAssignment]:
    return effective_assignments_for([deployment])[deployment.pk]


def system_defaults(system: Any) -> QuerySet[AccountabilityAssignment]:
    return (
        AccountabilityAssignment.objects.filter(system=system)
        .select_related("party", "contract", "created_by", "ended_by")
        .order_by("ended_at", "scope", "raci")
    )


def deployment_assignments(deployment: Any) -> QuerySet[AccountabilityAssignment]:
    """Every assignment ever made on the deployment itself, current first."""
    return (
        AccountabilityAssignment.objects.filter(deployment=deployment)
        .select_related("party", "contract", "created_by", "ended_by")
        .order_by("ended_at", "scope", "raci")
    )


# --- EU AI Act role ---------------------------------------------------------------------


def _baseline_role(deployment: Deployment) -> str:
    # Building the system ourselves makes us its provider; using someone else's makes us
    # a deployer until Art 25 says otherwise.
    sourcing = deployment.model_version.system.sourcing
    return AIActRole.PROVIDER if sourcing == Sourcing.IN_HOUSE else AIActRole.DEPLOYER


def organisation_roles(
    deployments: Sequence[Deployment],
) -> dict[uuid.UUID, tuple[str, AIActRoleShift | None]]:
    """The organisation's EU AI Act role per deployment, with the Art 25 shift that made it so."""
    shifts: dict[Any, AIActRoleShift] = {}
    rows = AIActRoleShift.objects.filter(deployment__in=[d.pk for d in deployments]).order_by(
        "created_at"
    )
    for shift in rows.select_related("marked_by"):
        shifts[shift.deployment_id] = shift
    result: dict[uuid.UUID, tuple[str, AIActRoleShift | None]] = {}
    for deployment in deployments:
        shift = shifts.get(deployment.pk)
        result[deployment.pk] = (
            (shift.to_role, shift) if shift else (_baseline_role(deployment), None)
        )
    return result


def organisation_role(deployment: Deployment) -> tuple[str, AIActRoleShift | None]:
    return organisation_roles([deployment])[deployment.pk]


def provider_obligations() -> list[str]:
    return [label for _, label in PROVIDER_OBLIGATIONS]


# --- Offers and history -----------------------------------------------------------------


def offers_for_deployment(deployment: Any) -> QuerySet[OwnershipOffer]:
    return (
        OwnershipOffer.objects.filter(deployment=deployment)
        .select_related("to_user", "offered_by", "decided_by")
        .order_by("-created_at")
    )


def ownership_history(deployment: Any) -> QuerySet[Ownership]:
    return (
        Ownership.objects.filter(deployment=deployment)
        .select_related("user", "offer__offered_by", "ended_by")
        .order_by("-accepted_at")
    )


def inbox_for(user: Any) -> QuerySet[OwnershipOffer]:
    """Pending offers waiting for this person's answer, oldest first."""
    return (
        OwnershipOffer.objects.filter(to_user=user, status=OfferStatus.PENDING)
        .select_related("deployment__model_version__system", "offered_by", "to_user")
        .order_by("created_at")
    )


def offers_made_by(user: Any) -> QuerySet[OwnershipOffer]:
    return (
        OwnershipOffer.objects.filter(offered_by=user, status=OfferStatus.PENDING)
        .select_related("deployment__model_version__system", "offered_by", "to_user")
        .order_by("created_at")
    )


def offers_for(user: Any) -> QuerySet[OwnershipOffer]:
    if not can(user, Perm.VIEW):
        return OwnershipOffer.objects.none()
    return OwnershipOffer.objects.select_related(
        "deployment__model_version__system", "to_user", "offered_by", "decided_by"
    ).order_by("-created_at")


def liability_events(deployment: Any) -> QuerySet[LedgerEvent]:
    query = Q()
    for prefix in LIABILITY_ACTIONS:
        query |= Q(action__startswith=prefix)
    return LedgerEvent.objects.filter(query, deployment_id=str(deployment.pk)).order_by("-seq")


# --- Parties and contracts --------------------------------------------------------------


def parties_for(user: Any) -> QuerySet[Party]:
    if not can(user, Perm.VIEW):
        return Party.objects.none()
    return (
        Party.objects.select_related("user")
        .prefetch_related(Prefetch("members", queryset=User.objects.order_by("username")))
        .annotate(
            contract_count=Count("contracts", distinct=True),
            assignment_count=Count(
                "assignments", filter=Q(assignments__ended_at__isnull=True), distinct=True
            ),
        )
    )


def contracts_for(user: Any) -> QuerySet[Contract]:
    if not can(user, Perm.VIEW):
        return Contract.objects.none()
    return Contract.objects.select_related("party", "insurer").order_by("ends_on", "reference")


@dataclass(frozen=True)
class ExpiryFlags:
    contract_expired: bool
    contract_expiring: bool
    insurance_expired: bool
    insurance_expiring: bool


def expiry_flags(contract: Contract, today: dt.date | None = None) -> ExpiryFlags:
    """Expired, or expiring within CONTRACT_EXPIRY_WARNING_DAYS (60 by default)."""
    today = today or timezone.localdate()
    horizon = today + dt.timedelta(days=conf.expiry_warning_days())

    def flags(day: dt.date | None) -> tuple[bool, bool]:
        if day is None:
            return False, False
        return day < today, today <= day <= horizon

    c_expired, c_soon = flags(contract.ends_on)
    i_expired, i_soon = flags(contract.insurance_expires_on)
    return ExpiryFlags(c_expired, c_soon, i_expired, i_soon)


def external_parties(user: Any) -> QuerySet[Party]:
    return parties_for(user).filter(kind__in=EXTERNAL_KINDS)


# --- Portfolio matrix -------------------------------------------------------------------


def involving_person(
    queryset: QuerySet[Deployment], person: Any, raci: str = ""
) -> QuerySet[Deployment]:
    """Deployments the person owns, or holds a current RACI role on (directly, through a
    team, or through a system default the deployment does not override)."""
    today = timezone.localdate()
    party_match = Q(party__user=person) | Q(party__members=person)
    raci_match = Q(raci=raci) if raci else Q()
    own = AccountabilityAssignment.objects.filter(
        _current(today), party_match, raci_match, deployment=OuterRef("pk")
    )
    override = AccountabilityAssignment.objects.filter(
        _current(today),
        deployment=OuterRef(OuterRef("pk")),
        scope=OuterRef("scope"),
        raci=OuterRef("raci"),
    )
    inherited = AccountabilityAssignment.objects.filter(
        _current(today), party_match, raci_match, system=OuterRef("model_version__system")
    ).filter(~Exists(override))
    condition = Q(Exists(own)) | Q(Exists(inherited))
    if raci in ("", Raci.ACCOUNTABLE):
        owner = Ownership.objects.filter(
            deployment=OuterRef("pk"), ended_at__isnull=True, user=person
        )
        condition |= Q(Exists(owner))
    return queryset.filter(condition)


@dataclass
class MatrixRow:
    deployment: Deployment
    owner: User | None
    organisation_role: str
    cells: list[list[EffectiveAssignment]]


def matrix_rows(deployments: Sequence[Deployment]) -> list[MatrixRow]:
    """One row per deployment: owner, the organisation's role and each scope's parties.

    Three queries for any page size: owners, assignments and Art 25 shifts.
    """
    owners = accountable_owners([d.pk for d in deployments])
    assignments = effective_assignments_for(deployments)
    roles = organisation_roles(deployments)
    scope_list = conf.scopes()
    rows = []
    for deployment in deployments:
        by_scope: dict[str, list[EffectiveAssignment]] = defaultdict(list)
        for effective in assignments[deployment.pk]:
            by_scope[effective.assignment.scope].append(effective)
        rows.append(
            MatrixRow(
                deployment=deployment,
                owner=owners[deployment.pk],
                organisation_role=roles[deployment.pk][0],
                cells=[by_scope.get(scope, []) for scope in scope_list],
            )
        )
    return rows


def cell_text(cell: Sequence[EffectiveAssignment]) -> str:
    return "; ".join(f"{e.letter}: {e.assignment.party.name}" for e in cell)


# --- Dossier ----------------------------------------------------------------------------


def _user_ref(user: User | None) -> dict[str, str] | None:
    if user is None:
        return None
    return {"id": str(user.pk), "username": user.get_username(), "name": user.display_name}


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def _time(value: dt.datetime | None) -> str | None:
    return format_timestamp(value) if value else None


def accountability_snapshot(deployment: Deployment) -> dict[str, Any]:
    """The accountability section of the dossier: plain JSON-safe data, current and history."""
    owner = accountable_owner(deployment)
    role, shift = organisation_role(deployment)
    assignments = [
        {
            "scope": e.assignment.scope,
            "scope_label": conf.scope_label(e.assignment.scope),
            "raci": e.assignment.raci,
            "party": e.assignment.party.name,
            "party_kind": e.assignment.party.kind,
            "ai_act_role": e.assignment.ai_act_role,
            "inherited_from_system": e.inherited,
            "effective_from": _date(e.assignment.effective_from),
            "effective_to": _date(e.assignment.effective_to),
            "contract": (
                {
                    "reference": e.assignment.contract.reference,
                    "indemnity": e.assignment.contract.indemnity,
                    "liability_cap": (
                        str(e.assignment.contract.liability_cap)
                        if e.assignment.contract.liability_cap is not None
                        else None
                    ),
                    "cap_currency": e.assignment.contract.cap_currency,
                    "insurance_policy_number": e.assignment.contract.insurance_policy_number,
                    "insurance_expires_on": _date(e.assignment.contract.insurance_expires_on),
                    "ends_on": _date(e.assignment.contract.ends_on),
                }
                if e.assignment.contract
                else None
            ),
        }
        for e in effective_assignments(deployment)
    ]
    history = [
        {
            "owner": _user_ref(o.user),
            "printed_name": o.printed_name,
            "meaning": o.meaning,
            "statement": o.statement,
            "accepted_at": _time(o.accepted_at),
            "fingerprint": o.fingerprint,
            "signature_hash": o.signature_hash,
            "offered_by": _user_ref(o.offer.offered_by),
            "offer_reason": o.offer.reason,
            "ended_at": _time(o.ended_at),
            "end_cause": o.end_cause,
        }
        for o in ownership_history(deployment)
    ]
    offers = [
        {
            "to_user": _user_ref(o.to_user),
            "offered_by": _user_ref(o.offered_by),
            "reason": o.reason,
            "status": o.status,
            "offered_at": _time(o.created_at),
            "decided_at": _time(o.decided_at),
            "decision_reason": o.decision_reason,
        }
        for o in offers_for_deployment(deployment)
    ]
    return {
        "accountable_owner": _user_ref(owner),
        "orphaned": owner is None,
        "organisation_ai_act_role": role,
        "art25_shift": (
            {
                "trigger": shift.trigger,
                "explanation": shift.explanation,
                "high_risk_area": shift.high_risk_area,
                "from_role": shift.from_role,
                "marked_at": _time(shift.created_at),
                "marked_by": _user_ref(shift.marked_by),
                "obligations": provider_obligations(),
            }
            if shift
            else None
        ),
        "assignments": assignments,
        "ownership_history": history,
        "offers": offers,
    }


def orphaned_snapshot() -> list[dict[str, Any]]:
    """The portfolio report's "orphaned ownership" part: every live deployment nobody owns.

    Plain JSON-safe rows with the last owner and why their ownership ended, if there was one.
    Three queries whatever the portfolio size.
    """
    from governance.inventory.choices import DeploymentStatus

    deployments = list(
        orphaned(Deployment.objects.exclude(status=DeploymentStatus.RETIRED))
        .select_related("model_version__system")
        .order_by("model_version__system__name", "environment")
    )
    last: dict[Any, Ownership] = {}
    history = (
        Ownership.objects.filter(deployment__in=[d.pk for d in deployments])
        .select_related("user")
        .order_by("accepted_at")
    )
    for ownership in history:
        last[ownership.deployment_id] = ownership
    rows = []
    for d in deployments:
        previous = last.get(d.pk)
        rows.append(
            {
                "deployment": str(d.pk),
                "system": d.model_version.system.name,
                "version": d.model_version.version_label,
                "environment": d.environment,
                "status": d.status,
                "last_owner": _user_ref(previous.user) if previous else None,
                "ended_at": _time(previous.ended_at) if previous else None,
                "end_cause": previous.end_cause if previous else None,
            }
        )
    return rows
