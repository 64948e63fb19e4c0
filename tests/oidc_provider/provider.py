"""Runs tests/oidc_provider/server.mjs (node-oidc-provider) for the sign-in tests.

`make install` installs its node packages (`npm ci` here) when node is on the machine; a test
that needs the provider fails with what to do if node or the packages are missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

HERE = Path(__file__).resolve().parent
CLIENT_ID = "governance-tests"
CLIENT_SECRET = "governance-tests-secret-0123456789"
CALLBACK = "http://testserver/oidc/callback/"
START_TIMEOUT_SECONDS = 20


def missing_requirement() -> str | None:
    if shutil.which("node") is None:
        return (
            "The OpenID Connect tests run a real provider on Node.js 20 or newer, and `node` "
            "is not on the PATH. Install Node.js (e.g. `apt-get install nodejs npm`), then "
            "`make install`."
        )
    if not (HERE / "node_modules" / "oidc-provider").is_dir():
        return (
            "The test provider's packages are not installed: run `make install` (it runs "
            f"`npm ci` in {HERE})."
        )
    return None


@dataclass
class TestProvider:
    issuer: str
    process: subprocess.Popen[str]
    log: list[str] = field(default_factory=list)
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def set_account(self, username: str, **claims: Any) -> None:
        response = requests.post(
            f"{self.issuer}/test/accounts", json={"id": username, "claims": claims}, timeout=5
        )
        response.raise_for_status()

    def tamper_next_id_token(self, mode: str) -> None:
        requests.post(f"{self.issuer}/test/tamper", json={"mode": mode}, timeout=5)

    def login(self, authorize_url: str, *, username: str, password: str) -> str:
        """Log in at the provider as a browser would; returns the URL it sends back to."""
        browser = requests.Session()
        url, method, data = authorize_url, "GET", None
        for _ in range(20):
            response = browser.request(method, url, data=data, allow_redirects=False, timeout=10)
            if response.is_redirect:
                url = urljoin(url, response.headers["Location"])
                method, data = "GET", None
                if url.startswith(CALLBACK):
                    return url
                continue
            form = re.search(r'<form method="post" action="([^"]+)"', response.text)
            if response.status_code == 200 and form:
                url, method = urljoin(url, form.group(1)), "POST"
                data = {"username": username, "password": password}
                continue
            raise AssertionError(
                f"The provider answered {response.status_code} at {url}: {response.text[:500]}"
            )
        raise AssertionError("The provider kept redirecting")


def start(
    accounts: dict[str, dict[str, Any]], *, redirect_uris: tuple[str, ...] = (CALLBACK,)
) -> Iterator[TestProvider]:
    env = {
        **os.environ,
        "OIDC_TEST_CLIENT_ID": CLIENT_ID,
        "OIDC_TEST_CLIENT_SECRET": CLIENT_SECRET,
        "OIDC_TEST_REDIRECT_URIS": ",".join(redirect_uris),
        "OIDC_TEST_ACCOUNTS": json.dumps(accounts),
    }
    process = subprocess.Popen(
        ["node", str(HERE / "server.mjs")],
        cwd=HERE,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    log: list[str] = []
    ready = threading.Event()
    issuer: list[str] = []

    def read_stdout() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            if not issuer and line.startswith("{"):
                issuer.append(json.loads(line)["issuer"])
                ready.set()
            log.append(line)

    def read_stderr() -> None:
        assert process.stderr is not None
        log.extend(process.stderr)

    threading.Thread(target=read_stdout, daemon=True).start()
    threading.Thread(target=read_stderr, daemon=True).start()
    try:
        if not ready.wait(START_TIMEOUT_SECONDS):
            raise RuntimeError("The test OpenID provider did not start:\n" + "".join(log))
        yield TestProvider(issuer=issuer[0], process=process, log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
