from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "governance.monitoring"
    label = "monitoring"
    verbose_name = "Post-market monitoring and incidents"

    def ready(self) -> None:
        # Importing the gate module registers the "serious_incident" gate check.
        from governance.monitoring import gate  # noqa: F401
