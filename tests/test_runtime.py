"""The runtime's processing of deliveries: once, in order, with bounded retries."""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from huey.exceptions import RetryTask

from plugin.errors import HelpdeskError, HelpdeskUnavailableError
from plugin.runtime import Runtime, build_runtime, delivery_id_for
from plugin.settings import Settings
from plugin.store import DONE, FAILED, PENDING, LockTimeoutError, open_store
from tests.conftest import EXAMPLES, FakeHelpdesk, example_payload
from tests.test_store import REDIS_URL, redis_available


@pytest.fixture
def helpdesk() -> FakeHelpdesk:
    return FakeHelpdesk()


@pytest.fixture
def runtime(tmp_path: Path, helpdesk: FakeHelpdesk) -> Runtime:
    settings = Settings(
        store=str(tmp_path / "s.sqlite3"),
        policy=EXAMPLES / "policy.yaml",
        zammad_url="https://helpdesk.example",
        zammad_token="t",
        webhook_secret="s",
        retries=2,
        retry_delay_seconds=3,
    )
    return build_runtime(settings, helpdesk=helpdesk)


def keep(runtime: Runtime, helpdesk: FakeHelpdesk, name: str, delivery: str) -> None:
    payload = example_payload(name)
    helpdesk.add_ticket(payload)
    assert runtime.store.accept(delivery, json.dumps(payload).encode())


def test_a_delivery_is_processed_once(runtime: Runtime, helpdesk: FakeHelpdesk) -> None:
    keep(runtime, helpdesk, "gold-urgent-email", "d1")
    runtime.process("d1")
    runtime.process("d1")
    assert runtime.store.delivery("d1").state == DONE
    assert len(helpdesk.written("post_note")) == 1
    (entry,) = runtime.store.recent()
    assert entry["writes"][0] == "internal note" and entry["dry_run"] is False


def test_helpdesk_trouble_is_retried_with_growing_delays_then_given_up(
    runtime: Runtime, helpdesk: FakeHelpdesk, caplog
) -> None:
    keep(runtime, helpdesk, "gold-urgent-email", "d1")
    delays = []
    for _ in range(2):
        helpdesk.fail_on["update_ticket"] = HelpdeskUnavailableError("connection refused")
        with pytest.raises(RetryTask) as caught:
            runtime._run_task("d1")
        delays.append(caught.value.delay)
    assert delays == [3, 6]
    helpdesk.fail_on["update_ticket"] = HelpdeskError(503, "maintenance")
    runtime._run_task("d1")  # the third failure is the last allowed: given up, no raise
    delivery = runtime.store.delivery("d1")
    assert delivery.state == FAILED
    assert "failed for good after 3 attempts" in caplog.text


def test_a_permanent_helpdesk_error_is_not_retried(runtime: Runtime, helpdesk) -> None:
    keep(runtime, helpdesk, "gold-urgent-email", "d1")
    del helpdesk.tickets[101]  # the ticket was deleted: reading it fails with 404 in Zammad

    def missing(ticket_id: int):
        raise HelpdeskError(404, "Couldn't find Ticket")

    helpdesk.ticket_state = missing
    runtime._run_task("d1")
    assert runtime.store.delivery("d1").state == FAILED


def test_pending_deliveries_are_queued_again(runtime: Runtime, helpdesk) -> None:
    keep(runtime, helpdesk, "gold-urgent-email", "d1")
    queued = []
    runtime._task = queued.append
    assert runtime.requeue_pending() == 1 and queued == ["d1"]
    assert runtime.store.delivery("d1").state == PENDING


def test_delivery_ids() -> None:
    assert delivery_id_for(" abc ", b"x") == "abc"
    assert delivery_id_for(None, b"x") == delivery_id_for("", b"x")
    assert delivery_id_for(None, b"x") != delivery_id_for(None, b"y")


def test_an_uncertain_write_waits_long_enough_to_show(runtime: Runtime, helpdesk) -> None:
    keep(runtime, helpdesk, "gold-urgent-email", "d1")
    helpdesk.fail_on["update_ticket"] = HelpdeskUnavailableError("read timed out", uncertain=True)
    with pytest.raises(RetryTask) as caught:
        runtime._run_task("d1")
    assert caught.value.delay == 3 * runtime.settings.timeout_seconds


