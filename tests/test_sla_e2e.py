"""The SLA clock end to end (issue 12): the receiver records each ticket's clock as the
fake Zammad's webhooks arrive, and the worker's periodic task, run here with a frozen
clock, reminds waiting clients, warns agents before a breach and marks it after."""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from plugin.runtime import Runtime, build_runtime
from plugin.settings import Settings
from plugin.store import SqliteStore, open_store
from tests.conftest import EXAMPLES, settled
from tests.fake_zammad import FakeZammad
from tests.serving import SECRET, Served
from tests.test_store import redis_available
from tests.test_zammad_e2e import CUSTOMER

SAST = ZoneInfo("Africa/Johannesburg")
DETAILS = (
    "The nightly backup of fileserver02 (10.2.0.12) fails with 'Network error' since "
    "Wednesday; we restarted the agent, no change."
)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """March 2026 in the policy's zone: the 2nd is a Monday, the 6th a Friday."""
    return datetime(2026, 3, day, hour, minute, tzinfo=SAST)


def worker(
    zammad: FakeZammad,
    url: str,
    store: str,
    tmp_path: Path,
    name: str,
    *,
    policy: Path = EXAMPLES / "policy.yaml",
) -> Runtime:
    """A second ticket-warden process's runtime on the same helpdesk and ``store``."""
    settings = Settings(
        zammad_url=url,
        zammad_token=zammad.token,
        webhook_secret=SECRET,
        store=store,
        policy=policy,
        namespace=name,
        reconcile_every_minutes=0,
        retries=0,
    )
    return build_runtime(settings, session=requests.Session(), immediate=True)


@pytest.fixture
def tend(
    installed: tuple[FakeZammad, Served], zammad_server: tuple[FakeZammad, str], tmp_path: Path
) -> Callable[[datetime], int]:
    """Run the periodic SLA task at a given moment, on the receiver's own store."""
    zammad, url = zammad_server
    runtime = worker(zammad, url, str(tmp_path / "warden.sqlite3"), tmp_path, "tender")
    return runtime.tend_clocks


def mail(zammad: FakeZammad, moment: datetime, **fields: Any) -> int:
    ticket_id, _ = zammad.receive_mail(
        sender=CUSTOMER, name="Thandi Nkosi", at=moment, **{"subject": "Help!!", **fields}
    )
    return ticket_id


def replies(zammad: FakeZammad, ticket_id: int) -> list[dict[str, Any]]:
    return [a for a in zammad.bot_articles(ticket_id) if not a["internal"]]


def test_one_reminder_after_sixteen_business_hours_and_not_over_a_weekend(
    installed: tuple[FakeZammad, Served], tend: Callable[[datetime], int]
) -> None:
    zammad, served = installed
    ticket_id = mail(zammad, at(6, 9), body="Help!!")  # Friday 09:00
    settled(zammad, served, 1)
    assert len(replies(zammad, ticket_id)) == 1  # the guidance reply
    for moment in (at(6, 16, 59), at(7, 12), at(8, 23), at(9, 15, 59)):  # 8 h, weekend, 15 h
        assert tend(moment) == 0
    assert tend(at(9, 16, 30)) == 1  # Monday: 16 business hours have run
    assert tend(at(9, 16, 45)) == 0
    assert tend(at(10, 12)) == 0
    reminder = replies(zammad, ticket_id)[-1]
    assert len(replies(zammad, ticket_id)) == 2
    assert "still waiting for the details" in reminder["body"]
    assert reminder["to"] == CUSTOMER and reminder["sender"] == "System"
    assert "no answer after 16 h 30 min of waiting" in zammad.bot_articles(ticket_id)[-1]["body"]


def test_a_warning_at_three_quarters_a_breach_after_the_due_date_both_gone_when_answered(
    installed: tuple[FakeZammad, Served], tend: Callable[[datetime], int]
) -> None:
    zammad, served = installed
    subject = "Backup job fails on fileserver02 since Wednesday"
    ticket_id = mail(zammad, at(2, 9), subject=subject, body=DETAILS)  # Gold: due 13:00
    settled(zammad, served, 1)
    assert replies(zammad, ticket_id) == []  # nothing asked: the clock runs
    assert tend(at(2, 11, 59)) == 0
    assert tend(at(2, 12)) == 1
    assert "sla-warning" in zammad.tags[ticket_id]
    assert tend(at(2, 12, 30)) == 0
    assert tend(at(2, 13)) == 1
    assert {"sla-warning", "sla-breached"} <= set(zammad.tags[ticket_id])
    assert tend(at(2, 16)) == 0
    zammad.agent_reply(ticket_id, body="<p>We are on it.</p>", to=CUSTOMER)
    settled(zammad, served, 2)
    assert tend(at(2, 16, 5)) == 1
    assert not {"sla-warning", "sla-breached"} & set(zammad.tags[ticket_id])
    notes = [a["body"] for a in zammad.bot_articles(ticket_id) if a["internal"]]
    assert sum("75% of the 4 h target has run" in note for note in notes) == 1
    exported = tend.__self__.metrics.exposition().decode()  # type: ignore[attr-defined]
    for event in ("warned", "breached", "first-response"):
        assert f'ticket_warden_sla_events_total{{event="{event}"}} 1.0' in exported
    assert sum("the due date 2026-03-02 13:00 has passed" in note for note in notes) == 1


