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

    def wait_ready(self, marker: str = " ready.") -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            if marker in self.output():
                return
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        raise RuntimeError(f"the process did not start:\n{self.output()[-4000:]}")

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


class Workers:
    """Starts workers (`workers()`, as before) and a beat (`workers.beat()`) on one queue."""

    def __init__(self, env: dict[str, str], queue: str, tmp_path: Path) -> None:
        self.env, self.queue, self.tmp_path = env, queue, tmp_path
        self.started: list[WorkerProcess] = []

    def _spawn(self, name: str, arguments: list[str]) -> WorkerProcess:
        log = self.tmp_path / f"{name}-{len(self.started)}.log"
        handle = open(log, "wb")  # noqa: SIM115 - the child writes to it until it ends
        process = subprocess.Popen(
            [CELERY, "-A", "governance", *arguments],
            cwd=ROOT,
            env=self.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        handle.close()
        started = WorkerProcess(process, log)
        self.started.append(started)
        return started

    def __call__(self, concurrency: int = 1) -> WorkerProcess:
        worker = self._spawn(
            "worker",
            [
                "worker", "--loglevel", "INFO",
                "--pool", "prefork", "--concurrency", str(concurrency), "--queues", self.queue,
                "--hostname", f"reports-test-{len(self.started)}-{self.queue}@%h",
                "--without-heartbeat", "--without-gossip", "--without-mingle",
            ],
        )  # fmt: skip
        worker.wait_ready()
        return worker

    def beat(self) -> WorkerProcess:
        """A beat with its own schedule file; it sends the schedule's tasks to this queue."""
        beat = self._spawn(
            "beat",
            [
                "beat", "--loglevel", "INFO",
                "--schedule", str(self.tmp_path / "celerybeat-schedule"),
                "--pidfile", str(self.tmp_path / "celerybeat.pid"),
            ],
        )  # fmt: skip
        beat.wait_ready(" Starting...")
        return beat


@contextmanager
def worker_environment(
    settings: Any,
    tmp_path: Path,
    *,
    settings_module: str = "tests.audits.reports.worker_settings",
    extra_env: dict[str, str] | None = None,
) -> Iterator[Workers]:
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
        "DJANGO_SETTINGS_MODULE": settings_module,
        "TEST_WORKER_DB_NAME": str(connection.settings_dict["NAME"]),
        "TEST_WORKER_QUEUE": queue,
        "GOVERNANCE_VAR_DIR": str(var_dir),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "REPORT_SIGNING_KEY": str(settings.REPORT_SIGNING_KEY),
        "REPORT_SIGNING_CERT": str(settings.REPORT_SIGNING_CERT),
        "REPORT_ORGANISATION": str(settings.REPORT_ORGANISATION),
        "PYTHONPATH": str(ROOT),
        **(extra_env or {}),
    }
    workers = Workers(env, queue, tmp_path)

    try:
        yield workers
    finally:
        for worker in workers.started:
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
