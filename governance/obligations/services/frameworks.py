"""Loading framework files: every file of a batch is checked, then new versions are created."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import transaction

from governance.ledger.services import ledger_append
from governance.obligations.library import InstallResult, install_frameworks


def frameworks_load(*, files: Sequence[tuple[str, bytes]], actor: Any) -> list[InstallResult]:
    """Load framework files (name, bytes) as immutable, hashed versions; all or nothing.

    An identical file already loaded is left alone; a new version becomes the current one
    and each new version is ledgered. Raises `library.FrameworkFileError` naming file and
    line for a malformed file, an unknown crosswalk reference or a changed file under a
    loaded version.
    """
    with transaction.atomic():
        results = install_frameworks(files, actor=actor)
        for result in results:
            if not result.created:
                continue
            framework = result.framework
            ledger_append(
                actor=actor,
                action="framework.loaded",
                subject=framework,
                data={
                    "slug": framework.slug,
                    "version": framework.version,
                    "name": framework.name,
                    "sha256": framework.content_sha256,
                    "requirements": result.requirements,
                },
            )
    return results