def _tend_in_a_process(
    zammad: FakeZammad, url: str, redis_url: str, tmp_path: Path, namespace: str,
    start: Any, results: Any,
) -> None:  # fmt: skip
    """One worker process: its own runtime and Redis connection, started with the other."""
    runtime = worker(zammad, url, redis_url, tmp_path, namespace)
    start.wait()
    results.put(runtime.tend_clocks(at(3, 16, 30)))  # 16.5 business hours


@pytest.mark.skipif(not redis_available(), reason="needs Redis on 127.0.0.1:6379")
def test_two_worker_processes_on_redis_remind_once(
    installed: tuple[FakeZammad, Served], zammad_server: tuple[FakeZammad, str], tmp_path: Path
) -> None:
    zammad, served = installed
    ticket_id = mail(zammad, at(2, 9), body="Help!!")
    settled(zammad, served, 1)
    record = SqliteStore(tmp_path / "warden.sqlite3").clock(str(ticket_id))
    assert record is not None and record.paused_since is not None
    namespace = f"warden-test-{ticket_id}-{os.getpid()}"
    redis_url = "redis://127.0.0.1:6379/0"
    open_store(redis_url, namespace=namespace).save_clock(record)
    _zammad, url = zammad_server
    # Forked: the children reach the fake Zammad, served by this process, over HTTP.
    context = multiprocessing.get_context("fork")
    start, results = context.Barrier(2), context.Queue()
    processes = [
        context.Process(
            target=_tend_in_a_process,
            args=(zammad, url, redis_url, tmp_path, namespace, start, results),
        )
        for _ in range(2)
    ]
    for process in processes:
        process.start()
    for process in processes:
        process.join(timeout=120)
        assert process.exitcode == 0
    assert sorted(results.get(timeout=5) for _ in processes) == [0, 1]
    assert len(replies(zammad, ticket_id)) == 2  # the guidance reply and one reminder


def test_an_answer_that_still_lacks_the_details_keeps_the_clock_waiting_unanswered(
    installed: tuple[FakeZammad, Served],
) -> None:
    zammad, served = installed
    ticket_id = mail(zammad, at(2, 9), body="Help!!")
    settled(zammad, served, 1)
    due = zammad.ticket(ticket_id)["sla_due_at"]
    mail(zammad, at(2, 11), subject="Re: Help!!", body="It is still broken.", ticket_id=ticket_id)
    settled(zammad, served, 2)
    ticket = zammad.ticket(ticket_id)
    # Zammad reopened it on the mail; the bot puts it back to waiting, and the due
    # date stays where it was (it moves when the answer comes).
    assert ticket["state"] == "pending reminder"
    assert ticket["sla_due_at"] == due
    assert len(replies(zammad, ticket_id)) == 1  # not answered twice
    assert "still lacks the details" in zammad.bot_articles(ticket_id)[-1]["body"]


def test_closing_for_want_of_an_answer_when_the_policy_asks_for_it(
    installed: tuple[FakeZammad, Served], zammad_server: tuple[FakeZammad, str], tmp_path: Path
) -> None:
    zammad, served = installed
    policy = tmp_path / "closing.yaml"
    policy.write_text(
        (EXAMPLES / "policy.yaml").read_text("utf-8") + "\nwaiting: {close_after: 24}\n", "utf-8"
    )
    _zammad, url = zammad_server
    settings_store = str(tmp_path / "warden.sqlite3")
    tender = worker(zammad, url, settings_store, tmp_path, "closer", policy=policy)
    ticket_id = mail(zammad, at(2, 9), body="Help!!")  # Monday 09:00
    settled(zammad, served, 1)
    assert tender.tend_clocks(at(3, 16)) == 1  # the reminder after 16 office hours
    assert tender.tend_clocks(at(4, 14, 59)) == 0
    assert tender.tend_clocks(at(4, 15)) == 1  # 24 office hours: closed
    assert zammad.ticket(ticket_id)["state"] == "closed"
    closing = replies(zammad, ticket_id)[-1]
    assert "we have closed this request" in closing["body"]
    assert len(replies(zammad, ticket_id)) == 3  # guidance, reminder, closing
    assert tender.tend_clocks(at(5, 9)) == 0  # a closed clock is not live
