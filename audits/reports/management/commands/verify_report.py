from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from pyhanko.keys import load_cert_from_pemder

from audits.reports.signing import check_pdf_signature
from audits.reports.verification import report_facts, verify_offline


class Command(BaseCommand):
    help = (
        "Check a report PDF without the web service: was it issued here (SHA-256), is its "
        "signature intact, does the embedded evidence match the recorded hash, and is the "
        "frozen ledger head in the ledger. Exit status 0 only when every check passes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="The PDF to check")
        parser.add_argument(
            "--cert",
            help="Trust this certificate (PEM) instead of the configured signing certificate",
        )
        parser.add_argument("--json", action="store_true", help="Print the result as JSON")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"file: {path} does not exist or is not a file")
        content = path.read_bytes()
        result = verify_offline(content)
        if options["cert"]:
            try:
                root = load_cert_from_pemder(options["cert"])
            except Exception as exc:
                raise CommandError(f"--cert: cannot read {options['cert']}: {exc}") from exc
            result.signature = check_pdf_signature(content, roots=[root])
        if options["json"]:
            self.stdout.write(json.dumps(result.as_dict(), indent=2))
        else:
            self._print(result)
        if not result.all_checks_pass:
            raise CommandError("verification failed" if result.issued else "unknown document")

    def _print(self, result: Any) -> None:
        write = self.stdout.write
        write(f"SHA-256     {result.sha256}")
        if result.issued:
            facts = report_facts(result.report)
            write(f"Verdict     ISSUED: {facts['title']}")
            write(f"Report      {facts['id']} ({facts['kind']})")
            who = facts["requested_by"]
            write(f"Requested   {facts['requested_at']} by {who['name']} ({who['username']})")
            write(f"Generated   {facts['generated_at']}")
            newer = result.superseded_by
            write(f"Superseded  {'yes, by ' + str(newer.pk) if newer else 'no'}")
        else:
            write("Verdict     UNKNOWN: no report issued here has this SHA-256")
        if result.signature is not None:
            write(f"Signature   {result.signature.status}: {result.signature.summary}")
        for name, ok, detail in result.checks:
            write(f"{'ok  ' if ok else 'FAIL'}        {name} ({detail})")
