"""Monitoring: sustained observation ingestion, and the Monitoring tab with a year of values.

    .venv/bin/python bench/monitoring.py [--clients 4] [--batches 4] [--rounds 3] [--repeat 20]

Builds a fresh PostgreSQL database (governance_bench_monitoring unless `--database` names
another) with the demo data, gives two live deployments a plan of `--metrics` metrics, and
serves the product with gunicorn (2 sync workers) on a free port.

(a) Ingestion: `--clients` client processes each post `--batches` batches of `--points`
points (10,000 by default, the most a call takes) to `POST
/api/v1/deployments/{id}/observations/` with an API token scoped `observations:write`; the
request bodies are built before the clock starts. A round's rate is the points stored divided
by the wall time from the first request to the last answer; the report gives the median of
`--rounds` rounds. Afterwards it checks that every point and one `observation_batch.received`
ledger event per batch were stored, and runs `manage.py verify_audit_log`.

(b) The Monitoring tab (`/deployments/{id}/monitoring/`) of a deployment with `--metrics`
metrics × `--days` daily values, stored through the ingestion service (one batch per
10,000 points, as a pipeline would send them): median and 90th percentile of `--repeat`
requests by a logged-in compliance officer after 3 warm-up requests; the query count is
taken in-process with Django's test client on the same data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import multiprocessing
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

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

DB_NAME = "governance_bench_monitoring"
VAR_DIR = ROOT / "var" / "bench-monitoring"
RATE_TARGET = 5_000  # observations per second on the 2-core reference machine
TAB_TARGET_MS = 300
INGEST_ENVIRONMENT = "edge-pos"  # the demo's live card fraud detector
TAB_ENVIRONMENT = "prod-us-nyc"  # the demo's live CV screening assistant


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _manage(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": url}
    return subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )


def _metrics(count: int) -> list[dict[str, Any]]:
    # Healthy values (0.9 to 1.0) never cross these thresholds, so the measured work is the
    # ingestion itself; alerts are covered by tests/governance/monitoring.
    return [
        {
            "key": f"metric-{n:02d}",
            "name": f"Metric {n:02d}",
            "kind": "performance",
            "direction": "higher_is_better",
            "warning_threshold": 0.5,
            "breach_threshold": 0.4,
            "cadence_hours": 24,
            "severity": "medium",
        }
        for n in range(1, count + 1)
    ]


def _value(n: int) -> float:
    return round(0.9 + 0.1 * ((n * 7919) % 1000) / 1000, 6)


def _points(
    keys: list[str], count: int, newest: dt.datetime, step: dt.timedelta, first: int
) -> list[dict[str, Any]]:
    """`count` points spread over the metrics, windows of `step` ending at or before `newest`,
    the `first`-th window and older (so batches never overlap)."""
    points = []
    for n in range(count):
        slot = first + n // len(keys)
        end = newest - step * slot
        points.append(
            {
                "metric": keys[n % len(keys)],
                "value": _value(n + first),
                "window_start": (end - step).isoformat(),
                "window_end": end.isoformat(),
            }
        )
    return points


def prepare(url: str, metrics: int, days: int) -> dict[str, str]:
    """Plans, the tab's year of daily values (through the service), a token and a session."""
    from django.core.management import call_command
    from django.test import Client

    from governance.accounts.models import User
    from governance.inventory.models import Deployment
    from governance.monitoring.rules import MAX_BATCH_POINTS
    from governance.monitoring.services.ingestion import observations_ingest
    from governance.monitoring.services.plans import monitoring_plan_save

    engineer = User.objects.get(username="requester")
    ingest = Deployment.objects.get(environment=INGEST_ENVIRONMENT, status="active")
    tab = Deployment.objects.get(environment=TAB_ENVIRONMENT, status="active")
    plan = _metrics(metrics)
    for deployment in (ingest, tab):
        monitoring_plan_save(deployment=deployment, owner=engineer, metrics=plan, actor=engineer)
    keys = [m["key"] for m in plan]
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    year = _points(keys, metrics * days, today, dt.timedelta(days=1), 0)
    started = time.perf_counter()
    for at in range(0, len(year), MAX_BATCH_POINTS):
        observations_ingest(deployment=tab, points=year[at : at + MAX_BATCH_POINTS], actor=engineer)
    seeded = time.perf_counter() - started
    from io import StringIO

    out = StringIO()
    call_command(
        "create_api_token",
        "requester",
        "--name",
        "bench-monitoring",
        "--scope",
        "observations:write",
        stdout=out,
    )
    client = Client()
    client.force_login(User.objects.get(username="compliance"))
    return {
        "ingest": str(ingest.pk),
        "tab": str(tab.pk),
        "token": out.getvalue().strip().splitlines()[-1],
        "cookie": client.cookies["sessionid"].value,
        "seeded": f"{seeded:.1f}",
        "keys": json.dumps(keys),
    }


