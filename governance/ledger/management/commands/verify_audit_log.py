from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from governance.ledger.verify_checkpoints import verify_ledger


class Command(BaseCommand):
    help = (
        "Verify the whole audit ledger hash chain and hold it against every signed checkpoint "
        "(database and checkpoint log). Exits 0 and prints the event count and head hash when "
        "intact; exits 1 naming the first bad sequence number or checkpoint otherwise."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--database", default="default")

    def handle(self, *args: Any, **options: Any) -> None:
        result = verify_ledger(options["database"])
        if not result.ok:
            raise CommandError(
                f"ledger BROKEN at sequence {result.first_bad_seq}: {result.message}", returncode=1
            )
        self.stdout.write(
            f"ledger intact: {result.event_count} events, head {result.head_hash}, "
            f"{len(result.hashes_at)} checkpoints agree ({result.seconds:.2f} s)"
        )
