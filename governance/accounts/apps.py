from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "governance.accounts"
    label = "accounts"
    verbose_name = "Accounts and roles"

    def ready(self) -> None:
        from governance.accounts import events

        events.register()  # how its ledger events read

        from governance.accounts.group_roles import group_roles

        group_roles()  # a malformed GROUP_ROLES stops the start with the entry at fault

        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_login_failed

        from governance.accounts import lockout

        user_login_failed.connect(lockout.on_login_failed, dispatch_uid="accounts.slowdown")
        user_locked_out.connect(lockout.on_locked_out, dispatch_uid="accounts.lockout_mail")