def _client(
    port: int,
    path: str,
    token: str,
    bodies: list[bytes],
    ready: Any,
    go: Any,
    answers: Any,
) -> None:
    """One pipeline: post its batches one after another, report each status."""
    ready.wait()
    go.wait()
    statuses = []
    for body in bodies:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        connection.request(
            "POST",
            path,
            body=body,
            headers={"Authorization": f"Token {token}", "Content-Type": "application/json"},
        )
        response = connection.getresponse()
        text = response.read()
        statuses.append(
            response.status if response.status == 201 else f"{response.status} {text[:300]!r}"
        )
        connection.close()
    answers.put(statuses)


def ingest_round(
    port: int, deployment: str, token: str, keys: list[str], args: Any, first_slot: int
) -> tuple[float, int]:
    """One round: every client posts its batches; returns (seconds, points stored)."""
    path = f"/api/v1/deployments/{deployment}/observations/"
    newest = dt.datetime.now(dt.UTC).replace(minute=0, second=0, microsecond=0) - dt.timedelta(
        hours=1
    )
    slots_per_batch = -(-args.points // len(keys))
    context = multiprocessing.get_context("fork")
    ready, go = context.Barrier(args.clients + 1), context.Event()
    answers = context.Queue()
    workers = []
    for client in range(args.clients):
        bodies = []
        for batch in range(args.batches):
            slot = first_slot + (client * args.batches + batch) * slots_per_batch
            points = _points(keys, args.points, newest, dt.timedelta(hours=1), slot)
            bodies.append(json.dumps({"points": points}).encode())
        workers.append(
            context.Process(target=_client, args=(port, path, token, bodies, ready, go, answers))
        )
    for worker in workers:
        worker.start()
    ready.wait()
    started = time.perf_counter()
    go.set()
    results = [answers.get(timeout=900) for _ in workers]
    seconds = time.perf_counter() - started
    for worker in workers:
        worker.join(timeout=60)
    failures = [s for statuses in results for s in statuses if s != 201]
    if failures:
        raise RuntimeError(f"refused batches: {failures[:3]}")
    return seconds, args.clients * args.batches * args.points


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=4, help="client processes posting")
    parser.add_argument("--batches", type=int, default=4, help="batches per client and round")
    parser.add_argument("--points", type=int, default=10_000, help="points per batch")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--metrics", type=int, default=20)
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--repeat", type=int, default=20, help="Monitoring tab requests")
    parser.add_argument("--database", default=DB_NAME, help="PostgreSQL database (dropped first)")
    parser.add_argument("--port", type=int, default=0, help="server port (a free one if 0)")
    args = parser.parse_args()
    VAR_DIR.mkdir(parents=True, exist_ok=True)
    os.environ["GOVERNANCE_VAR_DIR"] = str(VAR_DIR)
    load_before = os.getloadavg()[0]
    url = fresh_postgres_database(args.database)
    migrate(url)
    seeded = _manage(url, "seed_demo")
    if seeded.returncode != 0:
        raise RuntimeError(seeded.stderr[-3000:])
    setup_django(url)
    from django.db import connection

    from governance.ledger.models import LedgerEvent
    from governance.monitoring.models import Observation, ObservationBatch

    facts = prepare(url, args.metrics, args.days)
    keys = json.loads(facts["keys"])
    tab_path = f"/deployments/{facts['tab']}/monitoring/"
    counts = _query_counts([("Monitoring tab", "compliance", tab_path)])
    tab_points = Observation.objects.filter(deployment_id=facts["tab"]).count()
    connection.close()  # the server's workers get the database to themselves
    port = args.port or _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "LOG_LEVEL": "WARNING",
    }
    server = gunicorn(port, env)
    rates: list[float] = []
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_for(f"{base}/accounts/login/")
        # Warm-up: one batch per server worker (imports, connections), older than the rest.
        ingest_round(
            port,
            facts["ingest"],
            facts["token"],
            keys,
            argparse.Namespace(clients=2, batches=1, points=args.points),
            first_slot=10**6 // len(keys),
        )
        slots = -(-args.points // len(keys)) * args.clients * args.batches
        for round_number in range(args.rounds):
            seconds, stored = ingest_round(
                port, facts["ingest"], facts["token"], keys, args, round_number * slots
            )
            rates.append(stored / seconds)
            print(
                f"  ingestion round {round_number + 1}: {stored / seconds:,.0f} points/s",
                flush=True,
            )
        for _ in range(3):
            _get(base + tab_path, facts["cookie"])
        times = sorted(_get(base + tab_path, facts["cookie"]) for _ in range(args.repeat))
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    load_after = os.getloadavg()[0]
    batches = args.rounds * args.clients * args.batches + 2
    stored_points = Observation.objects.filter(deployment_id=facts["ingest"]).count()
    stored_batches = ObservationBatch.objects.filter(deployment_id=facts["ingest"]).count()
    events = LedgerEvent.objects.filter(
        action="observation_batch.received", deployment_id=facts["ingest"]
    ).count()
    assert stored_points == batches * args.points, (stored_points, batches * args.points)
    assert stored_batches == events == batches, (stored_batches, events, batches)
    verified = _manage(url, "verify_audit_log")
    assert verified.returncode == 0 and "ledger intact" in verified.stdout, (
        verified.stdout + verified.stderr
    )
    rate = statistics.median(rates)
    median_ms = statistics.median(times) * 1000
    p90_ms = times[max(int(len(times) * 0.9) - 1, 0)] * 1000
    write_section(
        "monitoring",
        f"""
## Monitoring (`bench/monitoring.py`)

Command: `.venv/bin/python bench/monitoring.py --clients {args.clients} --batches {args.batches} --points {args.points} --rounds {args.rounds} --metrics {args.metrics} --days {args.days} --repeat {args.repeat}`
on {machine()}: gunicorn with 2 sync workers on
PostgreSQL 127.0.0.1, demo data plus a {args.metrics}-metric plan on two live deployments.
Load average (1 min) {load_before:.2f} before the run and {load_after:.2f} after: the machine
is shared and was busy with other work, so these numbers should be measured again on a quiet
machine.

**Sustained ingestion.** {args.clients} client processes each posted {args.batches} batches
of {args.points:,} points to `POST /api/v1/deployments/{{id}}/observations/` with a token
scoped `observations:write` (bodies built before the clock starts; clients, server workers
and PostgreSQL share the two cores). Rates of the {args.rounds} rounds:
{", ".join(f"{r:,.0f}" for r in rates)} points/s; median **{rate:,.0f} observations/s**
(target ≥ {RATE_TARGET:,}/s: **{"met" if rate >= RATE_TARGET else "NOT met"}**). Afterwards
all {stored_points:,} points and exactly one `observation_batch.received` ledger event per
batch ({events}) were stored, and `manage.py verify_audit_log` answered:
`{verified.stdout.strip()}`.
On PostgreSQL a batch's points are streamed with COPY inside the batch's transaction
(`governance/monitoring/services/ingestion.py`); with the ORM's `bulk_create` (batches of
2,000 rows) the same command measured 8,358 observations/s at load 4.8, two thirds of each
request being spent building and sending the INSERT statements.

**The Monitoring tab** (`/deployments/{{id}}/monitoring/`) with {args.metrics} metrics ×
{args.days} days of daily values ({tab_points:,} points, stored through the ingestion service
in batches of 10,000 in {facts["seeded"]} s), a logged-in compliance officer, {args.repeat}
requests one after another after 3 warm-up requests: median **{median_ms:.0f} ms**, p90
{p90_ms:.0f} ms, {counts["Monitoring tab"]} queries (target ≤ {TAB_TARGET_MS} ms median:
**{"met" if median_ms <= TAB_TARGET_MS else "NOT met"}**).
""",
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    started = time.perf_counter()
    main()
    print(f"done in {time.perf_counter() - started:.0f} s")
