"""How the obligations room's ledger events read."""

from __future__ import annotations

from governance.ledger.describe import (
    queryset_namer,
    register_event_sentences,
    register_subject_namer,
)


def register() -> None:
    from governance.obligations.models import EvidenceDocument

    register_event_sentences(
        {
            "evidence_document.uploaded": (
                "{actor} kept the evidence document {title} (version {version})"
            ),
            "evidence_document.linked": (
                "{actor} linked the evidence document {document} to {requirement}"
            ),
            "evidence_document.unlinked": (
                "{actor} withdrew the evidence document {document} from {requirement}"
            ),
            "obligation.asserted": "{actor} signed that {ref} is {verdict} for {target}",
            "obligation.assertion_withdrawn": (
                "{actor} withdrew the assertion on {ref} for {target}: {reason}"
            ),
            "obligation.gap_raised": "{actor} raised a finding on {target}: {ref} is missing",
        }
    )
    register_subject_namer(
        "obligations.evidencedocument", queryset_namer(EvidenceDocument.objects.all())
    )
