"""Benchmark of the webhook receiver: how fast Zammad gets its answer, and the backlog drains.

Run: python bench/receiver.py [--requests N]
Starts ``ticket-warden serve`` in dry-run mode on a loopback port with a fresh
SQLite store, posts N signed example payloads one after another (each with a
new delivery id), and prints, side by side from one run: the answer latency
(p50, p95, p99, max) against Zammad's 4 s connect / 30 s read limits, and the
time until every event was decided by the worker.
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere
from bench.common import ROOT, SECRET, example_bodies, percentile, signed_headers


def start_server(store: Path) -> tuple[subprocess.Popen[str], str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("WARDEN_")}
    env |= {
        "WARDEN_STORE": str(store),
        "WARDEN_WEBHOOK_SECRET": SECRET,
        "WARDEN_POLICY": str(ROOT / "examples" / "policy.yaml"),
        "WARDEN_DECISIONS_KEPT": "100000",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "plugin.cli", "serve", "--port", "0"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    assert process.stderr is not None
    for line in process.stderr:
        match = re.search(r"receiving on (http://\S+)", line)
        if match:
            # Keep reading the log, or a full pipe would stall the server.
            threading.Thread(target=process.stderr.read, daemon=True).start()
            return process, match[1]
    raise SystemExit("serve did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=500)
    args = parser.parse_args()
    bodies = example_bodies()
    with tempfile.TemporaryDirectory() as folder:
        process, url = start_server(Path(folder) / "store.sqlite3")
        base = url.rsplit("/webhooks/", 1)[0]
        session = requests.Session()
        try:
            latencies = []
            started = time.perf_counter()
            for n in range(args.requests):
                body = bodies[n % len(bodies)]
                headers = signed_headers(body)
                sent = time.perf_counter()
                response = session.post(url, data=body, headers=headers, timeout=30)
                latencies.append((time.perf_counter() - sent) * 1000)
                assert response.status_code == 202, response.text
            posted = time.perf_counter() - started
            while True:
                health = session.get(f"{base}/healthz", timeout=30).json()
                if health["pending"] == 0:
                    break
                time.sleep(0.05)
            drained = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(timeout=30)
    print(f"ticket-warden receiver benchmark ({args.requests} signed webhooks, dry-run, SQLite)")
    print(
        f"  answer latency ms: p50 {statistics.median(latencies):.1f}, "
        f"p95 {percentile(latencies, 0.95):.1f}, p99 {percentile(latencies, 0.99):.1f}, "
        f"max {max(latencies):.1f}  (Zammad waits up to 30000)"
    )
    print(f"  webhooks answered/s: {args.requests / posted:,.0f}")
    print(
        f"  all decided after:   {drained:.2f} s ({args.requests / drained:,.0f} decisions/s "
        "end to end, receiver and worker in one process)"
    )


if __name__ == "__main__":
    main()
