"""Across real sockets: a real ``ticket-warden serve`` process and the fake Zammad server."""

from __future__ import annotations

import json
import os
import signal
import uuid
from typing import Any

import pytest
import redis
import requests

from tests.conftest import example_payload
from tests.fake_zammad import BOT
from tests.serving import wait_for
from tests.test_store import REDIS_URL, redis_available


def gold_vague_payload() -> dict[str, Any]:
    """A Gold client's email with a subject that says nothing: it earns a reply."""
    payload = example_payload("gold-normal-friday")
    payload["ticket"] |= {"id": 120, "number": "10120", "title": "Help"}
    payload["article"] |= {"id": 920, "ticket_id": 120, "subject": "Help"}
    return payload


def test_gold_email_is_written_back_once(zammad_server, serve) -> None:
    zammad, _ = zammad_server
    urgent, vague = example_payload("gold-urgent-email"), gold_vague_payload()
    for payload in (urgent, vague):
        zammad.add_ticket_from_payload(payload)
    served = serve()
    for payload in (urgent, vague):
        response = served.post(
            json.dumps(payload).encode(), delivery=f"first-{payload['ticket']['id']}"
        )
        assert response.status_code == 202, response.text
    # A decision is recorded once every write of its event is done.
    wait_for(lambda: len(served.decisions()) == 2, "both tickets to be written back")

    assert zammad.tags[101] == ["priority-request", "sla-gold"]
    assert zammad.ticket(101)["priority"] == "3 high"
    assert zammad.ticket(101)["sla_due_at"] == "2026-03-03T17:00:00.000Z"
    (note,) = zammad.bot_articles(101)
    assert note["type"] == "note" and note["internal"] is True

    assert sorted(zammad.tags[120]) == ["sla-gold", "vague-subject"]
    assert zammad.ticket(120)["sla_due_at"] == "2026-03-09T08:00:00.000Z"  # Mon 10:00 SAST
    reply, note = zammad.bot_articles(120)
    assert (reply["type"], reply["to"], reply["internal"]) == (
        "email",
        "thandi@acme.example",
        False,
    )
    assert reply["content_type"] == "text/html" and "describes the problem" in reply["body"]
    assert note["internal"] is True and "replied=vague-subject" in note["body"]

    writes_before = list(zammad.writes)
    decided = len(served.decisions())
    duplicate = served.post(json.dumps(urgent).encode(), delivery="first-101")
    assert duplicate.status_code == 200 and duplicate.json()["status"] == "duplicate"
    for payload in (urgent, vague):
        assert served.post(json.dumps(payload).encode()).status_code == 202
    wait_for(lambda: len(served.decisions()) == decided + 2, "the replays to be decided")
    assert zammad.writes == writes_before
    assert "Traceback" not in served.log


def test_bad_requests_get_json_errors_and_no_traceback(zammad_server, serve) -> None:
    served = serve()
    payload = json.dumps(example_payload("whatsapp")).encode()
    unsigned = requests.post(served.url, data=payload, timeout=10)
    wrong = served.post(payload, **{"X-Hub-Signature": "sha1=" + "ab" * 20})
    not_json = served.post(b"<xml/>")
    wrong_shape = served.post(b'{"ticket": {"id": 1}}')
    oversized = served.post(b'{"x": "' + b"y" * 70000 + b'"}')
    for response, status in [
        (unsigned, 401),
        (wrong, 401),
        (not_json, 400),
        (wrong_shape, 422),
        (oversized, 413),
    ]:
        assert response.status_code == status, response.text
        assert response.headers["Content-Type"] == "application/json"
        assert set(response.json()) == {"error", "message"}
    assert "Traceback" not in served.log


def test_agent_articles_internal_notes_and_auto_responses_write_nothing(
    zammad_server, serve
) -> None:
    zammad, _ = zammad_server
    internal = example_payload("gold-urgent-email")
    internal["article"] |= {"internal": True, "type": "note", "sender": "Agent", "id": 960}
    own = example_payload("gold-urgent-email")
    own["article"] |= {"id": 961, "sender": "Agent", "created_by": {"login": BOT["login"]}}
    payloads = [example_payload("agent-reply"), internal, example_payload("auto-reply"), own]
    for payload in payloads:
        zammad.add_ticket_from_payload(payload)
    served = serve()
    for payload in payloads:
        assert served.post(json.dumps(payload).encode()).status_code == 202
    decided = wait_for(lambda: len(served.decisions()) == 4 and served.decisions(), "4 decisions")
    assert all(entry["decision"]["skipped"] for entry in decided)
    assert zammad.writes == []


def test_a_kill_after_202_loses_nothing(zammad_server, serve) -> None:
    """SIGKILL while the worker is mid-event, before any write: a restart applies it.

    The worker has already taken the task off huey's queue here, the harder case;
    an event still in the queue survives in huey's SQLite file as well.
    """
    zammad, _ = zammad_server
    payload = example_payload("gold-urgent-email")
    zammad.add_ticket_from_payload(payload)
    first = serve()
    with zammad.holding("/api/v1/tickets/"):
        assert first.post(json.dumps(payload).encode()).status_code == 202
        wait_for(lambda: ("GET", "/api/v1/tickets/101") in zammad.requests, "the worker to start")
        first.stop(signal.SIGKILL)
    assert zammad.writes == []
    second = serve()
    wait_for(lambda: len(second.decisions()) == 1, "the restarted worker to write back")
    assert zammad.tags[101] == ["priority-request", "sla-gold"]
    assert len(zammad.bot_articles(101)) == 1
    assert "queued 1 unfinished deliveries again" in second.log


def test_zammad_failures_are_retried_until_written(zammad_server, serve) -> None:
    zammad, _ = zammad_server
    payload = gold_vague_payload()
    zammad.add_ticket_from_payload(payload)
    zammad.fail("POST", "/api/v1/ticket_articles", 503, times=1)
    zammad.fail("GET", "/api/v1/tags", 429, times=1, headers={"Retry-After": "0"})
    served = serve()
    assert served.post(json.dumps(payload).encode()).status_code == 202
    wait_for(lambda: len(served.decisions()) == 1, "the reply, the note and the rest")
    reply, note = zammad.bot_articles(120)
    assert not reply["internal"] and note["internal"]
    assert "Traceback" not in served.log


@pytest.mark.skipif(not redis_available() and not os.environ.get("CI"), reason="no Redis here")
def test_redis_store_end_to_end(zammad_server, serve) -> None:
    zammad, _ = zammad_server
    namespace = f"tw-it-{uuid.uuid4().hex[:8]}"
    payload = example_payload("gold-urgent-email")
    zammad.add_ticket_from_payload(payload)
    served = serve(WARDEN_STORE=REDIS_URL, WARDEN_NAMESPACE=namespace)
    try:
        body = json.dumps(payload).encode()
        assert served.post(body, delivery="redis-1").status_code == 202
        wait_for(lambda: len(served.decisions()) == 1, "the decision via the Redis queue")
        assert served.post(body, delivery="redis-1").json()["status"] == "duplicate"
        assert zammad.tags[101] == ["priority-request", "sla-gold"]
    finally:
        served.stop()
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"*{namespace}*"):
            client.delete(key)
