from django.apps import AppConfig


class ApprovalsConfig(AppConfig):
    name = "governance.approvals"
    label = "approvals"
    verbose_name = "Approvals"

    def ready(self) -> None:
        from governance.approvals import events

        events.register()  # how its ledger events read

        # Reactions run inside the transaction of the change that causes them.
        from governance.approvals import signals, status_note  # noqa: F401 (registers)
        from governance.approvals.gate import activation_guard
        from governance.inventory.signals import deployment_material_change
        from governance.inventory.transitions import register_guard
        from governance.liability.signals import accountable_owner_changed
        from governance.risk.signals import assessment_submitted

        deployment_material_change.connect(
            signals.on_material_change, dispatch_uid="approvals.material_change"
        )
        assessment_submitted.connect(
            signals.on_assessment_submitted, dispatch_uid="approvals.assessment_submitted"
        )
        accountable_owner_changed.connect(
            signals.on_owner_changed, dispatch_uid="approvals.owner_changed"
        )
        register_guard(activation_guard)

        # Sign-offs by people who confirm at the organisation's provider complete on return.
        from governance.accounts.sso.reauth import register_signature_completer
        from governance.approvals.views import PROVIDER_SIGNOFF, complete_provider_signoff

        register_signature_completer(PROVIDER_SIGNOFF, complete_provider_signoff)
