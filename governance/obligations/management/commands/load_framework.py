from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from governance.core.management.data_files import (
    add_loader_arguments,
    loader_actor,
    read_yaml_files,
)


class Command(BaseCommand):
    help = (
        "Load framework YAML files (or every *.yaml in a directory) as immutable, hashed "
        "versions. Loading an identical file again does nothing; a changed file under a "
        "loaded slug and version is refused. All files load or none does; every problem is "
        "reported with its file and line."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_loader_arguments(parser)

    def handle(self, *args: Any, **options: Any) -> None:
        from governance.obligations.library import FrameworkFileError
        from governance.obligations.services.frameworks import frameworks_load

        actor = loader_actor(options["user"])
        files = read_yaml_files(options["paths"], what="framework", full_names=True)
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
