from django.apps import AppConfig


class LiabilityConfig(AppConfig):
    name = "governance.liability"
    label = "liability"
