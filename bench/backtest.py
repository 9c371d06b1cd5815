"""Backtest benchmark: 5,000 past tickets from a slow fake Zammad, replayed within 60 s.

Run: python bench/backtest.py [--tickets N] [--latency SECONDS] [--subset N]

The fake Zammad of tests/ (built from Zammad's source) runs in a process of its
own with N tickets of the last 60 days (300 customers, some answered in time,
some late, some never; tests/past_tickets.py) and answers every call after
``--latency`` seconds (default 20 ms). Then, in this process and through the
CLI with its progress bar:
1. ``ticket-warden backtest --since 90d`` at the default concurrency (4): elapsed
   seconds and tickets per second; it must finish within 60 s.
2. the same with ``--against`` a policy without the Bright Logistics client: the
   tickets listed as changed must be exactly that client's tickets that are not
   auto-replies (known from how they were made).
3. side by side from one run, ``--limit`` the first M tickets at concurrency 1, 4
   and 8: tickets per second and the speed-up over one read at a time.
Exit status 1 if the 60 s bound or the exact list fails.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugin.cli import main  # noqa: E402
from tests.fake_zammad import FakeZammad, running  # noqa: E402
from tests.past_tickets import CURRENT_WITHOUT_BRIGHT, NAMED_CUSTOMERS, seed  # noqa: E402

BOUND_SECONDS = 60.0
CUSTOMERS = 300


def serve_history(count: int, latency: float, pipe: Connection) -> None:
    """In the child: make the tickets, serve them, say where, and serve until told to stop."""
    now = datetime.now(UTC)
    fake = FakeZammad(now=now, latency=latency)
    seeded = seed(fake, count, now=now, customers=CUSTOMERS)
    with running(fake) as url:
        pipe.send((url, fake.token, [(s.ticket_id, s.email, s.kind) for s in seeded]))
        with contextlib.suppress(EOFError):  # the parent is gone: stop too
            pipe.recv()
        pipe.send(len(fake.requests))


def backtest(argv: list[str], output: Path) -> tuple[float, dict[str, Any]]:
    """Run ``ticket-warden backtest`` in this process; its seconds and its JSON result."""
    started = time.perf_counter()
    status = main(["backtest", *argv, "--output", str(output)])
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"backtest {' '.join(argv)} exited {status}")
    return elapsed, json.loads(output.read_text("utf-8"))


def show(label: str, value: str) -> None:
    """One figure, its label in a column."""
    print(f"  {label:<44} {value}")


def run(args: argparse.Namespace, url: str, token: str, seeded: list[Any], work: Path) -> int:
    os.environ |= {
        "WARDEN_ZAMMAD_URL": url,
        "WARDEN_ZAMMAD_TOKEN": token,
        "WARDEN_STORE": str(work / "store.sqlite3"),
        "WARDEN_POLICY": str(ROOT / "examples" / "policy.yaml"),
    }
    print(f"-- 1. {args.tickets} tickets, concurrency 4 (the default)", file=sys.stderr)
    seconds, data = backtest(["--since", "90d"], work / "all.json")

    print("-- 2. the same, --against a policy without Bright Logistics", file=sys.stderr)
    current = work / "current.yaml"
    current.write_text(CURRENT_WITHOUT_BRIGHT, "utf-8")
    against_seconds, against = backtest(["--since", "90d", "--against", str(current)], work / "a")
    bright = NAMED_CUSTOMERS[1][0]
    expected = {
        ticket for ticket, email, kind in seeded if email == bright and kind != "auto-reply"
    }
    listed = {change["ticket"] for change in against["changes"]}

    rates = {}
    for concurrency in (1, 4, 8):
        print(f"-- 3. first {args.subset} tickets, concurrency {concurrency}", file=sys.stderr)
        argv = ["--since", "90d", "--limit", str(args.subset), "--concurrency", str(concurrency)]
        took, _ = backtest(argv, work / f"c{concurrency}.json")
        rates[concurrency] = args.subset / took

    within = seconds < BOUND_SECONDS
    exact = listed == expected
    sla = data["totals"]["sla"]
    print(f"\nbacktest of past tickets, fake Zammad answering after {args.latency * 1000:.0f} ms")
    show("tickets replayed (of examined)", f"{data['replayed']:,} ({data['examined']:,})")
    show("seconds, concurrency 4", f"{seconds:.1f}  (bound {BOUND_SECONDS:.0f} s)")
    show("tickets/s, concurrency 4", f"{data['examined'] / seconds:.0f}")
    show("replies that would have gone out", f"{data['totals']['replies']:,}")
    show(
        "due dates met / breached / open / none",
        " / ".join(f"{sla[key]:,}" for key in ("met", "breached", "open", "no due date")),
    )
    show("seconds with --against (two policies)", f"{against_seconds:.1f}")
    show(
        "tickets listed as changed / expected",
        f"{len(listed):,} / {len(expected):,}  ({'exactly those' if exact else 'DIFFERENT'})",
    )
    show(
        f"first {args.subset}, tickets/s at concurrency 1, 4, 8",
        ", ".join(f"{rates[c]:.0f}" for c in (1, 4, 8)),
    )
    show(
        "speed-up over concurrency 1",
        f"4: {rates[4] / rates[1]:.1f}x, 8: {rates[8] / rates[1]:.1f}x",
    )
    show(f"within {BOUND_SECONDS:.0f} s", "yes" if within else "NO")
    return 0 if within and exact else 1


def main_bench() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--latency", type=float, default=0.020)
    parser.add_argument("--subset", type=int, default=400)
    args = parser.parse_args()
    # Forked before this process starts any thread; the child serves on its own core.
    context = multiprocessing.get_context("fork")
    ours, theirs = context.Pipe()
    server = context.Process(
        target=serve_history, args=(args.tickets, args.latency, theirs), daemon=True
    )
    server.start()
    try:
        if not ours.poll(120):
            raise SystemExit("the fake Zammad did not start")
        url, token, seeded = ours.recv()
        with tempfile.TemporaryDirectory(prefix="bench-backtest-") as work:
            status = run(args, url, token, seeded, Path(work))
        ours.send("stop")
        if ours.poll(10):
            show("calls the fake Zammad answered", f"{ours.recv():,}")
        return status
    finally:
        server.join(timeout=10)
        if server.is_alive():
            server.terminate()
            server.join(timeout=10)


if __name__ == "__main__":
    sys.exit(main_bench())
