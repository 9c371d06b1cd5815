"""Readiness checked off the request path, so ``/readyz`` answers at once whatever the
helpdesk does.

A caller that finds the last result stale starts one check in the background (never
two at once) and waits for it at most ``wait`` seconds; whatever happens, it gets
the latest result known. A helpdesk that accepts and never answers therefore costs
each caller a second at most, and no server thread is held for the helpdesk's time.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)
NOT_CHECKED = ["readiness: not checked yet"]


class BackgroundCheck:
    """The latest result of ``check`` (problems; empty when ready), refreshed on demand."""

    def __init__(self, check: Callable[[], list[str]], *, fresh_for: float = 5.0) -> None:
        self._check = check
        self._fresh_for = fresh_for
        self._lock = threading.Lock()
        self._result: list[str] | None = None
        self._checked_at = float("-inf")
        self._running = False
        self._done = threading.Event()

    def latest(self, wait: float = 1.0) -> list[str]:
        """The problems found by the newest check; starts one if the last is stale."""
        with self._lock:
            stale = time.monotonic() - self._checked_at >= self._fresh_for
            if stale and not self._running:
                self._running = True
                self._done = threading.Event()
                threading.Thread(target=self._run, args=(self._done,), daemon=True).start()
            done = self._done
        if stale:
            done.wait(wait)
        with self._lock:
            return list(self._result) if self._result is not None else list(NOT_CHECKED)

    def _run(self, done: threading.Event) -> None:
        try:
            result = self._check()
        except Exception as exc:  # A failing check is a finding, not a crash.
            log.warning("readiness check failed: %s", exc)
            result = [f"readiness: {type(exc).__name__}"]
        with self._lock:
            self._result = result
            self._checked_at = time.monotonic()
            self._running = False
        done.set()
