from __future__ import annotations

import importlib
from typing import Any

from django.core.management.base import BaseCommand

from governance.ledger.services import ledger_check_record

# Each room that has demo data contributes a `seed(users)` function, run in this order
# (later rooms build on earlier ones). Every seeder is idempotent.
SEEDERS = (
    "governance.inventory.demo",
    "governance.risk.demo",
    "audits.bias.demo",
    "governance.liability.demo",
    "governance.findings.demo",
    "governance.approvals.demo",
    "governance.monitoring.demo",
    "governance.obligations.demo",
    # Last: a dossier of the live deployment, queued for a worker, reads everything above.
    "audits.reports.demo",
)


class Command(BaseCommand):
    help = "Load a believable demo portfolio and one user per role. Safe to run repeatedly."

    def handle(self, *args: Any, **options: Any) -> None:
        from governance.accounts.demo import DEMO_PASSWORD, DEMO_USERS, ensure_demo_users

        users = ensure_demo_users()
        for module in SEEDERS:
            importlib.import_module(module).seed(users)
        # A first integrity check, so the dashboard shows the chain's state from the start
        # rather than waiting for the hourly job.
        check = ledger_check_record()
        self.stdout.write(
            f"Audit ledger {'intact' if check.ok else 'BROKEN'}: {check.event_count} events."
        )
        self.stdout.write(f"Demo data ready. Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, _name, roles in DEMO_USERS:
            self.stdout.write(f"  {username:<12} {', '.join(roles)}")
