"""SLA compliance per client and tier, from the clocks' records (plugin/reports/)."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from plugin.cli import main
from plugin.names import Clock
from plugin.policy import load_policy
from plugin.reports.compliance import (
    compliance,
    histogram,
    month_bounds,
    previous_months,
    response_hours,
    response_time,
    to_csv,
    to_json,
)
from plugin.sla.clock import OfficeClock, OnAnswer, answer, first_response, pause, start_clock
from plugin.sla.record import ClockRecord
from plugin.store import SqliteStore
from tests.conftest import EXAMPLES

SAST = ZoneInfo("Africa/Johannesburg")
POLICY = load_policy(EXAMPLES / "policy.yaml")
OFFICE = OfficeClock(POLICY.calendar)
NOW = datetime(2026, 12, 1, 9, tzinfo=SAST)


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 11, day, hour, tzinfo=SAST)  # the 2nd is a Monday


def clock(ticket: str, start: datetime, client: str | None = "Acme Storage") -> ClockRecord:
    return start_clock(
        ticket,
        tier="gold",
        clock=Clock.OFFICE_HOURS,
        target=timedelta(hours=4),
        started_at=start,
        due_at=OFFICE.add(start, timedelta(hours=4)),
        client=client,
    )


def keeper(_clock: Clock) -> OfficeClock:
    return OFFICE


def month() -> list[ClockRecord]:
    in_time = first_response(clock("1", at(2, 9)), at(2, 10))  # 1 h
    # Waited 4 h for the client (09:00-13:00), answered 15:00: 2 h on the SLA, in time.
    waited = answer(pause(clock("2", at(2, 9)), at(2, 9), "asked"), at(2, 13), OFFICE,
                    OnAnswer.RESUME)  # fmt: skip
    waited = first_response(waited, at(2, 15))
    late = first_response(clock("3", at(3, 9)), at(3, 16))  # 7 h: due 13:00, late
    unanswered = clock("4", at(4, 9))  # due 13:00 on the 4th, no one answered
    other = first_response(clock("5", at(5, 9), client=None), at(5, 9))
    return [in_time, waited, late, unanswered, other]


def test_a_month_per_client_and_tier() -> None:
    acme, nobody = compliance(month(), NOW, keeper)
    assert (acme.client, acme.tier, acme.tickets) == ("Acme Storage", "gold", 4)
    assert (acme.in_time, acme.late, acme.unanswered) == (2, 1, 1)
    assert acme.median_response == timedelta(hours=2)  # of 1 h, 2 h, 7 h
    assert acme.p90_response == timedelta(hours=7)
    assert acme.waiting == timedelta(hours=4)
    assert acme.breached == ("3", "4")
    assert (nobody.client, nobody.tickets, nobody.in_time) == ("(no client)", 1, 1)


def test_waiting_for_the_client_is_not_response_time() -> None:
    waited = month()[1]
    assert response_time(waited, OFFICE) == timedelta(hours=2)
    assert response_time(clock("9", at(2, 9)), OFFICE) is None


def test_one_client_and_the_formats() -> None:
    rows = compliance(month(), NOW, keeper, client="Acme Storage")
    assert len(rows) == 1
    lines = to_csv(rows).splitlines()
    assert lines[0].startswith("client,tier,tickets,in_time,late,unanswered,median")
    assert lines[1] == "Acme Storage,gold,4,2,1,1,2.0,7.0,4.0,3 4"
    data = json.loads(to_json(rows, "2026-11"))
    assert data["month"] == "2026-11" and data["rows"][0]["breached"] == ["3", "4"]


def test_month_bounds() -> None:
    assert month_bounds("2026-12", SAST) == (
        datetime(2026, 12, 1, tzinfo=SAST),
        datetime(2027, 1, 1, tzinfo=SAST),
    )
    with pytest.raises(ValueError):
        month_bounds("November", SAST)


def test_report_reads_the_months_clocks_from_the_store(monkeypatch, capsys, tmp_path: Path) -> None:
    path = tmp_path / "warden.sqlite3"
    store = SqliteStore(path)
    for record in month():
        store.save_clock(record)
    store.save_clock(clock("7", datetime(2026, 10, 30, 9, tzinfo=SAST)))  # October: left out
    monkeypatch.setenv("WARDEN_STORE", str(path))
    monkeypatch.setenv("WARDEN_POLICY", str(EXAMPLES / "policy.yaml"))
    assert main(["report", "--month", "2026-11", "--format", "json"]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert sum(row["tickets"] for row in rows) == 5
    assert main(["report", "--month", "11/2026"]) == 2
    assert "--month must be a month such as 2026-11" in capsys.readouterr().err


def test_the_histogram_and_the_months() -> None:
    assert previous_months("2026-02", 4) == ["2025-11", "2025-12", "2026-01", "2026-02"]
    counts = dict(histogram([0.5, 1.0, 2.0, 7.0, 50.0]))
    assert counts["0-1 h"] == 1 and counts["1-2 h"] == 1 and counts["2-4 h"] == 1
    assert counts["4-8 h"] == 1 and counts["40 h or more"] == 1
    assert response_hours(month(), keeper) == [1.0, 2.0, 7.0, 0.0]


def test_the_html_report_has_each_chart_with_its_table(monkeypatch, capsys, tmp_path: Path) -> None:
    path = tmp_path / "warden.sqlite3"
    store = SqliteStore(path)
    for record in month():
        store.save_clock(record)
    october = first_response(clock("8", datetime(2026, 10, 5, 9, tzinfo=SAST)),
                             datetime(2026, 10, 5, 10, tzinfo=SAST))  # fmt: skip
    store.save_clock(october)
    monkeypatch.setenv("WARDEN_STORE", str(path))
    monkeypatch.setenv("WARDEN_POLICY", str(EXAMPLES / "policy.yaml"))
    assert main(["report", "--month", "2026-11", "--format", "html"]) == 0
    page = capsys.readouterr().out
    assert page.startswith("<!doctype html>") and page.count("<svg") == 2
    assert "<tr><td>2026-10</td><td>1</td>\n<td>0</td></tr>" in page  # the chart's table
    assert "<tr><td>2026-11</td><td>3</td>\n<td>2</td></tr>" in page
    assert "<td>Acme Storage</td><td>gold</td><td>4</td>" in page
    assert "<td>4-8 h</td><td>1</td>" in page


def test_only_the_html_report_loads_matplotlib() -> None:
    """matplotlib takes most of a second to import: no other command may pay for it."""
    code = "import sys, plugin.cli, webhooks.app; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, cwd=EXAMPLES.parent)
