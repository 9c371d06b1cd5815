"""The backtest: pure figures first, then past tickets read from the fake Zammad through
the CLI, the result kept in the store for the admin console."""

from __future__ import annotations

import json
import logging
import os
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from plugin.cli import main
from plugin.decision import Decision, Reply
from plugin.policy import load_policy
from plugin.reports.backtest import (
    RESULT_VERSION,
    Replay,
    SlaOutcome,
    TicketFacts,
    build_result,
    diff,
    sla_outcome,
)
from plugin.reports.backtest_html import ROWS_SHOWN, backtest_page, backtest_section
from plugin.store import SqliteStore
from plugin.zammad.client import ZammadClient
from plugin.zammad.history import (
    NO_CUSTOMER_MESSAGE,
    HistoryReader,
    Policies,
    pooled_session,
    run_backtest,
)
from tests.conftest import EXAMPLES, SAST
from tests.fake_zammad import FakeZammad, rails, running
from tests.past_tickets import CURRENT_WITHOUT_BRIGHT, NAMED_CUSTOMERS, Seeded, seed

NOW = datetime(2026, 11, 30, 12, tzinfo=SAST)
REDIS_URL = os.environ.get("WARDEN_TEST_REDIS", "redis://127.0.0.1:6379/0")
BRIGHT = NAMED_CUSTOMERS[1][0]


@pytest.fixture(autouse=True)
def root_logging() -> Iterator[None]:
    """The CLI points the root logger at the stderr of the moment, which capsys replaces
    and closes: give later tests back the handlers they had."""
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])


# -- the pure figures -----------------------------------------------------------------


def decision(
    tags: tuple[str, ...] = ("per-incident",),
    *,
    tier: str = "per-incident",
    due: datetime | None = NOW + timedelta(hours=4),
    priority: str = "2 normal",
    reasons: tuple[str, ...] = (),
    text: str = "<p>Please send a descriptive subject.</p>",
    skipped: str | None = None,
    note: str = "ticket-warden: per-incident",
) -> Decision:
    replies = (Reply("email", "a@b.example", "Your request", text, reasons),) if reasons else ()
    return Decision(
        tier=tier,
        client=None,
        priority_request=False,
        priority=priority,
        due_at=due,
        guaranteed=False,
        tags=tags,
        remove_tags=(),
        replies=replies,
        note=note,
        close=False,
        skipped=skipped,
    )


def facts(
    ticket: int, answered: datetime | None = None, title: str = "Backup fails"
) -> TicketFacts:
    return TicketFacts(ticket, str(10_000 + ticket), title, NOW - timedelta(days=1), answered)


def test_a_response_by_the_due_date_meets_it_and_a_later_one_breaches_it() -> None:
    due = NOW
    assert sla_outcome(due, due, NOW) is SlaOutcome.MET
    assert sla_outcome(due, due - timedelta(hours=1), NOW) is SlaOutcome.MET
    assert sla_outcome(due, due + timedelta(seconds=1), NOW) is SlaOutcome.BREACHED


def test_no_response_is_breached_once_past_due_and_open_before() -> None:
    assert sla_outcome(NOW, None, NOW + timedelta(minutes=1)) is SlaOutcome.BREACHED
    assert sla_outcome(NOW, None, NOW) is SlaOutcome.OPEN
    assert sla_outcome(NOW, None, NOW - timedelta(hours=1)) is SlaOutcome.OPEN
    assert sla_outcome(None, NOW, NOW) is SlaOutcome.NO_DUE_DATE


def result_of(replays: list[Replay], against: str | None = None) -> Any:
    return build_result(
        replays,
        window="30d",
        span=timedelta(days=30),
        made_at=NOW,
        zone=SAST,
        policy="new.yaml",
        against=against,
    )


