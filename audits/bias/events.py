"""How the bias-audit room's ledger events read."""

from __future__ import annotations

from governance.ledger.describe import register_event_sentences


def register() -> None:
    register_event_sentences(
        {
            "bias_audit.created": "{actor} uploaded a bias audit of {target}",
            "bias_audit.updated": "{actor} edited the bias audit of {target}",
            "bias_audit.exclusions_set": (
                "{actor} chose the groups left out of a bias audit of {target}"
            ),
            "bias_audit.finalised": "{actor} finalised the bias audit of {target}",
            "bias_audit.discarded": "{actor} discarded a draft bias audit of {target}",
        }
    )
