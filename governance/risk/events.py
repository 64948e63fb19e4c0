"""How the risk room's ledger events read."""

from __future__ import annotations

from governance.ledger.describe import register_event_sentences

MOVE_KINDS = ["risk.closed", "risk.reopened"]


def register() -> None:
    register_event_sentences(
        {
            "risk_methodology.loaded": "{actor} loaded a risk scoring methodology",
            "risk_assessment.created": "{actor} started a risk assessment of {target}",
            "risk_assessment.updated": "{actor} edited the risk assessment of {target}",
            "risk_assessment.submitted": "{actor} submitted the risk assessment of {target}",
            "risk_assessment.discarded": "{actor} discarded a draft risk assessment of {target}",
            "risk_assessment.marked_stale": (
                "The risk assessment of {target} became out of date after a change"
            ),
            "statutory_assessment.created": "{actor} started a new version of an assessment "
            "the law names for {target}",
            "statutory_assessment.updated": "{actor} edited an assessment of {target}",
            "statutory_assessment.submitted": "{actor} submitted an assessment of {target} for "
            "sign-off",
            "statutory_assessment.reopened": "{actor} sent an assessment of {target} back to draft",
            "statutory_assessment.signed": "{actor} signed an assessment of {target}",
            "statutory_assessment.discarded": "{actor} discarded a draft assessment of {target}",
            "risk.created": "{actor} added a risk to the register of {target}",
            "risk.updated": "{actor} edited a risk in the register of {target}",
            "risk.deleted": "{actor} deleted a risk entered in error for {target}",
            "risk.accepted": "{actor} accepted a residual risk of {target}",
            "risk.acceptance_refused": "{actor} was refused the acceptance of a risk of {target}",
            "risk.closed": "{actor} closed a risk of {target}",
            "risk.reopened": "{actor} reopened a risk of {target}",
        },
        emitted_by={"governance.risk.services.register": MOVE_KINDS},
    )
