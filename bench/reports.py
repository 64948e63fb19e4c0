"""Reports benchmark: dossier render time and worker memory, growth with the ledger, and
throughput with one and two workers, all through real Celery workers.

    .venv/bin/python bench/reports.py [--repeat 5] [--reports 12]

Runs against a fresh PostgreSQL database and Redis (127.0.0.1). Deployments get 100,
10,000 and 100,000 ledger events (written with COPY and real chain hashes). Render time is
the worker's own time from claiming a report to recording it done (snapshot, render, sign,
store); peak memory is the high-water mark (VmHWM) of the worker's pool process.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (
    ROOT,
    fresh_postgres_database,
    machine,
    migrate,
    setup_django,
    write_section,
)

DB_NAME = "governance_bench_reports"
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
CELERY = str(Path(sys.executable).with_name("celery"))
SIZES = (100, 10_000, 100_000)


def fill_deployment_events(deployment_id: str, count: int) -> None:
    """Append `count` events about one deployment, with real chain hashes, via COPY."""
    from django.db import connection, transaction

    from governance.core.canonical import canonical_json, format_timestamp
    from governance.ledger.chain import event_canonical, event_hash
    from governance.ledger.models import LedgerHead

    with transaction.atomic():
        head = LedgerHead.objects.select_for_update().get(pk=1)
        seq, prev = head.seq, head.hash
        base = dt.datetime.now(dt.UTC)
        copy_sql = (
            "COPY ledger_ledgerevent (seq, ts, actor_id, actor_name, action, subject_type, "
            "subject_id, deployment_id, data, prev_hash, hash) FROM STDIN"
        )
        with connection.cursor() as cursor, cursor.cursor.copy(copy_sql) as copy:
            for n in range(count):
                seq += 1
                ts = base + dt.timedelta(microseconds=n)
                data = canonical_json(
                    {"changes": {"description": {"before": f"v{n}", "after": f"v{n + 1}"}}}
                )
                fields = {
                    "seq": seq,
                    "ts": format_timestamp(ts),
                    "actor_id": "",
                    "actor_name": "bench",
                    "action": "deployment.updated" if n % 3 else "deployment.reviewed",
                    "subject_type": "inventory.deployment",
                    "subject_id": deployment_id,
                    "deployment_id": deployment_id,
                }
                digest = event_hash(prev, event_canonical(**fields, data=data))
                copy.write_row(
                    (seq, ts, "", "bench", fields["action"], fields["subject_type"],
                     deployment_id, deployment_id, data, prev, digest)
                )  # fmt: skip
                prev = digest
        LedgerHead.objects.filter(pk=1).update(seq=seq, hash=prev)


def prepare(signing_dir: Path) -> tuple[Any, dict[int, Any]]:
    from audits.reports.devcert import create_development_pair
    from governance.accounts.services import user_create
    from governance.inventory import services as inventory

    create_development_pair(signing_dir, "Bench Organisation")
    owner = user_create(
        username="bench",
        password=secrets.token_urlsafe(16),
        roles=["requester", "compliance_officer"],
    )
    deployments = {}
    for size in SIZES:
        system = inventory.ai_system_create(
            actor=owner, name=f"Scoring model with {size} events", purpose="Benchmark"
        )
        dataset = inventory.dataset_create(
            actor=owner,
            name=f"Training data {size}",
            source="warehouse",
            collection_purpose="benchmark",
            legal_basis="contract",
        )
        version = inventory.model_version_create(
            actor=owner,
            system=system,
            version_label="1.0",
            artifact_uri="s3://bench/model.bin",
            artifact_sha256="c" * 64,
            training_datasets=[dataset],
            evaluation_metrics={"auc": 0.8},
        )
        deployment = inventory.deployment_create(
            actor=owner,
            model_version=version,
            environment=f"prod-{size}",
            hosting="cloud",
            region="eu-west-1",
            rollout_pattern="full",
        )
        fill_deployment_events(str(deployment.pk), size - 1)  # plus deployment.created
        deployments[size] = deployment
    return owner, deployments


class Worker:
    def __init__(self, env: dict[str, str], queue: str, log: Path) -> None:
        self.log = log
        handle = open(log, "wb")  # noqa: SIM115 - the child writes to it until it ends
        self.process = subprocess.Popen(
            [CELERY, "-A", "governance", "worker", "--loglevel", "INFO", "--pool", "prefork",
             "--concurrency", "1", "--queues", queue, "--hostname", f"bench-{uuid.uuid4().hex[:6]}@%h",
             "--without-heartbeat", "--without-gossip", "--without-mingle"],
            cwd=ROOT, env=env, stdout=handle, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        handle.close()
        deadline = time.monotonic() + 120
        while " ready." not in log.read_text(errors="replace"):
            if time.monotonic() > deadline or self.process.poll() is not None:
                raise RuntimeError(log.read_text(errors="replace")[-3000:])
            time.sleep(0.2)

    def pool_peak_mb(self) -> float:
        """Largest VmHWM among the worker's pool processes (the ones that render)."""
        peak = 0.0
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) != self.process.pid:
                    continue
                status = (stat.parent / "status").read_text()
            except (OSError, IndexError, ValueError):
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]) / 1024)
        return peak

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)


