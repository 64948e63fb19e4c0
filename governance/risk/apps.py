from django.apps import AppConfig


class RiskConfig(AppConfig):
    name = "governance.risk"
    label = "risk"
