"""Findings at scale: the findings list and the compliance overview with 100,000 findings.

    .venv/bin/python bench/findings.py [--repeat 20] [--deployments 10000] [--findings 100000]

Builds a fresh PostgreSQL database (governance_bench_findings unless `--database` names
another) with `bench/seed_large.py`'s portfolio, then bulk-inserts findings spread over the
deployments: every severity and state, a quarter of the active ones overdue, owners among
the requesters and reviewers. Serves the product with gunicorn (2 sync workers) and times
each page as a logged-in compliance officer loads it over loopback: 3 warm-up requests, then
the median and 90th percentile of `--repeat` requests. Query counts are taken in-process on
the same data with Django's test client.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import seed_large
from bench.common import (
    PYTHON,
    ROOT,
    fresh_postgres_database,
    gunicorn,
    machine,
    migrate,
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


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--deployments", type=int, default=10_000)
    parser.add_argument("--findings", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--database", default=DB_NAME)
    args = parser.parse_args()
    seed_large.environment()
    url = _prepare(args.database, args.deployments, args.findings, args.events)
    setup_django(url)
    from django.test import Client

    from governance.accounts.models import User
    from governance.findings.models import Finding
    from governance.inventory.models import Deployment

    sizes = (Deployment.objects.count(), Finding.objects.count())
    person = "compliance_officer0"
    pages: list[tuple[str, str, str]] = [
        ("Findings list", person, "/findings/"),
        (
            "Findings list, open high overdue",
            person,
            "/findings/?open=yes&severity=high&overdue=yes",
        ),
        ("Findings list, sorted by severity", person, "/findings/?sort=-severity"),
        ("Findings API list", person, "/api/v1/findings/"),
        ("Compliance overview", person, "/overview/"),
    ]
    counts = _query_counts(pages)
    client = Client()
    client.force_login(User.objects.get(username=person))
    cookie = client.cookies["sessionid"].value
    load = os.getloadavg()[0]
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "GOVERNANCE_VAR_DIR": str(seed_large.VAR_DIR),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    server = gunicorn(PORT, env)
    results: dict[str, tuple[float, float]] = {}
    try:
        base = f"http://127.0.0.1:{PORT}"
        _wait_for(f"{base}/accounts/login/")
        for label, _, path in pages:
            for _ in range(3):
                _get(base + path, cookie)
            times = sorted(_get(base + path, cookie) for _ in range(args.repeat))
            results[label] = (statistics.median(times), times[max(int(len(times) * 0.9) - 1, 0)])
            print(f"  {label}: {results[label][0] * 1000:.0f} ms", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    rows = "\n".join(
        f"| {label} | `{path}` | {counts[label]} | {results[label][0] * 1000:.0f} ms "
        f"| {results[label][1] * 1000:.0f} ms |"
        for label, _, path in pages
    )
    met = all(median * 1000 <= TARGET_MS for median, _ in results.values())
    write_section(
        "findings",
        f"""
## Findings at scale (`bench/findings.py`)

Command: `.venv/bin/python bench/findings.py --repeat {args.repeat} --deployments
{args.deployments} --findings {args.findings}` on {machine()} (load average {load:.1f} when
it started): gunicorn with 2 sync workers on PostgreSQL 127.0.0.1, {sizes[0]:,} deployments
and {sizes[1]:,} findings in every severity and state, a logged-in compliance officer,
requests one after another over loopback after 3 warm-up requests. Queries counted
in-process on the same data.

| page | path | queries | median | p90 |
|---|---|---|---|---|
{rows}

Target of {TARGET_MS} ms (median) per page {"met" if met else "NOT met"}. The same pages run
the same number of queries on small data (`tests/governance/findings`), whatever the size.
""",
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    started = time.perf_counter()
    main()
    print(f"done in {time.perf_counter() - started:.0f} s")
