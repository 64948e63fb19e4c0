from django.apps import AppConfig


class FindingsConfig(AppConfig):
    name = "governance.findings"
    label = "findings"
    verbose_name = "Findings"

    def ready(self) -> None:
        from governance.findings import events

        events.register()  # how its ledger events read

        from governance.approvals.gate_checks import register_gate_check

        # Importing these registers the dashboard panels and the daily due/overdue sweep.
        from governance.findings import inbox, panels  # noqa: F401
        from governance.findings.gate import open_findings_check

        register_gate_check("findings")(open_findings_check)
