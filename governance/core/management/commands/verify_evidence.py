from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from governance.core.evidence import check_evidence, registered_evidence


class Command(BaseCommand):
    help = (
        "Re-hash every stored evidence file (bias audit data, reports, exports, ...) against "
        "its recorded SHA-256. Exits 0 when all are intact; exits 1 naming each missing or "
        "altered file."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        checked, problems = check_evidence()
        for problem in problems:
            self.stderr.write(str(problem))
        kinds = ", ".join(source.label for source in registered_evidence())
        if problems:
            raise CommandError(
                f"evidence NOT intact: {len(problems)} of {checked} files missing or altered",
                returncode=1,
            )
        self.stdout.write(f"evidence intact: {checked} files checked ({kinds})")
