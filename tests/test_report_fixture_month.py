"""A fixture month of twelve tickets whose SLA figures were worked out by hand, checked in
the report's three formats (``ticket-warden report --format json|csv|html``).

Policy: examples/policy.yaml, office hours Monday to Friday 08:00-17:00 SAST. Gold is
4 business hours, Silver 8; per-incident is 48 hours around the clock. November 2026
begins on a Sunday: the 2nd is a Monday. Wednesday the 4th is a public holiday in
South Africa (Local Government Elections). Each ticket's line says how its figures were
reached; the expected rows below add them up.
"""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from plugin.cli import main
from plugin.names import Clock
from plugin.sla.clock import OfficeClock, OnAnswer, WallClock, answer, first_response, pause
from plugin.sla.clock import start_clock as started
from plugin.sla.record import ClockRecord
from plugin.store import SqliteStore
from tests.conftest import EXAMPLES, SAST
from tests.test_reports import POLICY

OFFICE = OfficeClock(POLICY.calendar)
TARGETS = {"gold": (Clock.OFFICE_HOURS, 4), "silver": (Clock.OFFICE_HOURS, 8),
           "per-incident": (Clock.ALWAYS, 48)}  # fmt: skip


def nov(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=SAST)


def opened(ticket: str, tier: str, at: datetime, client: str | None) -> ClockRecord:
    clock, hours = TARGETS[tier]
    keeper = OFFICE if clock == Clock.OFFICE_HOURS else WallClock()
    due = keeper.add(at, timedelta(hours=hours))
    return started(ticket, tier=tier, clock=clock, target=timedelta(hours=hours),
                   started_at=at, due_at=due, client=client)  # fmt: skip


def waited(record: ClockRecord, asked: datetime, answered: datetime) -> ClockRecord:
    paused = pause(record, asked, "asked for details")
    return answer(paused, answered, OFFICE, OnAnswer.RESUME)


ACME, BRIGHT = "Acme Storage", "Bright Logistics"
TICKETS = [
    # A1 Mon 09:00, answered 10:30: 1.5 h, due 13:00, in time.
    first_response(opened("A1", "gold", nov(2, 9), ACME), nov(2, 10, 30)),
    # A2 Mon 16:00, answered Tue 09:00: 1 h Monday + 1 h Tuesday = 2 h, due Tue 11:00.
    first_response(opened("A2", "gold", nov(2, 16), ACME), nov(3, 9)),
    # A3 Tue 09:00, waits for the client 09:00-12:00 (3 h), due 13:00 + 3 h = 16:00;
    # answered 15:00: 6 h elapsed - 3 h waiting = 3 h, in time.
    first_response(
        waited(opened("A3", "gold", nov(3, 9), ACME), nov(3, 9), nov(3, 12)), nov(3, 15)
    ),
    # A4 Wed 4th 09:00, a public holiday (Local Government Elections): the clock starts
    # Thu 08:00, due 12:00; answered Thu 15:00: 7 h, late.
    first_response(opened("A4", "gold", nov(4, 9), ACME), nov(5, 15)),
    # A5 Thu 09:00, never answered, due 13:00: breached, unanswered.
    opened("A5", "gold", nov(5, 9), ACME),
    # A6 Fri 14:00, answered Mon 09:30: 3 h Friday + 1.5 h Monday = 4.5 h, due Mon 09:00.
    first_response(opened("A6", "gold", nov(6, 14), ACME), nov(9, 9, 30)),
    # B1 Mon 09:00, answered 11:00: 2 h, due 17:00.
    first_response(opened("B1", "silver", nov(9, 9), BRIGHT), nov(9, 11)),
    # B2 Tue 09:00, waits Tue 10:00 to Wed 10:00 (7 h + 2 h = 9 h), due Tue 17:00 + 9 h =
    # Wed 17:00; answered Wed 12:00: 8 h + 4 h elapsed - 9 h waiting = 3 h, in time.
    first_response(
        waited(opened("B2", "silver", nov(10, 9), BRIGHT), nov(10, 10), nov(11, 10)), nov(11, 12)
    ),
    # B3 Thu 09:00, answered Fri 12:00: 8 h + 4 h = 12 h, due Thu 17:00: late.
    first_response(opened("B3", "silver", nov(12, 9), BRIGHT), nov(13, 12)),
    # B4 Mon 09:00, answered 09:30: 0.5 h.
    first_response(opened("B4", "silver", nov(16, 9), BRIGHT), nov(16, 9, 30)),
    # N1 Tue 10:00 from no known client, answered Wed 10:00: 24 h of 48, in time.
    first_response(opened("N1", "per-incident", nov(17, 10), None), nov(18, 10)),
    # N2 Wed 10:00, never answered, due Fri 20 10:00: breached, unanswered.
    opened("N2", "per-incident", nov(18, 10), None),
]