def test_counts_per_tag_replies_due_dates_and_tiers() -> None:
    due = NOW - timedelta(hours=2)
    replays = [
        Replay(facts(1, answered=due - timedelta(hours=1)), decision(due=due)),
        Replay(
            facts(2, answered=due + timedelta(hours=1)),
            decision(("per-incident", "vague-subject"), due=due, reasons=("vague-subject",)),
        ),
        Replay(facts(3), decision(("sla-gold", "priority-request"), tier="gold", due=due)),
        Replay(facts(4), decision(("sla-gold",), tier="gold", due=NOW + timedelta(hours=1))),
        Replay(facts(5), decision(("per-incident", "project-task"), due=None)),
        Replay(facts(6), decision((), due=None, skipped="auto-response")),
        Replay(facts(7), None, not_replayed=NO_CUSTOMER_MESSAGE),
    ]
    result = result_of(replays)
    assert (result.examined, len(result.tickets)) == (7, 6)
    assert result.not_replayed == ((7, "10007", NO_CUSTOMER_MESSAGE),)
    assert result.totals.tags == {
        "per-incident": 3,
        "sla-gold": 2,
        "priority-request": 1,
        "project-task": 1,
        "vague-subject": 1,
    }
    assert result.totals.sla == {"met": 1, "breached": 2, "open": 1, "no due date": 2}
    assert result.totals.skipped == {"auto-response": 1}
    assert result.sla_by_tier == {
        "gold": {"met": 0, "breached": 1, "open": 1, "no due date": 0},
        "per-incident": {"met": 1, "breached": 1, "open": 0, "no due date": 2},
    }
    assert [(r.ticket_id, r.reasons, r.text) for r in result.replies] == [
        (2, ("vague-subject",), "Please send a descriptive subject.")
    ]
    assert result.changes is None and result.against_totals is None


def test_the_diff_lists_exactly_the_tickets_decided_otherwise() -> None:
    due = NOW + timedelta(hours=4)
    later = NOW + timedelta(hours=8)
    same = decision(("sla-gold",), tier="gold", due=due)
    pairs = {
        1: (same, same),
        2: (same, replace(same, note="other words in the note")),  # the note is not written
        3: (decision(("per-incident",)), decision(("sla-silver",), tier="silver")),
        4: (same, replace(same, priority="3 high")),
        5: (same, replace(same, due_at=later)),
        6: (same, decision(("sla-gold",), tier="gold", due=due, reasons=("needs-info",))),
        7: (
            decision(("sla-gold",), tier="gold", due=due, reasons=("needs-info",)),
            decision(("sla-gold",), tier="gold", due=due, reasons=("needs-info",), text="<p>x</p>"),
        ),
        8: (decision((), due=None, skipped="auto-response"), decision((), due=None, skipped="x")),
        9: (decision((), due=None, skipped="auto-response"),) * 2,
    }
    replays = [
        Replay(facts(ticket), new, against=current) for ticket, (current, new) in pairs.items()
    ]
    result = result_of(replays, against="current.yaml")
    changes = {change.ticket_id: change for change in result.changes}
    assert sorted(changes) == [3, 4, 5, 6, 7, 8]
    assert (changes[3].tags_added, changes[3].tags_removed) == (("sla-silver",), ("per-incident",))
    assert changes[4].priority == ("2 normal", "3 high") and changes[4].tags_added == ()
    assert changes[5].due_at == (due, later)
    assert changes[6].reply == ("none", "needs-info")
    assert changes[7].reply == ("needs-info", "needs-info (other text)")
    assert changes[8].skipped == ("auto-response", "x")
    assert result.against_totals is not None
    assert result.against_totals.tags["per-incident"] == 1
    assert result.totals.tags.get("per-incident", 0) == 0
    assert diff(facts(1), current=same, new=same) is None


def test_a_missing_decision_under_the_other_policy_is_refused() -> None:
    with pytest.raises(ValueError, match=r"no decision under current\.yaml"):
        result_of([Replay(facts(1), decision())], against="current.yaml")


def test_the_json_is_what_the_html_section_renders_escaped() -> None:
    title = "<script>alert(1)</script> mail down"
    result = result_of(
        [
            Replay(
                facts(1, title=title),
                decision(("vague-subject",), reasons=("vague-subject",)),
                against=decision(),
            )
        ],
        against="current.yaml",
    )
    data = json.loads(json.dumps(result.to_json()))
    assert data["version"] == RESULT_VERSION and data["changes"][0]["ticket"] == 1
    section = backtest_section(data)
    assert "<html" not in section and "<body" not in section
    assert "<script>" not in section and "&lt;script&gt;" in section
    assert "What changes from current.yaml to new.yaml" in section
    assert backtest_section(result) == section
    page = backtest_page(data)
    assert page.startswith("<!doctype html>") and section in page


