from __future__ import annotations

import getpass
import os
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from governance.accounts.roles import Role
from governance.accounts.services import user_create
from governance.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Create a user with one or more roles. The password comes from NEW_USER_PASSWORD "
        "or an interactive prompt."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--role", action="append", required=True, choices=Role.values, dest="roles"
        )
        parser.add_argument("--email", default="")
        parser.add_argument("--first-name", default="")
        parser.add_argument("--last-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        password = os.environ.get("NEW_USER_PASSWORD")
        if not password:
            if not options.get("interactive", True) or not self.stdin_isatty():
                raise CommandError("Set NEW_USER_PASSWORD or run interactively to be prompted.")
            password = getpass.getpass("Password: ")
            if password != getpass.getpass("Password (again): "):
                raise CommandError("The two passwords differ.")
        try:
            user = user_create(
                username=options["username"],
                password=password,
                roles=options["roles"],
                email=options["email"],
                first_name=options["first_name"],
                last_name=options["last_name"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(f"created {user.username} with roles {', '.join(sorted(user.roles))}")

    @staticmethod
    def stdin_isatty() -> bool:
        import sys

        return sys.stdin.isatty()
