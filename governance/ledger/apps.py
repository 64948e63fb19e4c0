from django.apps import AppConfig
from django.db.backends.signals import connection_created


class LedgerConfig(AppConfig):
    name = "governance.ledger"
    label = "ledger"
    verbose_name = "Audit ledger"

    def ready(self) -> None:
        from governance.ledger.append_only import register_on_connect
        from governance.ledger.describe import register_event_sentences

        register_event_sentences(
            {"ledger.checkpoint": "The system signed a checkpoint of the audit trail's head"}
        )
        connection_created.connect(register_on_connect, dispatch_uid="ledger_append_only")
