from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from governance.accounts.models import User
from governance.accounts.services import api_token_create


class Command(BaseCommand):
    help = "Create an API token for a user and print it (it is shown only this once)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for, e.g. 'ci-prod'")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {options['username']!r}.")
        self.stdout.write(api_token_create(user=user, name=options["name"]))
