"""How the sign-in room's ledger events read."""

from __future__ import annotations

from governance.ledger.describe import register_event_sentences


def register() -> None:
    register_event_sentences(
        {
            "sso.user_linked": (
                "{actor} signed in through {issuer} for the first time as {username}"
            ),
            "sso.sign_in_refused": "Sign-in through {issuer} was refused for {username}: {reason}",
        }
    )
