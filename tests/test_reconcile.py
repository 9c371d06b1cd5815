"""Reconcile: tickets whose webhook never arrived are found and applied, once."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from plugin.cli import main
from plugin.runtime import Runtime, build_runtime
from plugin.settings import Settings
from plugin.zammad.reconcile import parse_window, search_query
from tests.conftest import EXAMPLES, example_payload
from tests.fake_zammad import FakeZammad, running

NOW = datetime(2026, 3, 10, tzinfo=UTC)


@pytest.fixture
def fake() -> Iterator[tuple[FakeZammad, str]]:
    zammad = FakeZammad(now=NOW)
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
    assert zammad.tickets[101]["sla_due_at"] == "2026-03-03T17:00:00Z"
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
    assert "examined 4 tickets created in the last 10d; wrote to 2" in capsys.readouterr().out
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


def test_search_query() -> None:
    assert search_query(timedelta(hours=24)) == "created_at:>now-1440m"
