"""Writes to parties and contracts."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction

from governance.core.errors import Conflict, InvalidInput
from governance.core.services import apply_changes, snapshot, validated_save
from governance.ledger.services import changes, ledger_append
from governance.liability.choices import INTERNAL_KINDS, PartyKind
from governance.liability.models import Contract, Party

PARTY_FIELDS = (
    "kind",
    "name",
    "user",
    "contact_name",
    "email",
    "phone",
    "address",
    "website",
    "notes",
)
# The kind and the linked account say who the party is; a different one is a new party.
PARTY_EDITABLE = ("name", "contact_name", "email", "phone", "address", "website", "notes")
CONTRACT_FIELDS = (
    "party",
    "reference",
    "title",
    "starts_on",
    "ends_on",
    "indemnity",
    "liability_cap",
    "cap_currency",
    "insurer",
    "insurance_policy_number",
    "insurance_expires_on",
    "notes",
)
CONTRACT_EDITABLE = tuple(f for f in CONTRACT_FIELDS if f not in ("party", "reference"))


def _party_data(party: Party) -> dict[str, Any]:
    data = snapshot(party, PARTY_FIELDS)
    data["members"] = sorted(str(pk) for pk in party.members.values_list("pk", flat=True))
    return data


def _check_members(kind: str, members: list[Any]) -> None:
    if members and kind != PartyKind.TEAM:
        raise InvalidInput("Only a team has members.", fields={"members": "only for teams"})


def party_create(*, actor: Any, members: Iterable[Any] = (), **fields: Any) -> Party:
    """Register a person, team or outside organisation (a person's name defaults to theirs)."""
    member_list = list(members)
    kind = fields.get("kind", "")
    _check_members(kind, member_list)
    user = fields.get("user")
    if kind == PartyKind.PERSON and user is not None and not fields.get("name"):
        fields["name"] = user.display_name
    if kind == PartyKind.PERSON and user is not None and Party.objects.filter(user=user).exists():
        raise Conflict(
            f"{user.display_name} is already registered as a party.",
            fields={"user": "already a party"},
        )
    party = Party(created_by=actor, **fields)
    with transaction.atomic():
        validated_save(party)
        party.members.set(member_list)
        ledger_append(actor=actor, action="party.created", subject=party, data=_party_data(party))
    return party


def party_update(
    *,
    party: Party,
    actor: Any,
    fields: Mapping[str, Any],
    members: Iterable[Any] | None = None,
) -> Party:
    """Change a party's name or contact details, or a team's members."""
    with transaction.atomic():
        locked = Party.objects.select_for_update().get(pk=party.pk)
        before = _party_data(locked)
        changed = apply_changes(locked, fields, editable=PARTY_EDITABLE)
        if members is not None:
            member_list = list(members)
            _check_members(locked.kind, member_list)
            wanted = sorted(str(m.pk) for m in member_list)
            if wanted != before["members"]:
                locked.members.set(member_list)
                changed.append("members")
        if not changed:
            return locked
        validated_save(locked)
        ledger_append(
            actor=actor,
            action="party.updated",
            subject=locked,
            data={"changes": changes(before, _party_data(locked))},
        )
    return locked


def party_delete(*, party: Party, actor: Any) -> None:
    """Remove a party that nothing refers to; one with assignments or contracts stays on record."""
    with transaction.atomic():
        locked = Party.objects.select_for_update().get(pk=party.pk)
        in_use = (
            locked.assignments.exists()
            or locked.contracts.exists()
            or locked.insured_contracts.exists()
        )
        if in_use:
            raise Conflict(
                f"{locked.name} has assignments or contracts on record and cannot be deleted."
            )
        data = _party_data(locked)
        subject_id = locked.pk
        locked.members.clear()
        locked.delete()
        ledger_append(
            actor=actor,
            action="party.deleted",
            data={"party": str(subject_id), **data},
        )


def _check_contract_parties(contract: Contract) -> None:
    party = contract.party
    if party.kind in INTERNAL_KINDS:
        raise InvalidInput(
            "Contracts are with outside organisations, not internal people or teams.",
            fields={"party": "must be an outside organisation"},
        )
    if contract.insurer is not None and contract.insurer.kind != PartyKind.INSURER:
        raise InvalidInput(
            f"{contract.insurer.name} is not registered as an insurer.",
            fields={"insurer": "must be an insurer"},
        )


def _check_contract_dates(contract: Contract) -> None:
    if contract.ends_on and contract.starts_on and contract.ends_on < contract.starts_on:
        raise InvalidInput(
            "The contract cannot end before it starts.", fields={"ends_on": "before the start"}
        )


def contract_create(*, actor: Any, **fields: Any) -> Contract:
    """Record a contract that allocates liability with an outside party."""
    contract = Contract(created_by=actor, **fields)
    _check_contract_parties(contract)
    _check_contract_dates(contract)
    with transaction.atomic():
        validated_save(contract)
        ledger_append(
            actor=actor,
            action="contract.created",
            subject=contract,
            data=snapshot(contract, CONTRACT_FIELDS),
        )
    return contract


def contract_update(*, contract: Contract, actor: Any, fields: Mapping[str, Any]) -> Contract:
    """Change a contract's terms, dates or insurance (a renewal, an amended cap)."""
    with transaction.atomic():
        locked = Contract.objects.select_for_update().select_related("party").get(pk=contract.pk)
        before = snapshot(locked, CONTRACT_FIELDS)
        if not apply_changes(locked, fields, editable=CONTRACT_EDITABLE):
            return locked
        _check_contract_parties(locked)
        _check_contract_dates(locked)
        validated_save(locked)
        ledger_append(
            actor=actor,
            action="contract.updated",
            subject=locked,
            data={"changes": changes(before, snapshot(locked, CONTRACT_FIELDS))},
        )
    return locked