def test_after_an_uncertain_write_the_ticket_stays_locked(runtime: Runtime, helpdesk) -> None:
    keep(runtime, helpdesk, "gold-urgent-email", "d1")
    helpdesk.fail_on["update_ticket"] = HelpdeskUnavailableError("read timed out", uncertain=True)
    with pytest.raises(RetryTask):
        runtime._run_task("d1")
    with pytest.raises(LockTimeoutError), runtime.store.lock("ticket-101", wait=0.2):
        pass  # a duplicate delivery for ticket 101 must wait for the write to show


def test_a_poison_event_is_dead_not_pending_forever(runtime: Runtime, helpdesk, caplog) -> None:
    """A failure retries cannot fix ends the delivery: counted dead, requeued by hand."""
    keep(runtime, helpdesk, "gold-urgent-email", "d1")

    def broken(ticket_id: int):
        raise OverflowError("date value out of range")

    real = helpdesk.ticket_state
    helpdesk.ticket_state = broken
    runtime._run_task("d1")  # no raise: huey would retry it for ever otherwise
    assert runtime.store.delivery("d1").state == FAILED
    assert runtime.store.pending() == [] and runtime.store.dead_count() == 1
    assert "delivery d1 is dead (ticket-warden requeue d1 tries it again)" in caplog.text
    assert "ticket_warden_dead_deliveries 1.0" in runtime.metrics.exposition().decode()

    helpdesk.ticket_state = real  # fixed (say, a new release): try it again by hand
    queued = []
    runtime._task = queued.append
    assert runtime.requeue("d1") and queued == ["d1"]
    assert runtime.store.dead_count() == 0
    runtime.process("d1")
    assert runtime.store.delivery("d1").state == DONE
    assert not runtime.requeue("d1") and not runtime.requeue("unknown")


def test_a_decision_is_recorded_with_the_end_of_its_delivery_or_not_at_all(
    runtime: Runtime, helpdesk
) -> None:
    """Recording and finishing are one transaction: a crash between them cannot
    leave a decision recorded for a delivery still pending (and so recorded twice)."""
    keep(runtime, helpdesk, "gold-urgent-email", "d1")
    with pytest.raises(sqlite3.Error):  # the update fails after the decision's insert
        runtime.store.finish(["not", "an", "id"], entry={"delivery": "d1"})
    assert runtime.store.recent() == []
    runtime.process("d1")
    runtime.process("d1")
    assert [entry["delivery"] for entry in runtime.store.recent()] == ["d1"]


@pytest.mark.skipif(not redis_available() and not os.environ.get("CI"), reason="no Redis here")
def test_dead_deliveries_in_redis(tmp_path: Path) -> None:
    namespace = f"tw-dead-{uuid.uuid4().hex[:8]}"
    store = open_store(REDIS_URL, namespace=namespace)
    try:
        assert store.accept("d1", b"{}")
        store.finish("d1", error="OverflowError: out of range")
        assert store.dead_count() == 1 and store.pending() == []
        assert store.requeue("d1") and store.pending() == ["d1"] and store.dead_count() == 0
        assert store.delivery("d1").attempts == 0 and not store.requeue("d1")
    finally:
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{namespace}*"):
            client.delete(key)


def test_the_receiver_keeps_and_the_dispatcher_queues(runtime: Runtime, helpdesk) -> None:
    """The receiver writes one row; a worker's dispatcher claims it, once, and queues it."""
    payload = example_payload("gold-urgent-email")
    helpdesk.add_ticket(payload)
    body = json.dumps(payload).encode()
    assert runtime.submit("d1", body)
    assert not runtime.submit("d1", body)  # a duplicate is kept once
    assert runtime.huey.pending_count() == 0  # nothing queued on the request path
    assert runtime.dispatch_new() == 1 and runtime.dispatch_new() == 0  # claimed once
    task = runtime.huey.dequeue()
    assert task is not None and task.args == ("d1",)
    runtime.huey.execute(task)
    assert runtime.store.delivery("d1").state == DONE
    assert runtime.huey.pending_count() == 0


def test_the_dispatcher_thread_queues_until_stopped(runtime: Runtime) -> None:
    queued: list[str] = []
    runtime._task = queued.append
    stop = threading.Event()
    thread = threading.Thread(target=runtime.run_dispatcher, args=(stop, 0.01))
    thread.start()
    try:
        runtime.store.accept("d1", b"{}")
        runtime.store.accept("d2", b"{}")
        deadline = time.monotonic() + 5
        while len(queued) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        stop.set()
        thread.join(timeout=5)
    assert queued == ["d1", "d2"] and not thread.is_alive()
