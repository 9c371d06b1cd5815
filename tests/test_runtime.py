"""The runtime's processing of deliveries: once, in order, with bounded retries."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from huey.exceptions import RetryTask

from plugin.errors import HelpdeskError, HelpdeskUnavailableError
from plugin.runtime import Runtime, build_runtime, delivery_id_for
from plugin.settings import Settings
from plugin.store import DONE, FAILED, PENDING, LockTimeoutError
from tests.conftest import EXAMPLES, FakeHelpdesk, example_payload


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
