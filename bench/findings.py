"""Findings at scale: the findings list and the compliance overview with 100,000 findings.

    .venv/bin/python bench/findings.py [--repeat 20] [--deployments 10000] [--findings 100000]
        [--small-deployments 1000] [--small-findings 10000] [--database NAME] [--port 8773]

Two sizes in one run, so the section shows that the query counts do not grow with the data:
for each, a fresh PostgreSQL database (`--database`, and `--database` + `_small`) gets
`bench/seed_large.py`'s portfolio (bulk inserts, ledger written with COPY), then bulk-inserted
findings spread over the deployments: every severity and state, a share of the active ones
overdue, owners among the requesters and reviewers. Findings are inserted as rows (no ledger
events of their own: none of the measured pages reads a finding's timeline). A child process
per size serves the product with gunicorn (2 sync workers) and times each page as a logged-in
compliance officer loads it over loopback: 3 warm-up requests, then the median and 90th
percentile of `--repeat` requests. Query counts are taken in-process on the same data with
Django's test client.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
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

PORT = 8773
DB_NAME = "governance_bench_findings"
TARGET_MS = 300
STATES = [
    ("open", 30),
    ("in_remediation", 20),
    ("resolved", 8),
    ("verified", 4),
    ("closed", 30),
    ("risk_accepted", 5),
    ("reopened", 3),
]
SEVERITIES = [("low", 30), ("medium", 40), ("high", 22), ("critical", 8)]


def _pick(rng: random.Random, shares: list[tuple[str, int]]) -> str:
    return rng.choices([s for s, _ in shares], weights=[w for _, w in shares])[0]


def seed_findings(total: int) -> None:
    """Bulk-insert `total` findings (no ledger events: only the reads are measured)."""
    from django.db import transaction
    from django.utils import timezone

    from governance.accounts.models import User
    from governance.findings.models import Finding
    from governance.findings.services import current_policy
    from governance.inventory.models import Deployment

    rng = random.Random(20261201)
    policy = current_policy()
    deployments = list(Deployment.objects.exclude(status="retired").values_list("pk", flat=True))
    owners = list(
        User.objects.filter(role_grants__role__in=["requester", "reviewer"]).values_list(
            "pk", flat=True
        )
    )
    today = timezone.localdate()
    now = timezone.now()
    rows = []
    for n in range(total):
        severity, state = _pick(rng, SEVERITIES), _pick(rng, STATES)
        due = today + dt.timedelta(days=rng.randint(-120, 180))
        rows.append(
            Finding(
                deployment_id=rng.choice(deployments),
                source_kind=rng.choice(["manual", "bias_audit", "risk_register"]),
                source_ref=f"bench-{n}",
                automatic=False,
                severity=severity,
                title=f"Bench finding {n}: control gap in review",
                owner_id=rng.choice(owners),
                due_date=due,
                policy=policy,
                state=state,
                state_changed_at=now,
                risk_accepted_until=due + dt.timedelta(days=200)
                if state == "risk_accepted"
                else None,
            )
        )
    with transaction.atomic():
        Finding.objects.bulk_create(rows, batch_size=seed_large.BATCH)
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE findings_finding")


def _prepare(database: str, deployments: int, findings: int, events: int) -> str:
    url = fresh_postgres_database(database)
    migrate(url)
    subprocess.run(
        [
            PYTHON,
            "-c",
            "import sys; sys.path.insert(0, '.');"
            "from bench import seed_large; seed_large.environment();"
            f"seed_large.seed({url!r}, {deployments}, {events});"
            f"from bench.findings import seed_findings; seed_findings({findings})",
        ],
        cwd=ROOT,
        check=True,
    )
    return url


PERSON = "compliance_officer0"
PAGES: list[tuple[str, str]] = [
    ("Findings list", "/findings/"),
    ("Findings list, open high overdue", "/findings/?open=yes&severity=high&overdue=yes"),
    ("Findings list, sorted by severity", "/findings/?sort=-severity"),
    ("Findings API list", "/api/v1/findings/"),
    ("Compliance overview", "/overview/"),
]


def measure(url: str, port: int, repeat: int) -> dict[str, object]:
    """Time the pages on one database through gunicorn; count their queries in-process."""
    seed_large.environment()
    setup_django(url)
    from django.test import Client

    from governance.accounts.models import User
    from governance.findings.models import Finding
    from governance.inventory.models import Deployment

    sizes = [Deployment.objects.count(), Finding.objects.count()]
    counts = _query_counts([(label, PERSON, path) for label, path in PAGES])
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
        for label, path in PAGES:
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
        "counts": counts,
        "results": results,
        "load_before": load,
        "load_after": os.getloadavg()[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--deployments", type=int, default=10_000)
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--small-deployments", type=int, default=1_000)
    parser.add_argument("--small-findings", type=int, default=10_000)
    parser.add_argument("--small-events", type=int, default=10_000)
    parser.add_argument("--database", default=DB_NAME, help="PostgreSQL database (dropped first)")
    parser.add_argument("--port", type=int, default=PORT)
    parser.add_argument("--measure", metavar="DATABASE_URL", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:  # the child process of one size
        print(json.dumps(measure(args.measure, args.port, args.repeat)))
        return
    seed_large.environment()
    runs: list[dict[str, Any]] = []
    for database, deployments, findings, events in (
        (f"{args.database}_small", args.small_deployments, args.small_findings, args.small_events),
        (args.database, args.deployments, args.findings, args.events),
    ):
        started = time.perf_counter()
        url = _prepare(database, deployments, findings, events)
        seeded = time.perf_counter() - started
        print(f"  {database}: seeded in {seeded:.0f} s", flush=True)
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
        run["seeded"] = seeded
        runs.append(run)
    small, large = runs
    rows = "\n".join(
        f"| {label} | `{path}` | {small['counts'][label]} | {large['counts'][label]} "
        f"| {small['results'][label][0]:.0f} ms | {large['results'][label][0]:.0f} ms "
        f"| {large['results'][label][1]:.0f} ms |"
        for label, path in PAGES
    )
    missed = [label for label, _ in PAGES if large["results"][label][0] > TARGET_MS]
    flat = all(small["counts"][label] == large["counts"][label] for label, _ in PAGES)
    verdict = (
        f"**met** by every page at {large['sizes'][0]:,} deployments and "
        f"{large['sizes'][1]:,} findings"
        if not missed
        else f"**NOT met** by {', '.join(missed)}"
    )
    write_section(
        "findings",
        f"""
