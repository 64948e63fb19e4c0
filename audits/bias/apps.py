from django.apps import AppConfig


class BiasConfig(AppConfig):
    name = "audits.bias"
    label = "bias"
    verbose_name = "Bias audits"

    def ready(self) -> None:
        from audits.bias import events

        events.register()  # how its ledger events read

        # Importing these registers the "bias_audit" gate check and dossier evidence (gate),
        # and the dashboard's overview panel, portfolio filter, checklist item and bulk facts.
        from audits.bias import gate, panels  # noqa: F401
        from audits.bias.models import BiasAudit
        from governance.core.evidence import register_evidence_files

        # The uploaded audit data is evidence: `verify_evidence` re-hashes it.
        register_evidence_files(BiasAudit, file_field="data_file", sha256_field="file_sha256")

        from audits.bias import obligations

        obligations.register()  # the `bias_audit` evidence kind of framework requirements
