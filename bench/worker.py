"""Worker benchmark: how fast a backlog drains into Zammad, and a worker's memory.

Run: python bench/worker.py [--drain N] [--memory N]
1. Drain: N ticket events queued while the worker is stopped, then one
   ``ticket-warden worker`` (2 threads) applies them against the fake Zammad
   server from tests/ on loopback: decisions applied per second, from start to
   empty queue (tags, ticket update, note and replies written for each).
2. Memory: M events in dry-run mode through one worker; its peak resident set
   (VmHWM) after all M decisions, beside its size when idle.
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugin.runtime import build_runtime  # noqa: E402
from plugin.settings import Settings  # noqa: E402
from tests.fake_zammad import FakeZammad, running  # noqa: E402

TEMPLATES = sorted((ROOT / "examples" / "payloads").glob("*.json"))


def payloads(count: int) -> list[dict[str, object]]:
    """``count`` events, each on a ticket of its own, from the example payloads."""
    made = []
    for n in range(count):
        payload = json.loads(TEMPLATES[n % len(TEMPLATES)].read_text("utf-8"))
        payload = copy.deepcopy(payload)
        payload["ticket"] |= {"id": 20_000 + n, "number": str(80_000 + n), "article_count": 1}
        payload["article"] |= {"id": 900_000 + n, "ticket_id": 20_000 + n}
        made.append(payload)
    return made


def queue(env: dict[str, str], events: list[dict[str, object]]) -> None:
    """Keep and queue events as the receiver would, without running them."""
    runtime = build_runtime(
        Settings(**{k[7:].lower(): v for k, v in env.items() if k.startswith("WARDEN_")})
    )
    for n, payload in enumerate(events):
        runtime.submit(f"bench-{n}", json.dumps(payload).encode())


def peak_and_current_kib(pid: int) -> tuple[int, int]:
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return int(fields["VmHWM"].split()[0]), int(fields["VmRSS"].split()[0])


def run_worker(env: dict[str, str], store_count: Callable[[], int]) -> tuple[float, int, int]:
    """Start a worker, wait until the queue is empty; seconds taken, peak and idle KiB."""
    process = subprocess.Popen(
        [sys.executable, "-m", "plugin.cli", "worker", "--workers", "2"],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.perf_counter()
    try:
        while store_count() > 0:
            if process.poll() is not None:
                raise SystemExit("the worker exited early")
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
        peak, current = peak_and_current_kib(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)
    return elapsed, peak, current


def base_env(folder: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WARDEN_")}
    return env | {
        "PYTHONPATH": str(ROOT),
        "WARDEN_STORE": str(Path(folder) / "store.sqlite3"),
        "WARDEN_POLICY": str(ROOT / "examples" / "policy.yaml"),
        "WARDEN_WEBHOOK_SECRET": "bench",
        "WARDEN_LOG_FORMAT": "json",
        "WARDEN_RECONCILE_EVERY_MINUTES": "0",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--drain", type=int, default=1000)
    parser.add_argument("--memory", type=int, default=10_000)
    args = parser.parse_args()

    zammad = FakeZammad()
    events = payloads(args.drain)
    for payload in events:
        zammad.add_ticket_from_payload(payload)
    with tempfile.TemporaryDirectory() as folder, running(zammad) as url:
        env = base_env(folder) | {"WARDEN_ZAMMAD_URL": url, "WARDEN_ZAMMAD_TOKEN": zammad.token}
        queue(env, events)
        store = build_runtime(Settings(store=env["WARDEN_STORE"])).store
        drained, _, _ = run_worker(env, lambda: len(store.pending()))
        writes = len(zammad.writes)
    with tempfile.TemporaryDirectory() as folder:
        env = base_env(folder)
        queue(env, payloads(args.memory))
        store = build_runtime(Settings(store=env["WARDEN_STORE"])).store
        spent, peak, current = run_worker(env, lambda: len(store.pending()))

    print("ticket-warden worker benchmark (one worker process, 2 threads)")
    print(
        f"  drain: {args.drain} events into the fake Zammad on loopback in {drained:.1f} s: "
        f"{args.drain / drained:,.0f} decisions applied/s ({writes} writes)"
    )
    print(
        f"  memory: {args.memory} dry-run decisions in {spent:.1f} s "
        f"({args.memory / spent:,.0f}/s); peak RSS {peak / 1024:.1f} MiB, "
        f"RSS at the end {current / 1024:.1f} MiB"
    )
    print(f"  rerun: python bench/worker.py --drain {args.drain} --memory {args.memory}")


if __name__ == "__main__":
    main()
