"""A real ``ticket-warden serve`` process for tests that cross sockets, and polling."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests

from plugin.signature import sign

SECRET = "integration-secret"
ADMIN_TOKEN = "integration-admin-token"
DEADLINE = 60.0


def wait_for(condition: Callable[[], Any], what: str, timeout: float = DEADLINE) -> Any:
    """Poll ``condition`` until it is truthy; fail the test with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for {what}")


def keep_log(name: str, text: str) -> None:
    """Keep a server's log under WARDEN_TEST_LOG_DIR (CI greps them all for secrets)."""
    folder = os.environ.get("WARDEN_TEST_LOG_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        (Path(folder) / f"{name}.log").write_text(text, "utf-8")


class Served:
    """A ``ticket-warden serve`` child process on a free port, its log collected."""

    def __init__(self, env: dict[str, str], cwd: Path) -> None:
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", "plugin.cli", "serve", "--port", "0"],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        threading.Thread(target=self._read, daemon=True).start()
        found = wait_for(self._url, "serve to start listening")
        self.url: str = found

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.lines.append(line)
        keep_log(f"serve-{self.process.pid}", "".join(self.lines))

    def _url(self) -> str | None:
        for line in self.lines:
            match = re.search(r"receiving on (http://\S+)", line)
            if match:
                return match[1]
        if self.process.poll() is not None:
            pytest.fail("serve exited early:\n" + self.log)
        return None

    @property
    def log(self) -> str:
        return "".join(self.lines)

    def post(
        self, body: bytes, *, delivery: str | None = None, **headers: str
    ) -> requests.Response:
        sent = {
            "Content-Type": "application/json",
            "X-Hub-Signature": sign(body, SECRET.encode()),
            "X-Zammad-Delivery": delivery or str(uuid.uuid4()),
            "X-Zammad-Trigger": "ticket-warden test",
        } | headers
        return requests.post(self.url, data=body, headers=sent, timeout=10, allow_redirects=False)

    def decisions(self) -> list[dict[str, Any]]:
        base = self.url.rsplit("/webhooks/", 1)[0]
        auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
        response = requests.get(f"{base}/decisions?limit=200", headers=auth, timeout=10)
        result: list[dict[str, Any]] = response.json()["decisions"]
        return result

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if self.process.poll() is None:
            self.process.send_signal(sig)
            self.process.wait(timeout=20)

    def pending(self) -> int:
        """Deliveries answered and not yet finished, as /healthz reports them."""
        base = self.url.rsplit("/webhooks/", 1)[0]
        return int(requests.get(f"{base}/healthz", timeout=10).json()["pending"])
