from django.apps import AppConfig


class ObligationsConfig(AppConfig):
    name = "governance.obligations"
    label = "obligations"
    verbose_name = "Obligations"

    def ready(self) -> None:
        from governance.obligations import library_events

        library_events.register()  # how framework loads read in the ledger

        from django.db.models.signals import post_save

        from governance.core.evidence import register_evidence_files
        from governance.ledger.models import LedgerEvent
        from governance.obligations import events
        from governance.obligations.models import EvidenceDocument
        from governance.obligations.services.refresh import on_ledger_event

        events.register()  # how its ledger events read

        # Importing these registers the evidence kinds the governance rooms hold, the signed
        # FRIA and DPIA (kept by the risk room) among them.
        from governance.obligations import assessments, evidence  # noqa: F401

        # Uploaded documents are evidence: `verify_evidence` re-hashes them.
        register_evidence_files(EvidenceDocument, file_field="file", sha256_field="sha256")
        # Every write that concerns a deployment appends a ledger event in its transaction;
        # its statuses are refreshed once that transaction commits (services/refresh.py).
        post_save.connect(on_ledger_event, sender=LedgerEvent, dispatch_uid="obligations_refresh")
