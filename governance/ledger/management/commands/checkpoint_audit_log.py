from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from governance.core.signing_key import SigningNotConfigured
from governance.ledger.checkpoints import ledger_checkpoint_take, log_path
from governance.ledger.models import LedgerCheckpoint


class Command(BaseCommand):
    help = (
        "Sign the audit ledger's head with the organisation's key and keep the checkpoint in "
        "the database and the checkpoint log (LEDGER_CHECKPOINT_DIR). Does nothing when no "
        "event was appended since the last checkpoint."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            checkpoint = ledger_checkpoint_take()
        except SigningNotConfigured as exc:
            raise CommandError(str(exc)) from exc
        if checkpoint is None:
            last = LedgerCheckpoint.objects.order_by("-seq").first()
            where = f"checkpoint #{last.seq}" if last else "an empty ledger"
            self.stdout.write(f"No event since {where}; nothing to sign.")
            return
        self.stdout.write(
            f"Checkpoint #{checkpoint.seq} signed: head {checkpoint.head_hash}, "
            f"certificate SHA-256 {checkpoint.certificate_sha256}; appended to {log_path()}."
        )
