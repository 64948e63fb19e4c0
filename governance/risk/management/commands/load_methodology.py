from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.core.errors import DomainError


class Command(BaseCommand):
    help = (
        "Load methodology YAML files (or every *.yaml in a directory) as immutable versions. "
        "Loading an identical file again does nothing; a changed file under a loaded slug and "
        "version is refused. All files load or none does."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument(
            "--user", help="Username recorded as the loader (default: the system)", default=""
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from governance.accounts.models import User
        from governance.risk.services import methodologies_load

        actor = None
        if options["user"]:
            actor = User.objects.filter(username=options["user"], is_active=True).first()
            if actor is None:
                raise CommandError(f"--user: no active user {options['user']!r}")
        files = []
        for raw in options["paths"]:
            path = Path(raw)
            paths = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
            for item in paths:
                try:
                    files.append((item.name, item.read_bytes()))
                except OSError as exc:
                    raise CommandError(f"{item}: cannot be read ({exc.strerror})") from None
        if not files:
            raise CommandError("No methodology files found.")
        try:
            results = methodologies_load(files=files, actor=actor)
        except DomainError as exc:
            details = "\n".join(
                f"  {name}: {'; '.join(errors)}" for name, errors in exc.fields.items()
            )
            raise CommandError(
                f"Nothing was loaded. {exc.message}" + (f"\n{details}" if details else "")
            ) from None
        for methodology, created in results:
            state = "loaded" if created else "already loaded, unchanged"
            self.stdout.write(
                f"{methodology.slug} v{methodology.version} ({methodology.kind}) "
                f"sha256 {methodology.sha256}: {state}"
            )
