import logging

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "audits.reports"
    label = "reports"

    def ready(self) -> None:
        from audits.reports import events

        events.register()  # how its ledger events read

        # Registers the signing check, the dashboard's panel and portfolio filter, and how a
        # bias-audit summary and a serious-incident report find their subjects.
        from audits.reports import checks, panels  # noqa: F401
        from audits.reports.models import Export, Report
        from audits.reports.sections import bias, incident  # noqa: F401
        from governance.core.evidence import register_evidence_files

        # Generated PDFs and export bundles are re-hashed by `verify_evidence`.
        register_evidence_files(Report, file_field="file", sha256_field="file_sha256")
        register_evidence_files(Export, file_field="file", sha256_field="file_sha256")

        from audits.reports import obligations

        obligations.register()  # the `dossier` evidence kind of framework requirements

        # WeasyPrint reports every layout step at INFO; one report would fill a worker's log.
        logging.getLogger("weasyprint.progress").setLevel(logging.WARNING)
