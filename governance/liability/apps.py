from django.apps import AppConfig


class LiabilityConfig(AppConfig):
    name = "governance.liability"
    label = "liability"
    verbose_name = "Liability and accountability"

    def ready(self) -> None:
        from governance.liability import events

        events.register()  # how its ledger events read

        # Acceptances by people who confirm at the provider complete on their return.
        from governance.accounts.sso.reauth import register_signature_completer
        from governance.liability.views import PROVIDER_ACCEPTANCE, complete_provider_acceptance

        register_signature_completer(PROVIDER_ACCEPTANCE, complete_provider_acceptance)

        from governance.accounts.signals import user_access_reduced
        from governance.approvals.gate_checks import register_gate_check
        from governance.liability import checks  # noqa: F401  (registers the system checks)
        from governance.liability.gate import accountable_owner_check
        from governance.liability.receivers import on_user_access_reduced

        user_access_reduced.connect(
            on_user_access_reduced, dispatch_uid="liability.orphan_on_access_reduced"
        )
        register_gate_check("accountable_owner", page="liability:deployment_accountability")(
            accountable_owner_check
        )