def test_long_lists_are_cut_on_the_page_but_not_the_changes() -> None:
    many = [
        Replay(facts(i), decision(reasons=("needs-info",)), against=decision(("sla-gold",)))
        for i in range(ROWS_SHOWN + 5)
    ]
    section = backtest_section(result_of(many, against="current.yaml"))
    assert "and 5 more (the JSON output lists them all)" in section
    assert section.count('<td class="removed">sla-gold</td>') == ROWS_SHOWN + 5


def test_a_stored_result_of_another_version_asks_for_a_new_run() -> None:
    assert "run <code>ticket-warden backtest</code> again" in backtest_section({"version": 0})
    assert "run <code>ticket-warden backtest</code> again" in backtest_section(None)


# -- past tickets from the fake Zammad ---------------------------------------------------


@pytest.fixture(scope="module")
def history() -> Iterator[tuple[FakeZammad, str, list[Seeded]]]:
    """300 tickets of the last 60 days, one older than any window used, and one that a
    phone call opened and the customer never wrote to."""
    now = datetime.now(UTC)
    fake = FakeZammad(now=now)
    fake.add_column("sla_due_at")
    seeded = seed(fake, 300, now=now)
    fake.receive_mail(
        sender="old@company1.example", subject="Printer jams", body="Old", at=now - timedelta(100)
    )
    fake.add_ticket_from_payload(
        {
            "ticket": {
                "id": 9000,
                "number": "19000",
                "title": "Phone call: VPN for the new office",
                "created_at": rails.time(now - timedelta(days=2)),
            },
            "article": {"id": 90_000, "type": "phone", "sender": "Agent", "body": "Called."},
        }
    )
    with running(fake) as url:
        yield fake, url, seeded


