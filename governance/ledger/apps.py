from django.apps import AppConfig


class LedgerConfig(AppConfig):
    name = "governance.ledger"
    label = "ledger"
    verbose_name = "Audit ledger"