def wait_done(report_ids: list[Any]) -> None:
    from audits.reports.models import JobStatus, Report

    while True:
        rows = dict(Report.objects.filter(pk__in=report_ids).values_list("pk", "status"))
        if any(s == JobStatus.FAILED for s in rows.values()):
            failed = Report.objects.filter(pk__in=report_ids, status=JobStatus.FAILED).first()
            raise RuntimeError(f"report failed: {failed.error if failed else ''}")
        if all(s == JobStatus.DONE for s in rows.values()):
            return
        time.sleep(0.05)


def render_seconds(report_id: Any) -> float:
    from audits.reports.models import Report

    report = Report.objects.get(pk=report_id)
    return (report.completed_at - report.claimed_at).total_seconds()


def dossier_series(owner: Any, deployment: Any, repeat: int) -> list[float]:
    from audits.reports.services import report_request

    times = []
    for _ in range(repeat):
        report = report_request(actor=owner, kind="deployment_dossier", deployment=deployment)
        wait_done([report.pk])
        times.append(render_seconds(report.pk))
    return times


def throughput(owner: Any, deployments: list[Any], count: int) -> float:
    """Reports per minute for `count` dossiers requested at once."""
    from audits.reports.services import report_request

    started = time.perf_counter()
    ids = [
        report_request(
            actor=owner, kind="deployment_dossier", deployment=deployments[i % len(deployments)]
        ).pk
        for i in range(count)
    ]
    wait_done(ids)
    return count / (time.perf_counter() - started) * 60


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--reports", type=int, default=20, help="dossiers per throughput run")
    args = parser.parse_args()

    load_before = os.getloadavg()[0]
    url = fresh_postgres_database(DB_NAME)
    migrate(url)
    os.environ["REDIS_URL"] = REDIS_URL
    work = Path(tempfile.mkdtemp(prefix="bench-reports-"))
    queue = f"bench-reports-{uuid.uuid4().hex[:8]}"
    os.environ.update(
        {
            "GOVERNANCE_VAR_DIR": str(work / "var"),
            "MEDIA_ROOT": str(work / "media"),
            "REPORT_SIGNING_KEY": str(work / "signing" / "report-signing-key.pem"),
            "REPORT_SIGNING_CERT": str(work / "signing" / "report-signing-cert.pem"),
        }
    )
    setup_django(url)
    from governance.celery import app

    app.conf.task_default_queue = queue
    owner, deployments = prepare(work / "signing")
    env = {**os.environ, "DATABASE_URL": url}

    worker = Worker(env, queue, work / "worker-1.log")
    series = {}
    peaks = {}
    try:
        dossier_series(owner, deployments[100], 1)  # warm the pool process
        for size in SIZES:
            series[size] = dossier_series(owner, deployments[size], args.repeat)
            peaks[size] = worker.pool_peak_mb()
        one = throughput(owner, [deployments[10_000]], args.reports)
    finally:
        worker.stop()
    second = Worker(env, queue, work / "worker-2.log")
    third = Worker(env, queue, work / "worker-3.log")
    try:
        throughput(owner, [deployments[100]], 2)  # warm both pool processes
        two = throughput(owner, [deployments[10_000]], args.reports)
    finally:
        second.stop()
        third.stop()

    load_after = os.getloadavg()[0]
    median = {size: statistics.median(times) for size, times in series.items()}
    growth = median[100_000] / median[100]
    speedup = two / one
    rows = "\n".join(
        f"| dossier, {size:,} ledger events | median {median[size]:.2f} s "
        f"(min {min(series[size]):.2f}, max {max(series[size]):.2f}), "
        f"pool peak {peaks[size]:.0f} MB | "
        + ("≤ 5 s median, < 500 MB |" if size == 10_000 else "— |")
        for size in SIZES
    )
    write_section(
        "reports",
        f"""
## Reports (`bench/reports.py`)

Command: `.venv/bin/python bench/reports.py --repeat {args.repeat} --reports {args.reports}`
on {machine()}, PostgreSQL and Redis on 127.0.0.1, real Celery workers (prefork, one pool
process each), one run; 1-minute load average {load_before:.1f} before and {load_after:.1f}
after (other processes on the machine count too). Render time is the worker's own
claim-to-done time: snapshot, render, sign, store, record.

| measure | result | target |
|---|---|---|
{rows}
| growth, 100 → 100,000 events | {growth:.2f}× | ≤ 1.5× |
| 1 worker | {one:.1f} dossiers/min | — |
| 2 workers | {two:.1f} dossiers/min ({speedup:.2f}×) | ≥ 1.7× |

The dossier measured has no sign-offs and no bias audits: the approvals and bias rooms do
not feed reports yet, so the target's "20 sign-offs, 3 bias audits" part is not measured;
their pages would add to the fixed part of the time, not to the growth.
The printed audit-trail summary has a fixed size and the complete slice is the attached CSV
(about 36 MB for 100,000 events, 6 MB compressed). PostgreSQL writes it (COPY) while the pages
are laid out, and it is hashed and compressed once as it arrives; what remains of the growth
is reading and compressing those bytes, on a machine where layout, the slice and PostgreSQL
share {os.cpu_count()} cores. Worker scaling shares the same cores with PostgreSQL, Redis and
this process.
""",
    )


if __name__ == "__main__":
    os.chdir(ROOT)
    main()
