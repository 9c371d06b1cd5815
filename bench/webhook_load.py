"""Load benchmark: ticket-warden's receiver behind gunicorn against a bare Flask baseline.

Run: python bench/webhook_load.py [--seconds S] [--clients N] [--rate R] [--rounds K]
Both apps run under the same gunicorn settings on loopback, one after the
other in the same run: the bare app reads the body and answers 202; the
receiver verifies the signature, validates the payload, keeps it (SQLite) and
queues it. Each webhook comes on a connection of its own, as Zammad sends them.
Two loads each: as fast as N clients can go (requests/s, p50, p99),
and a steady R requests/s (p50, p99). The load comes from this process's
threads, so it competes for the same two cores: compare the two columns, not
the absolute numbers with other machines.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere
from bench.common import ROOT, SECRET, example_bodies, percentile, signed_headers

GUNICORN = ["-w", "2", "-k", "gthread", "--threads", "4", "--log-level", "warning"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start(app: str, env: dict[str, str]) -> tuple[subprocess.Popen[bytes], str]:
    """gunicorn serving ``app`` in a session of its own, once it answers; never left behind."""
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", *GUNICORN, "-b", f"127.0.0.1:{port}", app],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its workers share its process group: stop() ends them all
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline and process.poll() is None:
            try:
                if requests.get(url + "/healthz", timeout=1).status_code == 200:
                    return process, url + "/webhooks/zammad"
            except requests.RequestException:  # refused, or accepted while booting
                time.sleep(0.1)
    except BaseException:
        stop(process)
        raise
    stop(process)
    raise SystemExit(f"gunicorn did not start for {app}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """End gunicorn's whole process group: master and workers."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def make_request(url: str, bodies: list[bytes]) -> Callable[[requests.Session, int], float]:
    def send(session: requests.Session, n: int) -> float:
        body = bodies[n % len(bodies)]
        # A connection per webhook, as Zammad's sender makes one per request
        # (lib/user_agent.rb: get_http builds a new Net::HTTP each time); it also spreads
        # the load over gunicorn's workers as Zammad's would be, where a kept-alive
        # connection stays with the worker that took it.
        headers = signed_headers(body) | {"Connection": "close"}
        started = time.perf_counter()
        response = session.post(url, data=body, headers=headers, timeout=30)
        elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != 202:
            raise SystemExit(f"unexpected answer {response.status_code}: {response.text[:200]}")
        return elapsed

    return send


Sender = Callable[[requests.Session, int], float]


def flat_out(send: Sender, clients: int, seconds: float) -> tuple[float, list[float]]:
    """As many requests as ``clients`` threads can send in ``seconds``."""
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def client(index: int) -> None:
        session = requests.Session()
        n = index
        while time.monotonic() < stop:
            elapsed = send(session, n)
            with lock:
                latencies.append(elapsed)
            n += clients

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.monotonic() - started), latencies


def steady(send: Sender, rate: float, seconds: float) -> list[float]:
    """``rate`` requests per second for ``seconds``, each sent on schedule (open loop)."""
    total = int(rate * seconds)
    sessions = threading.local()

    def one(n: int, due: float) -> float:
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        if not hasattr(sessions, "session"):
            sessions.session = requests.Session()
        return send(sessions.session, n)

    start_at = time.monotonic() + 0.2
    with ThreadPoolExecutor(max_workers=32) as pool:
        futures = [pool.submit(one, n, start_at + n / rate) for n in range(total)]
        return [future.result() for future in futures]


def measure(
    app: str, env: dict[str, str], bodies: list[bytes], args: argparse.Namespace
) -> dict[str, float]:
    process, url = start(app, env)
    try:
        send = make_request(url, bodies)
        flat_out(send, args.clients, 1.0)  # warm up
        rps, flat = flat_out(send, args.clients, args.seconds)
        paced = steady(send, args.rate, args.seconds)
    finally:
        stop(process)
    return {
        "requests/s (flat out)": rps,
        "p50 ms (flat out)": percentile(flat, 0.5),
        "p99 ms (flat out)": percentile(flat, 0.99),
        f"p50 ms at {args.rate:g}/s": percentile(paced, 0.5),
        f"p99 ms at {args.rate:g}/s": percentile(paced, 0.99),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--rate", type=float, default=200.0)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    bodies = example_bodies()
    env = {key: value for key, value in os.environ.items() if not key.startswith("WARDEN_")}
    env["PYTHONPATH"] = str(ROOT)
    runs: dict[str, list[dict[str, float]]] = {"bare": [], "warden": []}
    with tempfile.TemporaryDirectory() as folder:
        warden_env = env | {
            "WARDEN_STORE": str(Path(folder) / "store.sqlite3"),
            "WARDEN_WEBHOOK_SECRET": SECRET,
        }
        apps = {
            "bare": ("bench.bare_app:app", env),
            "warden": ("webhooks:create_app_from_environment()", warden_env),
        }
        # Alternate the two, first one then the other first, so a change in the
        # machine's load falls on both alike; report each figure's median.
        for round_number in range(args.rounds):
            order = ("bare", "warden") if round_number % 2 == 0 else ("warden", "bare")
            for name in order:
                app, app_env = apps[name]
                runs[name].append(measure(app, app_env, bodies, args))
            print(
                f"  round {round_number + 1}: flat out, bare Flask "
                f"{runs['bare'][-1]['requests/s (flat out)']:,.0f} requests/s, ticket-warden "
                f"{runs['warden'][-1]['requests/s (flat out)']:,.0f}",
                flush=True,
            )
    baseline, warden = (
        {key: statistics.median(run[key] for run in runs[name]) for key in runs[name][0]}
        for name in ("bare", "warden")
    )
    print(
        f"webhook load on loopback, gunicorn {' '.join(GUNICORN)}, {os.cpu_count()} cores, "
        f"median of {args.rounds} alternating rounds"
    )
    print(f"  {'':<24} {'bare Flask':>12} {'ticket-warden':>14} {'ratio':>7}")
    for name, value in baseline.items():
        ratio = warden[name] / value if value else float("nan")
        print(f"  {name:<24} {value:>12,.1f} {warden[name]:>14,.1f} {ratio:>7.2f}")
    print(
        f"  rerun: python bench/webhook_load.py --seconds {args.seconds:g} "
        f"--clients {args.clients} --rate {args.rate:g} --rounds {args.rounds}"
    )


if __name__ == "__main__":
    main()