@pytest.fixture
def live(history, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    fake, url, _seeded = history
    store = tmp_path / "store.sqlite3"
    for key, value in {
        "WARDEN_ZAMMAD_URL": url,
        "WARDEN_ZAMMAD_TOKEN": fake.token,
        "WARDEN_STORE": str(store),
        "WARDEN_POLICY": str(EXAMPLES / "policy.yaml"),
    }.items():
        monkeypatch.setenv(key, value)
    return store


def tier_of(email: str) -> str:
    return {
        "acme.example": "gold",
        "brightlogistics.example": "silver",
        "cobalt.example": "gold",
    }.get(email.partition("@")[2], "per-incident")


def test_the_backtest_replays_each_ticket_of_the_window_and_writes_nothing(
    history, live: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fake, _url, seeded = history
    requests_before = len(fake.requests)
    writes_before = len(fake.writes)
    out = tmp_path / "backtest.json"
    assert main(["backtest", "--since", "90d", "--output", str(out)]) == 0
    err = capsys.readouterr().err
    assert "backtest: 100%" in err  # the progress bar, on stderr
    assert "replayed 300 of 301 tickets created in the last 90d" in err.splitlines()[-1]
    data = json.loads(out.read_text("utf-8"))

    assert (data["examined"], data["replayed"], data["policy"]) == (
        301,
        300,
        str(EXAMPLES / "policy.yaml"),
    )
    assert data["not_replayed"] == [
        {"ticket": 9000, "number": "19000", "reason": NO_CUSTOMER_MESSAGE}
    ]
    rows = {row["id"]: row for row in data["tickets"]}
    assert sorted(rows) == sorted(s.ticket_id for s in seeded)  # not the 100-day-old one
    for made in seeded:
        row = rows[made.ticket_id]
        assert (row["tier"], row["sla"]) == (tier_of(made.email), made.expected_sla), made
        assert (row["skipped"] is not None) == (made.kind == "auto-reply"), made
    kinds = Counter(made.kind for made in seeded)
    tags = data["totals"]["tags"]
    assert tags["vague-subject"] == kinds["vague"]
    assert tags["project-task"] == kinds["project"]
    assert tags["meeting-request"] == kinds["meeting"]
    assert data["totals"]["skipped"] == {
        "auto-response: the helpdesk marked it as an auto-response": kinds["auto-reply"]
    }
    expected = Counter(made.expected_sla for made in seeded)
    assert data["totals"]["sla"] == {outcome.value: expected[outcome] for outcome in SlaOutcome}

    vague = {made.ticket_id for made in seeded if made.kind == "vague"}
    replied = {reply["ticket"]: reply for reply in data["replies"]}
    assert vague <= set(replied)
    some = replied[min(vague)]
    assert "vague-subject" in some["reasons"] and "<p>" not in some["text"]
    assert "https://xstore.example/efficient-support-request" in some["text"]
    assert all(rows[ticket]["skipped"] is None for ticket in replied)

    made_now = fake.requests[requests_before:]
    assert len(fake.writes) == writes_before  # nothing written
    assert {method for method, path in made_now if path != "/api/v1/tickets/search"} == {"GET"}
    user_reads = [path for _m, path in made_now if path.startswith("/api/v1/users/")]
    customers = {made.email for made in seeded}
    assert len(user_reads) == len(set(user_reads)) == len(customers)  # each asked once

    store = SqliteStore(live)
    try:
        assert store.last_backtest() == data
    finally:
        store.close()


def test_html_output(history, live: Path, tmp_path: Path) -> None:
    out = tmp_path / "backtest.html"
    assert main(["backtest", "--since", "90d", "--format", "html", "--output", str(out)]) == 0
    page = out.read_text("utf-8")
    assert page.startswith("<!doctype html>") and "<script" not in page
    assert "Backtest of " in page and "Tags each ticket would have carried" in page
    assert "What changes" not in page  # nothing to compare with
    assert "Please reply with a subject that describes the problem" in page


def test_against_lists_exactly_the_tickets_the_two_policies_decide_otherwise(
    history, live: Path, tmp_path: Path
) -> None:
    _fake, _url, seeded = history
    current = tmp_path / "current.yaml"
    current.write_text(CURRENT_WITHOUT_BRIGHT, "utf-8")
    out = tmp_path / "backtest.json"
    argv = ["backtest", "--policy", str(EXAMPLES / "policy.yaml"), "--against", str(current)]
    assert main([*argv, "--output", str(out), "--concurrency", "6"]) == 0
    data = json.loads(out.read_text("utf-8"))
    # An auto-reply is skipped under both: nothing differs for it.
    expected = {s.ticket_id for s in seeded if s.email == BRIGHT and s.kind != "auto-reply"}
    assert expected and {change["ticket"] for change in data["changes"]} == expected
    for change in data["changes"]:
        assert "sla-silver" in change["tags_added"]
        assert change["tags_removed"] == ["per-incident"]
    assert data["against"] == str(current)
    totals, against = data["totals"]["tags"], data["against_totals"]["tags"]
    assert against["per-incident"] - totals["per-incident"] == len(expected)

    html = tmp_path / "backtest.html"
    assert main([*argv, "--format", "html", "--output", str(html)]) == 0
    assert f"{len(expected)} of 300 tickets would be treated differently" in html.read_text()


def test_the_first_customer_message_is_replayed_as_it_arrived() -> None:
    """A vague first mail followed by a clear one is judged on the first; a customer that
    was deleted since leaves the ticket to the default tier; the title an agent gave the
    ticket later does not hide the vague subject it came with."""
    now = datetime.now(UTC)
    fake = FakeZammad(now=now)
    first, _ = fake.receive_mail(
        sender=BRIGHT, subject="Help!!", body="it doesnt work", at=now - timedelta(hours=3)
    )
    fake.receive_mail(
        sender=BRIGHT,
        subject="Re: Help!!",
        body="The VPN client on laptop-17 fails with error 809 since the update to 5.1.",
        ticket_id=first,
        at=now - timedelta(hours=2),
    )
    fake.tickets[first]["title"] = "VPN error 809 on laptop-17"  # renamed by an agent
    gone, _ = fake.receive_mail(
        sender="gone@brightlogistics.example", subject="Disk full on fs02", body="x", at=now
    )
    del fake.users[fake.tickets[gone]["customer_id"]]
    policy = load_policy(EXAMPLES / "policy.yaml")
    with running(fake) as url:
        client = ZammadClient(url, fake.token, pooled_session(3))
        reader = HistoryReader(client, concurrency=2)
        result = run_backtest(
            reader, Policies(policy, "example"), window="1d", span=timedelta(days=1), now=now
        )
    rows = {row.id: row for row in result.tickets}
    assert "vague-subject" in rows[first].tags and rows[first].tier == "silver"
    assert rows[gone].tier == "per-incident" and rows[gone].client is None
    assert (reader.read, reader.found, reader.limit_reached) == (2, 2, False)


def test_reads_are_concurrent_and_bounded() -> None:
    now = datetime.now(UTC)
    fake = FakeZammad(now=now, latency=0.02)
    seed(fake, 40, now=now, customers=4)
    in_flight = Counter[str]()
    most = Counter[str]()
    lock = threading.Lock()
    handle = fake.handle

    def counting(method: str, url: str, headers: dict[str, str], raw: bytes) -> Any:
        kind = "search" if "/tickets/search" in url else "read"
        with lock:
            in_flight[kind] += 1
            most[kind] = max(most[kind], in_flight[kind])
        try:
            return handle(method, url, headers, raw)
        finally:
            with lock:
                in_flight[kind] -= 1

    fake.handle = counting
    progress: list[tuple[int, int]] = []
    with running(fake) as url:
        client = ZammadClient(url, fake.token, pooled_session(4))
        reader = HistoryReader(
            client, concurrency=3, progress=lambda read, found: progress.append((read, found))
        )
        past = list(reader.tickets(timedelta(days=90)))
    assert [p.facts.id for p in past] == sorted(p.facts.id for p in past)  # search order
    assert 2 <= most["read"] <= 3 and most["search"] == 1
    assert progress[-1] == (40, 40) and progress[0] == (0, 40)


def test_a_limit_stops_the_reading(history) -> None:
    fake, url, _seeded = history
    reader = HistoryReader(ZammadClient(url, fake.token, requests.Session()), limit=7)
    assert len(list(reader.tickets(timedelta(days=90)))) == 7
    assert reader.limit_reached


# -- bad input: one line, exit status 2 ---------------------------------------------------


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "soon"], "--since: 'soon' is not a window like 90m, 24h or 7d"),
        (["--concurrency", "0"], "--concurrency must be 1 to 32, not 0"),
        (["--limit", "0"], "--limit must be at least 1, not 0"),
        (["--policy", "/nonexistent/new.yaml"], "policy: /nonexistent/new.yaml: cannot read"),
    ],
)
def test_bad_input_is_one_line_and_status_2(
    argv: list[str], message: str, live: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["backtest", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"ticket-warden: error: {message}") and err.count("\n") == 1


def test_a_bad_policy_to_compare_with_is_one_line(
    live: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    current = tmp_path / "current.yaml"
    current.write_text("tiers:\n  gold: [\nclients: nope\n", "utf-8")
    assert main(["backtest", "--against", str(current)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("ticket-warden: error: --against: ") and err.count("\n") == 1


def test_no_zammad_or_an_unreachable_one_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("WARDEN_ZAMMAD_URL", raising=False)
    monkeypatch.setenv("WARDEN_STORE", str(tmp_path / "s.sqlite3"))
    assert main(["backtest"]) == 2
    assert "backtest reads past tickets from Zammad" in capsys.readouterr().err

    monkeypatch.setenv("WARDEN_ZAMMAD_URL", "http://127.0.0.1:9")
    monkeypatch.setenv("WARDEN_ZAMMAD_TOKEN", "t")
    monkeypatch.setenv("WARDEN_TIMEOUT_SECONDS", "1")
    assert main(["backtest", "--since", "1d"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines()[-1].startswith("ticket-warden: error: backtest stopped: ")
    assert "unreachable" in err.splitlines()[-1]


def test_an_unwritable_output_is_one_line(live: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["backtest", "--output", "/nonexistent/dir/out.json"]) == 2
    err = capsys.readouterr().err
    assert err.splitlines()[-1].startswith("ticket-warden: error: cannot write ")
