from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "governance.accounts.sso"
    label = "sso"
    verbose_name = "Sign-in through the organisation's OpenID Connect provider"

    def ready(self) -> None:
        from governance.accounts.sso import checks, events

        events.register()  # how its ledger events read
        checks.register()
