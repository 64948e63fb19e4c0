from django.apps import AppConfig


class ObligationsConfig(AppConfig):
    name = "governance.obligations"
    label = "obligations"
    verbose_name = "Obligations"

    def ready(self) -> None:
        from governance.obligations import library_events

        library_events.register()  # how framework loads read in the ledger
