"""Obligations at scale: the Obligations tab and the coverage page at 10,000 deployments.

    python bench/obligations.py [--repeat 20] [--deployments 10000] [--small-deployments 1000]
        [--events 20000] [--database NAME] [--port 8774]

Two sizes in one run, so the section shows that query counts do not grow with the data: for
each, a fresh PostgreSQL database gets `bench/seed_large.py`'s portfolio, the shipped
framework library (loaded by `migrate`), and then every deployment's kept statuses computed by
the daily refresh (`obligations_refresh_all`, timed). A child process per size serves the
product with gunicorn (2 sync workers) and times each page as a logged-in compliance officer
loads it over loopback: 3 warm-up requests, then the median and 90th percentile of `--repeat`
requests. Query counts are taken in-process on the same data with Django's test client.
Statuses are read from the kept rows; nothing is evaluated per page view.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import seed_large
from bench.common import (
    PYTHON,
    ROOT,
    fresh_postgres_database,
    gunicorn,
    machine,
    migrate,
    run_json,
    setup_django,
    write_section,
)
from bench.pages import _get, _query_counts, _wait_for

PORT = 8774
DB_NAME = "governance_bench_obligations"
TARGET_MS = 300
PERSON = "compliance_officer0"


def refresh_all() -> float:
    """Compute every deployment's statuses as the daily job does; returns seconds taken."""
    from django.db import connection

    from governance.obligations.services import obligations_refresh_all

    started = time.perf_counter()
    obligations_refresh_all()
    took = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE obligations_deploymentobligation")
        cursor.execute("ANALYZE obligations_obligationsummary")
    return took


def _prepare(database: str, deployments: int, events: int) -> tuple[str, float]:
    url = fresh_postgres_database(database)
    migrate(url)
    out = subprocess.run(
        [
            PYTHON,
            "-c",
            "import sys; sys.path.insert(0, '.');"
            "from bench import seed_large; seed_large.environment();"
            f"seed_large.seed({url!r}, {deployments}, {events});"
            "from bench.obligations import refresh_all; print(refresh_all())",
        ],
        cwd=ROOT,
        check=True,
        stdout=subprocess.PIPE,
        text=True,
    )
    return url, float(out.stdout.strip().splitlines()[-1])


def _pages() -> list[tuple[str, str]]:
    """The busiest active deployment's tab (most applicable requirements), and coverage."""
    from django.db.models import Count, Q

    from governance.inventory.models import Deployment

    busiest = (
        Deployment.objects.filter(status="active")
        .annotate(applicable=Count("obligations", filter=Q(obligations__applies=True)))
        .order_by("-applicable", "pk")
        .values_list("pk", flat=True)
        .first()
    )
    return [
        ("Obligations tab", f"/deployments/{busiest}/obligations/"),
        ("Obligations tab, with what does not apply", f"/deployments/{busiest}/obligations/?all=1"),
        ("Obligations API", f"/api/v1/deployments/{busiest}/obligations/"),
        ("Coverage by business unit", "/obligations/coverage/"),
        ("Coverage by risk tier", "/obligations/coverage/?by=tier"),
    ]


