"""Reconcile: tickets whose webhook never arrived are found and applied, once."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import requests

from plugin.cli import main
from plugin.runtime import Runtime, build_runtime
from plugin.settings import Settings
from plugin.zammad.client import ZammadClient
from plugin.zammad.reconcile import PAGE_SIZE, created_within, parse_window
from tests.conftest import EXAMPLES, example_payload
from tests.fake_zammad import FakeZammad, running

NOW = datetime(2026, 3, 10, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[tuple[FakeZammad, str]]:
    zammad = FakeZammad(now=NOW)
    zammad.add_column("sla_due_at")
    for name in ("gold-urgent-email", "vague-subject", "meeting-request", "agent-reply"):
        zammad.add_ticket_from_payload(example_payload(name))
    zammad.tags[108] = ["sla-silver", "meeting-request"]  # handled before the outage
    with running(zammad) as url:
        yield zammad, url


def live_settings(tmp_path: Path, url: str, token: str) -> dict[str, str]:
    return {
        "WARDEN_ZAMMAD_URL": url,
        "WARDEN_ZAMMAD_TOKEN": token,
        "WARDEN_WEBHOOK_SECRET": "s",
        "WARDEN_STORE": str(tmp_path / "store.sqlite3"),
        "WARDEN_POLICY": str(EXAMPLES / "policy.yaml"),
    }


@pytest.fixture
def runtime(fake, tmp_path: Path, monkeypatch) -> Runtime:
    zammad, url = fake
    for key, value in live_settings(tmp_path, url, zammad.token).items():
        monkeypatch.setenv(key, value)
    return build_runtime(Settings())


def test_missed_tickets_are_applied_and_handled_ones_left_alone(fake, runtime) -> None:
    zammad, _ = fake
    report = runtime.reconcile(timedelta(days=10))
    # 101 (Tue) and 107 (Wed) were never handled; 108 was; 111 has no customer article.
    assert (report.examined, report.applied) == (4, 2)
    assert zammad.tags[101] == ["priority-request", "sla-gold"]
    assert zammad.ticket(101)["sla_due_at"] == "2026-03-03T17:00:00.000Z"
    assert sorted(zammad.tags[107]) == ["needs-info", "per-incident", "vague-subject"]
    assert [a["type"] for a in zammad.bot_articles(107)] == ["email", "note"]
    assert zammad.tags[108] == ["sla-silver", "meeting-request"]
    assert zammad.bot_articles(108) == [] and zammad.bot_articles(111) == []

    writes = len(zammad.writes)
    again = runtime.reconcile(timedelta(days=10))
    assert again.applied == 0 and len(zammad.writes) == writes


def test_the_window_limits_the_search(fake, runtime) -> None:
    zammad, _ = fake
    report = runtime.reconcile(timedelta(hours=1))
    assert report.examined == 0 and zammad.writes == []


def test_reconcile_command(fake, tmp_path: Path, monkeypatch, capsys) -> None:
    zammad, url = fake
    for key, value in live_settings(tmp_path, url, zammad.token).items():
        monkeypatch.setenv(key, value)
    assert main(["reconcile", "--since", "10d"]) == 0
    out = capsys.readouterr().out
    assert "examined 4 tickets created in the last 10d; wrote to 2" in out
    assert "found by database search by condition (works with or without Elasticsearch)" in out
    assert main(["reconcile", "--since", "soon"]) == 2
    assert "is not a window" in capsys.readouterr().err


def test_reconcile_refuses_dry_run(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.delenv("WARDEN_ZAMMAD_URL", raising=False)
    monkeypatch.setenv("WARDEN_STORE", str(tmp_path / "s.sqlite3"))
    assert main(["reconcile"]) == 2
    assert "reconcile writes to the helpdesk" in capsys.readouterr().err


def test_an_unreachable_helpdesk_is_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    for key, value in live_settings(tmp_path, "http://127.0.0.1:9", "t").items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("WARDEN_TIMEOUT_SECONDS", "1")
    assert main(["reconcile"]) == 2
    err = capsys.readouterr().err
    assert "reconcile stopped" in err.splitlines()[-1] and "Traceback" not in err


@pytest.mark.parametrize(
    ("text", "window"),
    [("90m", timedelta(minutes=90)), ("24h", timedelta(hours=24)), (" 7d ", timedelta(days=7))],
)
def test_windows(text: str, window: timedelta) -> None:
    assert parse_window(text) == window


@pytest.mark.parametrize("text", ["0h", "24", "h", "1w", "-3h"])
def test_bad_windows(text: str) -> None:
    with pytest.raises(ValueError, match="not a window"):
        parse_window(text)


def test_the_window_is_a_selector_condition() -> None:
    assert created_within(timedelta(hours=24)) == {
        "ticket.created_at": {
            "operator": "within last (relative)",
            "value": 1440,
            "range": "minute",
        }
    }


def test_without_elasticsearch_and_past_one_page(tmp_path: Path, monkeypatch) -> None:
    """Most installations run without Elasticsearch: Zammad's text search then matches
    title and articles (an ES query finds nothing), and answers 200 tickets a page."""
    zammad = FakeZammad(now=NOW, elasticsearch=False)
    zammad.add_column("sla_due_at")
    template = example_payload("gold-urgent-email")
    count = PAGE_SIZE + 17
    for n in range(count):
        payload = json.loads(json.dumps(template))
        payload["ticket"] |= {"id": 1000 + n, "number": str(51000 + n)}
        payload["article"] |= {"id": 9000 + n, "ticket_id": 1000 + n}
        zammad.add_ticket_from_payload(payload)
        if n >= 3:
            zammad.tags[1000 + n] = ["sla-gold"]  # handled before the outage
    with running(zammad) as url:
        client = ZammadClient(url, zammad.token, requests.Session())
        answer = client.call("GET", "/api/v1/tickets/search?query=created_at:>now-14400m")
        assert answer["tickets"] == []  # the old Elasticsearch query: nothing, and a 200
        for key, value in live_settings(tmp_path, url, zammad.token).items():
            monkeypatch.setenv(key, value)
        report = build_runtime(Settings()).reconcile(timedelta(days=10))
    assert (report.examined, report.applied) == (count, 3)
    searches = [p for m, p in zammad.requests if (m, p) == ("POST", "/api/v1/tickets/search")]
    assert len(searches) == 2  # a full page, then a short one: the end
