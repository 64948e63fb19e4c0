"""A real `celery -A governance worker` process for tests, on the test database.

Each test gets its own queue (and, on the filesystem transport, its own queue folders under a
temporary GOVERNANCE_VAR_DIR), so concurrent test runs in this tree and other rooms' workers
never take each other's messages. With REDIS_URL set (CI's second round) both sides use Redis.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[3]
CELERY = str(Path(sys.executable).with_name("celery"))
READY_TIMEOUT = 90.0


@dataclass
class WorkerProcess:
    process: subprocess.Popen[bytes]
    log: Path
    children: list[int] = field(default_factory=list)

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if " ready." in self.output():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"the worker did not start:\n{self.output()[-4000:]}")

    def kill(self) -> None:
        """SIGKILL the whole worker (main process and pool children), no clean-up at all."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()


def configure_test_app(broker_url: str, transport_options: dict[str, Any], queue: str) -> None:
    """Point this process's Celery app at the test broker and queue (cached objects dropped)."""
    from governance.celery import app

    app.conf.broker_url = broker_url
    app.conf.broker_transport_options = transport_options
    app.conf.task_default_queue = queue
    app.conf.task_always_eager = False
    app.__dict__.pop("amqp", None)
    app._pool = None


@contextmanager
def worker_environment(settings: Any, tmp_path: Path) -> Iterator[Callable[..., WorkerProcess]]:
    from django.conf import settings as live_settings
    from django.db import connection

    from governance.celery import app

    saved = (
        app.conf.broker_url,
        app.conf.broker_transport_options,
        app.conf.task_default_queue,
    )
    queue = f"reports-test-{uuid.uuid4().hex[:12]}"
    var_dir = tmp_path / "worker-var"
    broker_url = live_settings.CELERY_BROKER_URL
    if broker_url == "filesystem://":
        folder = var_dir / "celery"
        for name in ("queue", "processed", "control"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        options: dict[str, Any] = {
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "store_processed": False,
        }
    else:
        options = dict(live_settings.CELERY_BROKER_TRANSPORT_OPTIONS)
    configure_test_app(broker_url, options, queue)
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.audits.reports.worker_settings",
        "TEST_WORKER_DB_NAME": str(connection.settings_dict["NAME"]),
        "TEST_WORKER_QUEUE": queue,
        "GOVERNANCE_VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "REPORT_SIGNING_KEY": str(settings.REPORT_SIGNING_KEY),
        "REPORT_SIGNING_CERT": str(settings.REPORT_SIGNING_CERT),
        "REPORT_ORGANISATION": str(settings.REPORT_ORGANISATION),
        "PYTHONPATH": str(ROOT),
    }
    started: list[WorkerProcess] = []

    def start(concurrency: int = 1) -> WorkerProcess:
        log = tmp_path / f"worker-{len(started)}.log"
        handle = open(log, "wb")  # noqa: SIM115 - the child writes to it until it ends
        process = subprocess.Popen(
            [
                CELERY, "-A", "governance", "worker", "--loglevel", "INFO",
                "--pool", "prefork", "--concurrency", str(concurrency), "--queues", queue,
                "--hostname", f"reports-test-{len(started)}-{queue}@%h",
                "--without-heartbeat", "--without-gossip", "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        handle.close()
        worker = WorkerProcess(process, log)
        started.append(worker)
        worker.wait_ready()
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()
        configure_test_app(*saved)


def wait_for(predicate: Callable[[], Any], *, timeout: float = 120.0, every: float = 0.1) -> Any:
    """Poll until `predicate()` is truthy; the timeout only bounds a hung test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"condition not met within {timeout} s")
