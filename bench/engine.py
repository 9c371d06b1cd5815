"""Benchmark of the policy engine: decisions per second and due-date cost by length.

Run: python bench/engine.py [--seconds S]
Prints, side by side from one run: decisions per second over the example
payloads (payload -> neutral model -> Decision, and evaluate() alone), over the
real messages of the corpus (tests/corpus/messages.jsonl), vague-subject judgements
per second over the corpus's real subjects, and office-hours due dates per second
for 4 h and for 400 h, with their ratio. Single process, single thread: the figures
are for one core.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from plugin import text
from plugin.engine import evaluate
from plugin.language.subject_model import judge_subject
from plugin.policy import load_policy
from plugin.rules.channel import addresses
from plugin.rules.machine import machine_verdict
from plugin.rules.subject import vague_subject_finding
from plugin.zammad.payload import parse_payload, to_model
from tests.corpus.corpora import read_messages, read_subjects
from tests.corpus.measure import message_of

ROOT = Path(__file__).resolve().parent.parent
NOW = datetime(2026, 3, 4, 8, tzinfo=UTC)


def rate(work: Callable[[], int], seconds: float) -> float:
    """Best operations per second over five rounds of about ``seconds / 5`` each."""
    best = 0.0
    for _ in range(5):
        done, started = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - started) < seconds / 5:
            done += work()
        best = max(best, done / elapsed)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="time per measurement")
    args = parser.parse_args()

    policy = load_policy(ROOT / "examples" / "policy.yaml")
    payloads = [
        json.loads(path.read_text("utf-8"))
        for path in sorted((ROOT / "examples" / "payloads").glob("*.json"))
    ]
    models = [to_model(parse_payload(payload), policy) for payload in payloads]

    def forget_parsed_text() -> None:
        # In production every message is new: parsed text must not be reused across passes.
        text._written.cache_clear()
        text._plain.cache_clear()
        text.strip_subject_prefixes.cache_clear()
        addresses.cache_clear()
        judge_subject.cache_clear()
        machine_verdict.cache_clear()

    def full_path() -> int:
        for payload in payloads:
            forget_parsed_text()
            ticket, message = to_model(parse_payload(payload), policy)
            evaluate(ticket, message, policy, NOW)
        return len(payloads)

    def evaluate_only() -> int:
        for ticket, message in models:
            forget_parsed_text()
            evaluate(ticket, message, policy, NOW)
        return len(models)

    corpus = [message_of(row, policy) for row in read_messages()]

    def real_messages() -> int:
        for ticket, message in corpus:
            forget_parsed_text()
            evaluate(ticket, message, policy, NOW)
        return len(corpus)

    subjects = [row.subject for row in read_subjects()]

    def real_subjects() -> int:
        judge_subject.cache_clear()
        for subject in subjects:
            vague_subject_finding(subject)
        return len(subjects)

    calendar = policy.calendar
    # Start moments spread over a year, in and out of office hours, tables warm.
    starts = [datetime(2026, 1, 1, tzinfo=UTC) + timedelta(hours=7 * n + 0.25) for n in range(1200)]
    for start in starts:
        calendar.add(start, timedelta(hours=400))

    def due_dates(hours: float) -> Callable[[], int]:
        duration = timedelta(hours=hours)

        def work() -> int:
            for start in starts:
                calendar.add(start, duration)
            return len(starts)

        return work

    seconds = args.seconds
    figures = {
        "decisions/s, payload -> decision": rate(full_path, seconds),
        "decisions/s, evaluate() alone": rate(evaluate_only, seconds),
        f"decisions/s, {len(corpus)} real messages": rate(real_messages, seconds),
        f"vague-subject judgements/s, {len(subjects)} real subjects": rate(real_subjects, seconds),
        "due dates/s, 4 h office hours": rate(due_dates(4), seconds),
        "due dates/s, 400 h office hours": rate(due_dates(400), seconds),
    }
    width = max(len(name) for name in figures)
    print(f"ticket-warden engine benchmark ({len(payloads)} example payloads, one core)")
    for name, value in figures.items():
        print(f"  {name:<{width}}  {value:>12,.0f}")
    per_subject = 1e6 / figures[f"vague-subject judgements/s, {len(subjects)} real subjects"]
    print(f"  {'microseconds per subject':<{width}}  {per_subject:>12.1f}")
    ratio = figures["due dates/s, 4 h office hours"] / figures["due dates/s, 400 h office hours"]
    print(f"  {'cost of 400 h relative to 4 h':<{width}}  {ratio:>12.2f}x")
    cold = load_policy(ROOT / "examples" / "policy.yaml").calendar
    started = time.perf_counter()
    cold.add(datetime(2031, 6, 1, tzinfo=UTC), timedelta(hours=4))
    build_ms = (time.perf_counter() - started) * 1000
    print(f"  {'first due date in a new year (ms)':<{width}}  {build_ms:>12.1f}")
    print("  (each calendar year's open-time table is built once per process, then reused)")


if __name__ == "__main__":
    main()
