from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from governance.accounts.lockout import account_unlock
from governance.accounts.models import User


class Command(BaseCommand):
    help = "Lift every sign-in lockout and slow-down on a user's account (ledgered)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--reason", default="", help="Why, for the audit ledger")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        cleared = account_unlock(user=user, actor=None, reason=options["reason"])
        self.stdout.write(f"Unlocked {user.get_username()}: {cleared} failure record(s) cleared.")
