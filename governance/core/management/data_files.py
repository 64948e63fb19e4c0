"""What the commands that load versioned data files (methodologies, frameworks) share."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import CommandError, CommandParser


def add_loader_arguments(parser: CommandParser) -> None:
    parser.add_argument("paths", nargs="+", metavar="PATH")
    parser.add_argument(
        "--user", help="Username recorded as the loader (default: the system)", default=""
    )


def loader_actor(username: str) -> Any:
    """The active user named by --user, or None (the system) when none is named."""
    if not username:
        return None
    actor = get_user_model().objects.filter(username=username, is_active=True).first()
    if actor is None:
        raise CommandError(f"--user: no active user {username!r}")
    return actor


def read_yaml_files(
    raw_paths: Sequence[str], *, what: str, full_names: bool = False
) -> list[tuple[str, bytes]]:
    """(name, content) of each file named, or of every *.yaml in a directory named.

    `full_names` keeps the path as given, so errors can name the file the person typed.
    """
    files = []
    for raw in raw_paths:
        path = Path(raw)
        paths = sorted(path.glob("*.yaml")) if path.is_dir() else [path]
        for item in paths:
            try:
                files.append((str(item) if full_names else item.name, item.read_bytes()))
            except OSError as exc:
                raise CommandError(f"{item}: cannot be read ({exc.strerror})") from None
    if not files:
        raise CommandError(f"No {what} files found.")
    return files
