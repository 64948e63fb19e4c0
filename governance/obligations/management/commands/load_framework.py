from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Load framework YAML files (or every *.yaml in a directory) as immutable, hashed "
        "versions. Loading an identical file again does nothing; a changed file under a "
        "loaded slug and version is refused. All files load or none does; every problem is "
        "reported with its file and line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument(
            "--user", help="Username recorded as the loader (default: the system)", default=""
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from governance.accounts.models import User
        from governance.obligations.library import FrameworkFileError
        from governance.obligations.services.frameworks import frameworks_load

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
                    files.append((str(item), item.read_bytes()))
                except OSError as exc:
                    raise CommandError(f"{item}: cannot be read ({exc.strerror})") from None
        if not files:
            raise CommandError("No framework files found.")
        try:
            results = frameworks_load(files=files, actor=actor)
        except FrameworkFileError as exc:
            details = "\n".join(f"  {line}" for line in exc.lines())
            raise CommandError(f"Nothing was loaded.\n{details}") from None
        for result in results:
            framework = result.framework
            state = "loaded" if result.created else "already loaded, unchanged"
            self.stdout.write(
                f"{framework.slug} v{framework.version} ({result.requirements} requirements) "
                f"sha256 {framework.content_sha256}: {state}"
            )
