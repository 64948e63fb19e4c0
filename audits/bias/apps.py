from django.apps import AppConfig


class BiasConfig(AppConfig):
    name = "audits.bias"
    label = "bias"
    verbose_name = "Bias audits"

    def ready(self) -> None:
        # Importing the module registers the "bias_audit" gate check and dossier evidence.
        from audits.bias import gate  # noqa: F401