def measure(url: str, port: int, repeat: int) -> dict[str, object]:
    """Time the pages on one database through gunicorn; count their queries in-process."""
    seed_large.environment()
    setup_django(url)
    from django.test import Client

    from governance.accounts.models import User
    from governance.inventory.models import Deployment
    from governance.obligations.models import DeploymentObligation

    pages = _pages()
    sizes = [Deployment.objects.count(), DeploymentObligation.objects.count()]
    counts = _query_counts([(label, PERSON, path) for label, path in pages])
    client = Client()
    client.force_login(User.objects.get(username=PERSON))
    cookie = client.cookies["sessionid"].value
    load = os.getloadavg()[0]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "GOVERNANCE_VAR_DIR": str(seed_large.VAR_DIR),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    server = gunicorn(port, env)
    results: dict[str, list[float]] = {}
    try:
        base = f"http://127.0.0.1:{port}"
        _wait_for(f"{base}/accounts/login/")
        for label, path in pages:
            for _ in range(3):
                _get(base + path, cookie)
            times = sorted(_get(base + path, cookie) for _ in range(repeat))
            results[label] = [
                statistics.median(times) * 1000,
                times[max(int(len(times) * 0.9) - 1, 0)] * 1000,
            ]
            print(f"  {label}: {results[label][0]:.0f} ms", file=sys.stderr, flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    return {
        "sizes": sizes,
        "pages": pages,
        "counts": counts,
        "results": results,
        "load_before": load,
        "load_after": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--deployments", type=int, default=10_000)
    parser.add_argument("--small-deployments", type=int, default=1_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--database", default=DB_NAME, help="PostgreSQL database (dropped first)")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--measure", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child process of one size
        print(json.dumps(measure(args.measure, args.port, args.repeat)))
        return
    seed_large.environment()
    runs: list[dict[str, Any]] = []
    for database, deployments in (
        (f"{args.database}_small", args.small_deployments),
        (args.database, args.deployments),
    ):
        started = time.perf_counter()
        url, refreshed = _prepare(database, deployments, args.events)
        seeded = time.perf_counter() - started
        print(f"  {database}: seeded in {seeded:.0f} s (refresh {refreshed:.0f} s)", flush=True)
        run = run_json(
            [
                PYTHON,
                __file__,
                "--measure",
                url,
                "--port",
                str(args.port),
                "--repeat",
                str(args.repeat),
            ]
        )
        run["seeded"], run["refreshed"] = seeded, refreshed
        runs.append(run)
    small, large = runs
    labels = [label for label, _ in large["pages"]]
    rows = "\n".join(
        f"| {label} | {small['counts'][label]} | {large['counts'][label]} "
        f"| {small['results'][label][0]:.0f} ms | {large['results'][label][0]:.0f} ms "
        f"| {large['results'][label][1]:.0f} ms |"
        for label in labels
    )
    missed = [label for label in labels if large["results"][label][0] > TARGET_MS]
    flat = all(small["counts"][label] == large["counts"][label] for label in labels)
    verdict = (
        f"**met** by every page at {large['sizes'][0]:,} deployments"
        if not missed
        else f"**NOT met** by {', '.join(missed)}"
    )
    write_section(
        "obligations",
        f"""
## Obligations at scale (`bench/obligations.py`)

Command: `python bench/obligations.py --repeat {args.repeat} --deployments {args.deployments}
--small-deployments {args.small_deployments} --events {args.events} --database
{args.database} --port {args.port}` on {machine()}: gunicorn with 2 sync workers on
PostgreSQL 127.0.0.1, a logged-in compliance officer, requests one after another over
loopback after 3 warm-up requests. Queries counted in-process on the same data.

Data: `bench/seed_large.py`'s portfolio with a ledger of {args.events:,} events, the shipped
framework library (EU AI Act, NIST AI RMF, ISO/IEC 42001 Annex A, NYC LL144, loaded by
`migrate`), then every deployment's kept statuses computed by the daily refresh:
{small["sizes"][1]:,} status rows for {small["sizes"][0]:,} deployments in
{small["refreshed"]:.0f} s, {large["sizes"][1]:,} rows for {large["sizes"][0]:,} deployments in
{large["refreshed"]:.0f} s. Seeding took {small["seeded"]:.0f} s and {large["seeded"]:.0f} s in
all. The tab is the active deployment with the most applicable requirements.

| page | queries, small | queries, large | median, small | median, large | p90, large |
|---|---|---|---|---|---|
{rows}

Load average (1 min): {small["load_before"]:.1f} → {small["load_after"]:.1f} (small),
{large["load_before"]:.1f} → {large["load_after"]:.1f} (large). The machine is shared; other
work ran alongside.

Target of {TARGET_MS} ms (median, large data) per page {verdict}. Query counts
{"are the same at both sizes" if flat else "DIFFER between the sizes"}.

How the pages read: the tab reads the deployment's kept status rows (one per requirement of
the current framework versions) with their requirements and counterparts, nothing evaluated;
the coverage page sums `ObligationSummary` rows (one per deployment and framework, written with
the status rows) grouped by business unit or tier, one aggregate query.
""",
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    started = time.perf_counter()
    main()
    if "--measure" not in sys.argv:  # a child's last line is its JSON result
        print(f"done in {time.perf_counter() - started:.0f} s")