# By hand. Acme's answered times sorted: 1.5, 2, 3, 4.5, 7: median 3, 90th percentile by
# nearest rank ceil(0.9 x 5) = the 5th, 7. Bright's: 0.5, 2, 3, 12: median 2.5, the 4th, 12.
EXPECTED_ROWS = [
    {"client": ACME, "tier": "gold", "tickets": 6, "in_time": 3, "late": 2, "unanswered": 1,
     "median_response_hours": 3.0, "p90_response_hours": 7.0, "waiting_hours": 3.0,
     "breached": ["A4", "A5", "A6"]},
    {"client": BRIGHT, "tier": "silver", "tickets": 4, "in_time": 3, "late": 1, "unanswered": 0,
     "median_response_hours": 2.5, "p90_response_hours": 12.0, "waiting_hours": 9.0,
     "breached": ["B3"]},
    {"client": "(no client)", "tier": "per-incident", "tickets": 2, "in_time": 1, "late": 0,
     "unanswered": 1, "median_response_hours": 24.0, "p90_response_hours": 24.0,
     "waiting_hours": 0.0, "breached": ["N2"]},
]  # fmt: skip
# Ten answers by band: 0.5 | 1.5 | 2, 2, 3, 3 | 4.5, 7 | 12 | 24.
EXPECTED_BANDS = [("0-1 h", 1), ("1-2 h", 1), ("2-4 h", 4), ("4-8 h", 2), ("8-16 h", 1),
                  ("16-40 h", 1), ("40 h or more", 0)]  # fmt: skip
# November: 3 + 3 + 1 met, 3 + 1 + 1 breached.
MET, BREACHED = 7, 5


@pytest.fixture
def reported(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path):
    store = SqliteStore(tmp_path / "warden.sqlite3")
    for record in TICKETS:
        store.save_clock(record)
    monkeypatch.setenv("WARDEN_STORE", str(tmp_path / "warden.sqlite3"))
    monkeypatch.setenv("WARDEN_POLICY", str(EXAMPLES / "policy.yaml"))

    def report(output: str) -> str:
        assert main(["report", "--month", "2026-11", "--format", output]) == 0
        return capsys.readouterr().out

    return report


def test_the_dozen_tickets_are_what_the_rows_say() -> None:
    assert len(TICKETS) == 12
    assert sorted(record.ticket for record in TICKETS if record.first_response_at is None) == [
        "A5",
        "N2",
    ]


def test_json_equals_the_figures_worked_by_hand(reported) -> None:
    assert json.loads(reported("json")) == {"month": "2026-11", "rows": EXPECTED_ROWS}


def test_csv_equals_the_figures_worked_by_hand(reported) -> None:
    rows = list(csv.DictReader(io.StringIO(reported("csv"))))
    assert [row["client"] for row in rows] == [ACME, BRIGHT, "(no client)"]
    for row, expected in zip(rows, EXPECTED_ROWS, strict=True):
        assert row == {key: _csv_text(value) for key, value in expected.items()}


def _csv_text(value: object) -> str:
    return " ".join(value) if isinstance(value, list) else str(value)


def test_html_equals_the_figures_worked_by_hand(reported) -> None:
    page = reported("html")
    assert (
        "<tr><td>Acme Storage</td><td>gold</td><td>6</td>\n<td>3</td><td>2</td><td>1</td>\n"
        "<td>3.0 h</td><td>7.0 h</td>\n<td>3.0 h</td><td>A4, A5, A6</td></tr>"
    ) in page
    assert (
        "<tr><td>Bright Logistics</td><td>silver</td><td>4</td>\n<td>3</td><td>1</td><td>0</td>\n"
        "<td>2.5 h</td><td>12.0 h</td>\n<td>9.0 h</td><td>B3</td></tr>"
    ) in page
    assert (
        "<tr><td>(no client)</td><td>per-incident</td><td>2</td>\n<td>1</td><td>0</td><td>1</td>\n"
        "<td>24.0 h</td><td>24.0 h</td>\n<td>0.0 h</td><td>N2</td></tr>"
    ) in page
    assert f"<tr><td>2026-11</td><td>{MET}</td>\n<td>{BREACHED}</td></tr>" in page
    for label, count in EXPECTED_BANDS:
        assert f"<tr><td>{label}</td><td>{count}</td></tr>" in page
    # Each chart's bars are in the SVG: six months of met and breached, seven bands.
    assert len(re.findall(r'<g id="met-\d{4}-\d{2}"', page)) == 6
    assert len(re.findall(r'<g id="breached-\d{4}-\d{2}"', page)) == 6
    assert len(re.findall(r'<g id="bin-\d+"', page)) == len(EXPECTED_BANDS)
