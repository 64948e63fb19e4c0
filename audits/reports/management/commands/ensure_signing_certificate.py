from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audits.reports.devcert import create_development_pair
from governance.core.signing_key import DEV_CERT_NAME, DEV_KEY_NAME


class Command(BaseCommand):
    help = (
        "Create a self-signed development key and certificate for signing reports under "
        "var/signing/ when none is configured. Refuses in production."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.REPORT_SIGNING_KEY or settings.REPORT_SIGNING_CERT:
            self.stdout.write("A signing key is configured (REPORT_SIGNING_KEY); nothing to do.")
            return
        if settings.PRODUCTION:
            raise CommandError(
                "Production needs a real key: set REPORT_SIGNING_KEY and REPORT_SIGNING_CERT. "
                "A development certificate is never created in production."
            )
        folder = Path(settings.REPORT_DEV_SIGNING_DIR)
        if (folder / DEV_KEY_NAME).is_file() and (folder / DEV_CERT_NAME).is_file():
            self.stdout.write(f"Development signing certificate present in {folder}.")
            return
        create_development_pair(folder, settings.REPORT_ORGANISATION)
        self.stdout.write(
            f"Created a self-signed development signing certificate in {folder}. "
            "Reports signed with it say so; production refuses it."
        )
