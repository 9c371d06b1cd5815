"""Helpdesk API calls per decided ticket, against the fake Zammad on loopback.

Run: python bench/api_calls.py

Each example payload is applied by the executor through the Zammad client to
its own ticket in the fake Zammad (tests/fake_zammad, built from Zammad's
source). It prints, per payload, the calls made for the event, the tags added
or removed, and the budget: one read, one reply, one ticket update carrying the
note, plus one call per tag (issue: at most 3 plus one per tag). The one-time
look-ups of a process (the bot's own user, priority and state names) are
counted apart. A replay of every event follows: it must cost the read alone.
"""

from __future__ import annotations

import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from plugin.executor import Executor  # noqa: E402
from plugin.policy import load_policy  # noqa: E402
from plugin.zammad.client import ZammadClient  # noqa: E402
from plugin.zammad.helpdesk import ZammadHelpdesk  # noqa: E402
from plugin.zammad.payload import parse_payload, to_event  # noqa: E402
from tests.conftest import example_payload  # noqa: E402
from tests.fake_zammad import FakeZammad, running  # noqa: E402

ONE_TIME = ("/api/v1/users/me", "/api/v1/ticket_priorities", "/api/v1/ticket_states")
NAMES = sorted(path.stem for path in (ROOT / "examples" / "payloads").glob("*.json"))


def main() -> int:
    policy = load_policy(ROOT / "examples" / "policy.yaml")
    zammad = FakeZammad()
    zammad.add_column(policy.due_date_attribute)  # installed, Zammad restarted
    payloads = [example_payload(name) for name in NAMES]
    for payload in payloads:
        zammad.add_ticket_from_payload(payload)
    clock = datetime(2026, 3, 10, 9, tzinfo=UTC)
    over = 0
    with running(zammad) as url:
        client = ZammadClient(url, zammad.token, requests.Session())
        helpdesk = ZammadHelpdesk(client, due_attribute=policy.due_date_attribute)
        executor = Executor(helpdesk, policy, clock=lambda: clock)
        print(f"{'payload':<28}{'calls':>6}{'tags':>6}{'budget':>8}  calls made")
        for rounds, label in ((1, "first delivery"), (2, "replay")):
            if rounds == 2:
                print(f"-- {label}: every event again --")
            for name, payload in zip(NAMES, payloads, strict=True):
                before = len(zammad.requests)
                event = to_event(parse_payload(payload), policy, bot_login=None)
                applied = executor.apply(event)
                made = [
                    (method, path)
                    for method, path in zammad.requests[before:]
                    if path not in ONE_TIME
                ]
                tags = sum(1 for write in applied.writes if write.startswith("tag "))
                budget = (3 + tags) if rounds == 1 else 1
                over += len(made) > budget
                kinds = Counter(f"{method} {_short(path)}" for method, path in made)
                shown = ", ".join(f"{n}x {kind}" if n > 1 else kind for kind, n in kinds.items())
                print(f"{name:<28}{len(made):>6}{tags:>6}{budget:>8}  {shown or '-'}")
        one_time = sum(1 for _method, path in zammad.requests if path in ONE_TIME)
    print(f"one-time look-ups for the process: {one_time} ({', '.join(ONE_TIME)})")
    print("every event within budget" if not over else f"{over} events over budget")
    return 1 if over else 0


def _short(path: str) -> str:
    parts = path.split("/")
    return "/".join("ID" if part.isdigit() else part for part in parts[3:])


if __name__ == "__main__":
    sys.exit(main())
