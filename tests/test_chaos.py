"""Chaos: a real serve against a failing fake Zammad, killed twice while it drains.

500 distinct ticket events, a share sent twice and some concurrently for the
same ticket; the fake fails about 15 % of calls (500, 503, 429 with
Retry-After, answers slower than the client waits, connections dropped before
or after the work is done). Afterwards every ticket must carry exactly its
decision's tags, priority, due date and state, one note and at most one reply.
A second part keeps some events from ever arriving (Zammad gave up during a
long outage) and shows ``reconcile`` applying them.

Run alone with ``pytest -m chaos``; it is part of the default run.
"""

from __future__ import annotations

import copy
import json
import signal
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from plugin.engine import evaluate
from plugin.executor import zammad_time
from plugin.moments import parse_api_time
from plugin.names import Sender
from plugin.policy import load_policy
from plugin.sla.lifecycle import ASKING
from plugin.zammad.payload import parse_payload, to_model
from tests.conftest import EXAMPLES, example_payload
from tests.fake_zammad import FakeZammad
from tests.serving import wait_for

pytestmark = pytest.mark.chaos

TEMPLATES = [
    "gold-urgent-email", "gold-normal-friday", "silver-before-freedom-day", "per-incident-email",
    "whatsapp", "wrong-address", "vague-subject", "meeting-request", "outside-hours",
    "project-task", "auto-reply", "agent-reply",
]  # fmt: skip
EVENTS = 500
NEVER_DELIVERED = 20
POLICY = load_policy(EXAMPLES / "policy.yaml")


def make_payload(n: int) -> dict[str, Any]:
    """Event ``n``: a copy of one of the example payloads on a ticket of its own."""
    payload = copy.deepcopy(example_payload(TEMPLATES[n % len(TEMPLATES)]))
    ticket_id, article_id = 10_000 + n, 500_000 + n
    payload["ticket"] |= {"id": ticket_id, "number": str(60_000 + n)}
    payload["article"] |= {"id": article_id, "ticket_id": ticket_id}
    if payload["ticket"].get("article_count", 1) > 1:
        payload["ticket"]["article_count"] = 1  # one customer article per ticket here
    return payload


def expected(payload: dict[str, Any]) -> dict[str, Any]:
    """What the fake Zammad must hold for this ticket in the end."""
    ticket, message = to_model(parse_payload(payload), POLICY)
    decision = evaluate(ticket, message, POLICY, datetime.now(UTC))
    # Zammad opens a new ticket on an agent's public email (resets_ticket_state.rb).
    agent_mail = message is not None and message.sender is Sender.AGENT and not message.internal
    if decision.skipped:
        return {"tags": [], "priority": "2 normal", "due": None,
                "state": "open" if agent_mail else "new", "notes": 0, "replies": 0}  # fmt: skip
    # A reply that asks the client for something makes the ticket wait (plugin/sla/).
    asks = bool(decision.replies) and bool(ASKING & set(decision.replies[0].reasons))
    state = "closed" if decision.close else "pending reminder" if asks else "new"
    return {
        "tags": sorted(decision.tags),
        "priority": decision.priority,
        "due": zammad_time(decision.due_at) if decision.due_at else None,
        "state": state,
        "notes": 1,
        "replies": len(decision.replies),
    }


def held(zammad: FakeZammad, ticket_id: int) -> dict[str, Any]:
    bot = zammad.bot_articles(ticket_id)
    ticket = zammad.ticket(ticket_id)
    due = parse_api_time(ticket.get("sla_due_at"))
    return {
        "tags": sorted(zammad.tags[ticket_id]),
        "priority": ticket["priority"],
        "due": zammad_time(due) if due else None,
        "state": ticket["state"],
        "notes": sum(1 for a in bot if a.get("internal")),
        "replies": sum(1 for a in bot if not a.get("internal")),
    }


def test_nothing_lost_nothing_doubled_under_faults_and_kills(
    zammad_server, serve, serve_env
) -> None:
    zammad, _ = zammad_server
    zammad.now = datetime(2026, 4, 25, tzinfo=UTC)  # after every template ticket
    payloads = [make_payload(n) for n in range(EVENTS + NEVER_DELIVERED)]
    for payload in payloads:
        zammad.add_ticket_from_payload(payload)
    delivered = payloads[:EVENTS]
    extra_env = {
        "WARDEN_RETRIES": "200",
        "WARDEN_RETRY_DELAY_SECONDS": "0.05",
        "WARDEN_TIMEOUT_SECONDS": "1",
        "WARDEN_WORKERS": "4",
    }
    served = serve(**extra_env)
    zammad.chaos(0.15, timeout=1.3)

    def post(payload: dict[str, Any]) -> None:
        response = served.post(json.dumps(payload).encode())
        assert response.status_code == 202, response.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(post, delivered))
        # A share again later with new delivery ids (Zammad retries, or a replayed event)...
        list(pool.map(post, delivered[::10]))
        # ...and some twice at the same moment, for the same ticket.
        for payload in delivered[5::25]:
            list(pool.map(post, [payload, payload]))

    def notes_written() -> int:
        return sum(1 for p in delivered for a in zammad.bot_articles(p["ticket"]["id"])
                   if a.get("internal"))  # fmt: skip

    total_notes = sum(expected(p)["notes"] for p in delivered)
    for share in (3, 2):  # kill at about a third and at about two thirds of the way
        wait_for(lambda s=share: notes_written() >= total_notes // s, "progress", timeout=240)
        served.stop(signal.SIGKILL)
        served = serve(**extra_env)

    def drained() -> bool:
        return served.pending() == 0

    wait_for(drained, "the backlog to drain", timeout=300)
    zammad.chaos(0)
    assert sum(zammad.chaos_faults.values()) > 100, zammad.chaos_faults
    mismatches = {
        p["ticket"]["id"]: (held(zammad, p["ticket"]["id"]), expected(p))
        for p in delivered
        if held(zammad, p["ticket"]["id"]) != expected(p)
    }
    differences = {
        ticket: {key: (got[key], want[key]) for key in got if got[key] != want[key]}
        for ticket, (got, want) in mismatches.items()
    }
    assert differences == {}, f"held != expected for {len(differences)} tickets"

    # The long outage: these events never arrived; reconcile finds and applies them.
    never = payloads[EVENTS:]
    assert all(held(zammad, p["ticket"]["id"])["notes"] == 0 for p in never)
    result = subprocess.run(
        [sys.executable, "-m", "plugin.cli", "reconcile", "--since", "60d"],
        env=serve_env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    late = {
        p["ticket"]["id"]: (held(zammad, p["ticket"]["id"]), expected(p))
        for p in payloads
        if held(zammad, p["ticket"]["id"]) != expected(p)
    }
    assert late == {}, result.stdout + result.stderr[-3000:]
    assert "Traceback" not in served.log
