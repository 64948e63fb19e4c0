"""How the liability room's ledger events read, and how parties are named in them."""

from __future__ import annotations

from governance.ledger.describe import (
    queryset_namer,
    register_event_sentences,
    register_subject_namer,
)
from governance.liability.models import Contract, Party

OFFER_KINDS = [
    "ownership.offered",
    "ownership.declined",
    "ownership.offer_withdrawn",
    "ownership.offer_superseded",
    "ownership.offer_lapsed",
]


def register() -> None:
    register_subject_namer("liability.party", queryset_namer(Party.objects.all()))
    register_subject_namer("liability.contract", queryset_namer(Contract.objects.all()))
    register_event_sentences(
        {
            "party.created": "{actor} added the party {subject}",
            "party.updated": "{actor} edited the party {subject}",
            "party.deleted": "{actor} removed a party",
            "contract.created": "{actor} recorded the contract {subject}",
            "contract.updated": "{actor} edited the contract {subject}",
            "assignment.created": "{actor} assigned a responsibility for {target}",
            "assignment.ended": "{actor} ended a responsibility for {target}",
            "ai_act.role_shifted": "{actor} recorded that we became provider of {target}",
            "ownership.offered": "{actor} offered the ownership of {target}",
            "ownership.declined": "{actor} declined the ownership of {target}",
            "ownership.offer_withdrawn": "{actor} withdrew an ownership offer for {target}",
            "ownership.offer_superseded": (
                "An ownership offer for {target} lapsed: another offer was accepted"
            ),
            "ownership.offer_lapsed": "An ownership offer for {target} lapsed",
            "ownership.accepted": "{actor} accepted the ownership of {target}",
            "ownership.transferred": "The ownership of {target} passed to {actor}",
            "ownership.orphaned": "{target} lost its accountable owner",
        },
        emitted_by={"governance.liability.services.ownership": OFFER_KINDS},
    )
