from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "governance.risk"
    label = "risk"
    verbose_name = "Risk"

    def ready(self) -> None:
        from governance.risk import events

        events.register()  # how its ledger events read

        from governance.approvals.gate_checks import register_gate_check
        from governance.inventory.effects import register_material_effect
        from governance.inventory.signals import deployment_material_change
        from governance.inventory.transitions import register_guard
        from governance.risk import checks, receivers

        deployment_material_change.connect(
            receivers.on_material_change, dispatch_uid="risk.mark_stale_on_material_change"
        )
        register_gate_check("risk_assessment", page="risk:deployment_risk")(
            checks.risk_assessment_gate
        )
        register_guard(checks.blocked_tier_guard)
        register_material_effect("risk")(checks.assessment_voided)
