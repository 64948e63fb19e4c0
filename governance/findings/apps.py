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

        from governance.accounts.signals import user_access_reduced
        from governance.findings.receivers import on_user_access_reduced

        user_access_reduced.connect(
            on_user_access_reduced, dispatch_uid="findings.hand_over_on_deactivation"
        )

        # Risk acceptances by people who confirm at the provider complete on their return.
        from governance.accounts.sso.reauth import register_signature_completer
        from governance.findings.views import (
            PROVIDER_RISK_SIGNOFF,
            complete_provider_risk_signoff,
        )

        register_signature_completer(PROVIDER_RISK_SIGNOFF, complete_provider_risk_signoff)
