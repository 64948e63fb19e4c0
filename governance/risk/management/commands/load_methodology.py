from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.core.errors import DomainError
from governance.core.management.data_files import (
    add_loader_arguments,
    loader_actor,
    read_yaml_files,
)


class Command(BaseCommand):
    help = (
        "Load methodology YAML files (or every *.yaml in a directory) as immutable versions. "
        "Loading an identical file again does nothing; a changed file under a loaded slug and "
        "version is refused. All files load or none does."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_loader_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        from governance.risk.services import methodologies_load

        actor = loader_actor(options["user"])
        files = read_yaml_files(options["paths"], what="methodology")
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
