from django.apps import AppConfig


class BiasConfig(AppConfig):
    name = "audits.bias"
    label = "bias"
