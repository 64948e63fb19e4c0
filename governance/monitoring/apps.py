from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "governance.monitoring"
    label = "monitoring"
    verbose_name = "Post-market monitoring and incidents"

    def ready(self) -> None:
        # Importing these registers the "serious_incident" gate check and the overview panel.
        from governance.monitoring import events, gate, panels  # noqa: F401

        events.register()  # how its ledger events read
