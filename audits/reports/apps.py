import logging

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "audits.reports"
    label = "reports"

    def ready(self) -> None:
        # Registers the signing check, the dashboard's panel and portfolio filter, and how a
        # bias-audit summary finds its subject.
        from audits.reports import checks, panels  # noqa: F401
        from audits.reports.sections import bias  # noqa: F401

        # WeasyPrint reports every layout step at INFO; one report would fill a worker's log.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
