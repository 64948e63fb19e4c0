"""How the framework library's ledger events read."""

from __future__ import annotations

from governance.ledger.describe import (
    queryset_namer,
    register_event_sentences,
    register_subject_namer,
)


def register() -> None:
    from governance.obligations.models import Framework

    register_event_sentences(
        {
            "framework.loaded": (
                "{actor} loaded the framework {name} version {version} "
                "({requirements} requirements)"
            ),
        }
    )
    register_subject_namer("obligations.framework", queryset_namer(Framework.objects.all()))