## Findings at scale (`bench/findings.py`)

Command: `.venv/bin/python bench/findings.py --repeat {args.repeat} --deployments
{args.deployments} --findings {args.findings} --small-deployments {args.small_deployments}
--small-findings {args.small_findings} --database {args.database} --port {args.port}` on
{machine()}: gunicorn with 2 sync workers on
PostgreSQL 127.0.0.1, a logged-in compliance officer, requests one after another over
loopback after 3 warm-up requests. Queries counted in-process on the same data.

Data: `bench/seed_large.py`'s portfolio (people, systems, deployments in every state, risk
assessments, owners, approvals, bias audits, risks, gate decisions and a valid ledger chain
of {args.small_events:,} and {args.events:,} events, all bulk-inserted), then findings
bulk-inserted as the findings services would leave them: every severity and state, due dates
from 120 days past to 180 days ahead (so many active ones are overdue), owners among the
requesters and reviewers, under the current severity policy. Findings get no ledger events
of their own: none of these pages reads a finding's timeline. Seeding took
{small["seeded"]:.0f} s and {large["seeded"]:.0f} s (fresh database and migrations included).

| page | path | queries, small | queries, large | median, small | median, large | p90, large |
|---|---|---|---|---|---|---|
{rows}

Small: {small["sizes"][0]:,} deployments and {small["sizes"][1]:,} findings, load average
(1 min) {small["load_before"]:.1f} before and {small["load_after"]:.1f} after. Large:
{large["sizes"][0]:,} deployments and {large["sizes"][1]:,} findings, load average
{large["load_before"]:.1f} before and {large["load_after"]:.1f} after. The machine is
shared; other work ran alongside.

Target of {TARGET_MS} ms (median, large data) per page {verdict}. Query counts
{"are the same at both sizes" if flat else "DIFFER between the sizes"}.

How the pages read: the list takes its page of 25 from the findings table alone (in due-date
order through an index, or by severity with a top-N sort), then the page's deployments,
versions, systems and owners by primary key; the figures above it are one aggregate over the
open findings. The overview's findings panel is that aggregate and the first six findings to
act on, picked in a subquery before anything is joined; the rest of the overview is the
other rooms' panels.
""",
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    started = time.perf_counter()
    main()
    if "--measure" not in sys.argv:  # a child's last line is its JSON result
        print(f"done in {time.perf_counter() - started:.0f} s")
