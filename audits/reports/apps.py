import logging

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "audits.reports"
    label = "reports"

    def ready(self) -> None:
        from audits.reports import checks  # noqa: F401 - registers the signing check

        # WeasyPrint reports every layout step at INFO; one report would fill a worker's log.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
