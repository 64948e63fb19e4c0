from django.apps import AppConfig


class ObligationsConfig(AppConfig):
    name = "governance.obligations"
    label = "obligations"
    verbose_name = "Obligations"
