from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "audits.reports"
    label = "reports"

    def ready(self) -> None:
        from audits.reports import checks  # noqa: F401 - registers the signing check
