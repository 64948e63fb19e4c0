"""Page speed on the large portfolio: the overview, the portfolio list, a deployment page.

    .venv/bin/python bench/pages.py [--repeat 20] [--deployments 10000] [--events 1000000]

Uses the database `bench/seed_large.py` builds (and builds it first when it is missing or
smaller than asked). Serves the product with gunicorn (2 sync workers, production settings
but DEBUG off and a local host name) and times each page as a logged-in person loads it over
loopback: 3 warm-up requests, then the median and 90th percentile of `--repeat` requests one
after another. The query count of each page is taken in-process on the same data, with
Django's test client.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import seed_large
from bench.common import PYTHON, ROOT, gunicorn, machine, migrate, setup_django, write_section

PORT = 8771
TARGET_MS = 300


def _deployment_count(url: str) -> int:
    import psycopg

    try:
        with psycopg.connect(url.replace("postgres://", "postgresql://"), connect_timeout=5) as c:
            return int(c.execute("SELECT count(*) FROM inventory_deployment").fetchone()[0])
    except psycopg.Error:
        return -1


def _ensure_data(deployments: int, events: int) -> str:
    url = seed_large.database_url()
    if _deployment_count(url) < deployments:
        print(f"seeding {deployments:,} deployments and {events:,} events", flush=True)
        from bench.common import fresh_postgres_database

        fresh_postgres_database(seed_large.DB_NAME)
        migrate(url)
        subprocess.run(
            [
                PYTHON,
                "-c",
                "import sys; sys.path.insert(0, '.');"
                "from bench import seed_large; seed_large.environment();"
                f"seed_large.seed({url!r}, {deployments}, {events})",
            ],
            cwd=ROOT,
            check=True,
        )
    return url


def _pages() -> tuple[list[tuple[str, str, str]], dict[str, str]]:
    """(label, person, path) of each timed page, and a session cookie for each person."""
    from django.test import Client

    from governance.accounts.models import User
    from governance.inventory.models import Deployment

    deployment = (
        Deployment.objects.filter(status="active", approval_requests__status="approved")
        .order_by("created_at")
        .first()
    )
    assert deployment is not None, "the seed has no active, approved deployment"
    pages = [
        ("Compliance overview", "compliance_officer0", "/overview/"),
        ("Portfolio list", "compliance_officer0", "/portfolio/"),
        ("Portfolio list, sorted by tier", "compliance_officer0", "/portfolio/?sort=-tier"),
        ("Portfolio list, orphaned only", "compliance_officer0", "/portfolio/?orphaned=yes"),
        ("Deployment page", "compliance_officer0", f"/deployments/{deployment.pk}/"),
        ("Deployment history tab", "compliance_officer0", f"/deployments/{deployment.pk}/history/"),
        ("Reviewer home", "reviewer0", "/home/reviewer/"),
        ("Requester home", "requester0", "/home/requester/"),
        ("Search", "compliance_officer0", "/search/?q=credit"),
    ]
    cookies = {}
    for person in {p for _, p, _ in pages}:
        client = Client()
        client.force_login(User.objects.get(username=person))
        cookies[person] = client.cookies["sessionid"].value
    return pages, cookies


def _query_counts(pages: list[tuple[str, str, str]]) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from governance.accounts.models import User

    counts = {}
    for label, person, path in pages:
        client = Client()
        client.force_login(User.objects.get(username=person))
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        counts[label] = len(queries)
    return counts


def _get(url: str, cookie: str) -> float:
    request = urllib.request.Request(url, headers={"Cookie": f"sessionid={cookie}"})  # noqa: S310
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
        response.read()
        assert response.status == 200, url
    return time.perf_counter() - started


def _wait_for(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2).read()  # noqa: S310
            return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer")


def _serve(url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "GOVERNANCE_VAR_DIR": str(seed_large.VAR_DIR),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    return gunicorn(PORT, env)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--deployments", type=int, default=10_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()
    seed_large.environment()
    url = _ensure_data(args.deployments, args.events)
    setup_django(url)
    from governance.inventory.models import Deployment
    from governance.ledger.models import LedgerEvent

    sizes = (Deployment.objects.count(), LedgerEvent.objects.count())
    pages, cookies = _pages()
    counts = _query_counts(pages)
    load = os.getloadavg()[0]
    server = _serve(url)
    results: dict[str, tuple[float, float]] = {}
    try:
        base = f"http://127.0.0.1:{PORT}"
        _wait_for(f"{base}/accounts/login/")
        for label, person, path in pages:
            for _ in range(3):
                _get(base + path, cookies[person])
            times = sorted(_get(base + path, cookies[person]) for _ in range(args.repeat))
            results[label] = (statistics.median(times), times[int(len(times) * 0.9) - 1])
            print(f"  {label}: {results[label][0] * 1000:.0f} ms", flush=True)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    targeted = {"Compliance overview", "Portfolio list", "Deployment page"}
    shown = {label: re.sub(r"[0-9a-f-]{36}", "{id}", path) for label, _, path in pages}
    rows = "\n".join(
        f"| {label} | `{shown[label]}` | {counts[label]} "
        f"| {results[label][0] * 1000:.0f} ms | {results[label][1] * 1000:.0f} ms "
        f"| {'≤ ' + str(TARGET_MS) + ' ms' if label in targeted else '—'} |"
        for label, _, path in pages
    )
    met = all(results[label][0] * 1000 <= TARGET_MS for label in targeted)
    write_section(
        "pages",
        f"""
## Pages on the large portfolio (`bench/pages.py`)

Command: `.venv/bin/python bench/pages.py --repeat {args.repeat}` on {machine()}
(load average {load:.1f} when it started): gunicorn with 2 sync workers on PostgreSQL
127.0.0.1, {sizes[0]:,} deployments and {sizes[1]:,} ledger events from
`bench/seed_large.py`, a logged-in person per page, requests one after another over loopback
after 3 warm-up requests. Queries counted in-process on the same data.

| page | path | queries | median | p90 | target |
|---|---|---|---|---|---|
{rows}

Target {"met" if met else "NOT met"}: the overview, the portfolio list and a deployment page
each render in at most {TARGET_MS} ms (median). The same pages run the same number of
queries on the small test data (`tests/governance/dashboard`), whatever the size.
""",
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
