from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from governance.accounts.models import User
from governance.accounts.scopes import Scope
from governance.accounts.services import api_token_create
from governance.core.errors import DomainError


def _positive_days(raw: str) -> int:
    import argparse

    try:
        days = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {raw!r}") from None
    if days < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return days


class Command(BaseCommand):
    help = (
        "Create an API token for a user and print its key (shown only this once). "
        "A pipeline that only asks the deployment gate needs only --scope gate:read."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="", help="What the token is for, e.g. 'ci-prod'")
        parser.add_argument(
            "--scope",
            action="append",
            required=True,
            choices=Scope.values,
            dest="scopes",
            help="What the token may be used for; repeat for several (docs/ci-gate.md)",
        )
        parser.add_argument(
            "--expires-in-days",
            type=_positive_days,
            default=None,
            help="Refuse the token after this many days (default: until revoked)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"], is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {options['username']!r}.")
        days = options["expires_in_days"]
        try:
            expires_at = timezone.now() + dt.timedelta(days=days) if days else None
        except OverflowError:
            raise CommandError(
                "--expires-in-days is too far ahead; leave it out for a token that never expires."
            ) from None
        try:
            key = api_token_create(
                user=user, name=options["name"], scopes=options["scopes"], expires_at=expires_at
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        # The key alone on stdout, so a script can capture it; what it may do on stderr.
        self.stdout.write(key)
        expiry = f"expires {expires_at:%Y-%m-%d %H:%M %Z}" if expires_at else "never expires"
        self.stderr.write(f"scopes: {' '.join(sorted(set(options['scopes'])))}; {expiry}")
