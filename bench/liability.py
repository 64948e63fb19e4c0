"""Accountability benchmark: the portfolio matrix as the portfolio grows, and signing latency.

    .venv/bin/python bench/liability.py [--sizes 1000 10000]

Runs against a fresh PostgreSQL database (127.0.0.1, user postgres). For each portfolio size
it times the matrix page (HTML, one page of 50 rows), the "what am I accountable for?"
filter, and the full CSV export, and counts the page's queries, which must not grow.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    ROOT,
    fresh_postgres_database,
    machine,
    median_seconds,
    migrate,
    setup_django,
    write_section,
)

DB_NAME = "governance_bench_liability"
# A throw-away account in a throw-away database.
BENCH_PASSWORD = os.environ.get("BENCH_PASSWORD", "bench-password-123")


def grow_portfolio(total: int, owner: object) -> None:
    """Add deployments until there are `total`, half owned, with defaults and overrides."""
    from django.utils import timezone

    from governance.inventory.models import AISystem, Deployment, ModelVersion
    from governance.liability.models import (
        AccountabilityAssignment,
        Ownership,
        OwnershipOffer,
        Party,
    )

    existing = Deployment.objects.count()
    if existing >= total:
        return
    n = Deployment.objects.values("model_version__system").distinct().count()
    system = AISystem.objects.create(name=f"Bench system {n}", purpose="bench", created_by=owner)
    version = ModelVersion.objects.create(
        system=system,
        version_label="1.0",
        artifact_uri="s3://bench",
        artifact_sha256=f"{n:064x}",
        created_by=owner,
    )
    deployments = Deployment.objects.bulk_create(
        [
            Deployment(
                model_version=version,
                environment=f"env-{existing + i}",
                hosting="cloud",
                region="eu",
                rollout_pattern="full",
                fingerprint="0" * 64,
                created_by=owner,
            )
            for i in range(total - existing)
        ],
        batch_size=2000,
    )
    now = timezone.now()
    offers = OwnershipOffer.objects.bulk_create(
        [
            OwnershipOffer(
                deployment=d,
                to_user=owner,
                offered_by=owner,
                reason="bench",
                status="accepted",
                decided_at=now,
            )
            for d in deployments[::2]
        ],
        batch_size=2000,
    )
    Ownership.objects.bulk_create(
        [
            Ownership(
                deployment=o.deployment,
                user=owner,
                offer=o,
                statement="I accept.",
                printed_name="Bench Owner",
                accepted_at=now,
                fingerprint="0" * 64,
                signature_hash="0" * 64,
            )
            for o in offers
        ],
        batch_size=2000,
    )
    team, _ = Party.objects.get_or_create(kind="team", name="Bench team")
    vendor, _ = Party.objects.get_or_create(kind="vendor", name="Bench vendor")
    today = timezone.localdate()
    AccountabilityAssignment.objects.bulk_create(
        [
            AccountabilityAssignment(
                system=system, party=team, raci="responsible", scope=s, effective_from=today
            )
            for s in ("model_performance", "security", "fairness", "incident_response")
        ]
        + [
            AccountabilityAssignment(
                deployment=d,
                party=vendor,
                raci="responsible",
                scope="security",
                effective_from=today,
            )
            for d in deployments[::3]
        ],
        batch_size=2000,
    )


def measure(client: object, owner: object) -> dict[str, float]:
    from django.db import connection

    url = "/accountability/"
    mine = {"person": str(owner.pk), "raci": "accountable"}  # type: ignore[attr-defined]
    executed: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)  # type: ignore[attr-defined]
    page = median_seconds(lambda: client.get(url))  # type: ignore[attr-defined]
    filtered = median_seconds(lambda: client.get(url, mine))  # type: ignore[attr-defined]

    def export() -> None:
        response = client.get(url, {"format": "csv"})  # type: ignore[attr-defined]
        for _ in response.streaming_content:
            pass

    csv_seconds = median_seconds(export, repeat=3)
    return {
        "queries": len(executed),
        "page": page,
        "filtered": filtered,
        "csv": csv_seconds,
    }


def signing_latency(owner: object) -> float:
    from django.test import RequestFactory

    from governance.inventory.models import Deployment
    from governance.liability import services
    from governance.liability.models import Ownership

    free = Deployment.objects.exclude(
        pk__in=Ownership.objects.filter(ended_at__isnull=True).values("deployment")
    )[:5]
    times = []
    for deployment in free:
        offer = services.ownership_offer_create(
            deployment=deployment, to_user=owner, reason="bench", actor=owner
        )
        started = time.perf_counter()
        services.ownership_offer_accept(
            offer=offer,
            actor=owner,  # type: ignore[arg-type]
            statement="I accept.",
            password=BENCH_PASSWORD,
            request=RequestFactory().post("/"),
        )
        times.append(time.perf_counter() - started)
    times.sort()
    return times[len(times) // 2]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    args = parser.parse_args()

    url = fresh_postgres_database(DB_NAME)
    migrate(url)
    setup_django(url)
    from django.test import Client

    from governance.accounts.services import user_create

    owner = user_create(
        username="bench-owner",
        password=BENCH_PASSWORD,
        roles=["requester"],
        first_name="Bench",
        last_name="Owner",
    )
    client = Client()
    client.force_login(owner)
    rows = []
    for size in args.sizes:
        grow_portfolio(size, owner)
        result = measure(client, owner)
        rows.append((size, result))
    signing = signing_latency(owner)

    table = "\n".join(
        f"| {size:,} | {r['queries']:.0f} | {r['page'] * 1000:,.0f} ms | "
        f"{r['filtered'] * 1000:,.0f} ms | {r['csv']:.2f} s |"
        for size, r in rows
    )
    write_section(
        "liability",
        f"""
## Accountability matrix (`bench/liability.py`)

Command: `.venv/bin/python bench/liability.py --sizes {" ".join(map(str, args.sizes))}`
on {machine()}, PostgreSQL 127.0.0.1, medians of 5 page loads (3 exports).

| deployments | queries per page | matrix page (50 rows) | "what am I accountable for?" | CSV export, all rows |
|---|---|---|---|---|
{table}

Accepting an ownership offer (password re-check with the production hasher, row locks,
ledger events): median {signing * 1000:,.0f} ms over 5 acceptances.

The page's query count is the same at every size: owners, effective assignments and
Art 25 shifts are each one query for the page's rows. The CSV export reads deployments in
chunks of 500 and runs the same three queries per chunk.
""",
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
