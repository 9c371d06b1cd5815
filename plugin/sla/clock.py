"""Pure decisions over a ticket's SLA clock: start, pause, answer, respond, and what is
due now (a reminder, closing, a warning, a breach).

Every function takes a record and a moment and returns a new record or a list of
actions; nothing here reads a helpdesk, a store or the system clock. Time on the clock
is counted by a ``Timekeeper``: wall time for a 24x7 tier, open time of the policy's
business calendar for an office-hours tier, so that waiting for a client over a weekend
costs an office-hours clock nothing, and a warning never comes at night.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from plugin.business_hours import BusinessCalendar
from plugin.names import Clock
from plugin.sla.record import ClockEvent, ClockRecord, Event


class Timekeeper(Protocol):
    """How a clock counts time: adding it, and measuring it between two moments."""

    def add(self, start: datetime, duration: timedelta) -> datetime: ...

    def elapsed(self, start: datetime, end: datetime) -> timedelta: ...

    def is_running(self, moment: datetime) -> bool:
        """Whether the clock counts at ``moment``: clients are written to only then."""


@dataclass(frozen=True, slots=True)
class WallClock:
    """24x7: every second counts."""

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return start + duration

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return max(end - start, timedelta(0))

    def is_running(self, moment: datetime) -> bool:
        return True


@dataclass(frozen=True, slots=True)
class OfficeClock:
    """Office hours: only the calendar's open time counts."""

    calendar: BusinessCalendar

    def add(self, start: datetime, duration: timedelta) -> datetime:
        return self.calendar.add(start, duration)

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        return self.calendar.open_time_between(start, end)

    def is_running(self, moment: datetime) -> bool:
        return self.calendar.is_open(moment)


def timekeeper(clock: Clock, calendar: BusinessCalendar) -> Timekeeper:
    """The timekeeper of a tier's clock."""
    return WallClock() if clock is Clock.ALWAYS else OfficeClock(calendar)


class OnAnswer(StrEnum):
    """What the client's answer does to a paused clock."""

    RESUME = "resume"  # the due date moves by the time spent waiting
    RESTART = "restart"  # the full target runs again from the answer


@dataclass(frozen=True, slots=True)
class WaitingRules:
    """How long a paused clock waits before reminding the client, and before closing."""

    on_answer: OnAnswer = OnAnswer.RESUME
    remind_after: timedelta | None = timedelta(hours=16)  # None: never remind
    close_after: timedelta | None = None  # None: never close


@dataclass(frozen=True, slots=True)
class Action:
    """Something the worker should do to a ticket now, and why."""

    event: Event  # REMINDED, CLOSED, WARNED or BREACHED
    reason: str


def start_clock(
    ticket: str,
    *,
    tier: str,
    clock: Clock,
    target: timedelta,
    started_at: datetime,
    due_at: datetime,
    client: str | None = None,
) -> ClockRecord:
    """A new record: the clock started at ``started_at`` and is due at ``due_at``."""
    record = ClockRecord(ticket, tier, clock, target, started_at, due_at, client=client)
    return record.with_event(ClockEvent(Event.STARTED, started_at, "the ticket arrived", due_at))


def pause(record: ClockRecord, at: datetime, reason: str) -> ClockRecord:
    """The clock waits for the client from ``at``; unchanged if it already waits or a
    person has already answered (the SLA is then met or breached, and stays so)."""
    if record.paused_since is not None or record.first_response_at is not None:
        return record
    return record.with_event(ClockEvent(Event.PAUSED, at, reason, record.due_at))


def answer(
    record: ClockRecord, at: datetime, keeper: Timekeeper, on_answer: OnAnswer
) -> ClockRecord:
    """The client answered at ``at`` with what was asked: the clock runs again.

    ``resume`` moves the due date by the clock's time spent waiting; ``restart`` gives
    the full target from ``at``. Either way the due date never moves earlier.
    """
    since = record.paused_since
    if since is None:
        return record
    waited = keeper.elapsed(since, at)
    if on_answer is OnAnswer.RESTART:
        due = max(keeper.add(at, record.target), record.due_at)
        reason = f"the client answered; the full {_span(record.target)} runs again"
        return record.with_event(ClockEvent(Event.RESTARTED, at, reason, due))
    due = keeper.add(record.due_at, waited) if waited else record.due_at
    reason = f"the client answered after {_span(waited)} of waiting on the clock"
    return record.with_event(ClockEvent(Event.RESUMED, at, reason, due))


def first_response(record: ClockRecord, at: datetime) -> ClockRecord:
    """A person answered the client at ``at``: the SLA is met or breached, once."""
    if record.first_response_at is not None:
        return record
    late = at > record.due_at
    reason = "a person answered after the due date" if late else "a person answered in time"
    return record.with_event(ClockEvent(Event.FIRST_RESPONSE, at, reason, record.due_at))


def due_actions(
    record: ClockRecord,
    now: datetime,
    keeper: Timekeeper,
    waiting: WaitingRules,
    warn_at: float,
) -> list[Action]:
    """What is due on this clock at ``now``; each action once.

    While the clock waits: one reminder after ``remind_after`` of the clock's time, and
    closing after ``close_after``. While it runs with no first response by a person: a
    warning once ``warn_at`` of the target has run (counted as the target less what is
    left until the due date, so time spent waiting is not counted), and a breach once
    the due date has passed (then the warning is moot and not given). Reminders,
    closing and warnings wait for the clock to run: an office-hours client is not
    written to at night, on a weekend or on a holiday.
    """
    if record.first_response_at is not None:
        return []
    running = keeper.is_running(now)
    since = record.paused_since
    if since is not None:
        return _waiting_actions(record, since, now, keeper, waiting) if running else []
    if now >= record.due_at:
        if record.happened(Event.BREACHED):
            return []
        return [Action(Event.BREACHED, f"the due date {record.due_at:%Y-%m-%d %H:%M} has passed")]
    if record.happened(Event.WARNED) or not running:
        return []
    left = keeper.elapsed(now, record.due_at)
    if left <= record.target * (1 - warn_at):
        share = f"{warn_at:.0%}"
        return [Action(Event.WARNED, f"{share} of the {_span(record.target)} target has run")]
    return []


def apply(record: ClockRecord, action: Action, at: datetime) -> ClockRecord:
    """The record once ``action`` was carried out at ``at``."""
    return record.with_event(ClockEvent(action.event, at, action.reason, record.due_at))


def _waiting_actions(
    record: ClockRecord,
    since: datetime,
    now: datetime,
    keeper: Timekeeper,
    waiting: WaitingRules,
) -> list[Action]:
    waited = keeper.elapsed(since, now)
    done = {item.event for item in record.events if item.at >= since}
    if waiting.close_after is not None and waited >= waiting.close_after:
        if Event.CLOSED in done:
            return []
        return [Action(Event.CLOSED, f"no answer after {_span(waited)} of waiting")]
    remind_after = waiting.remind_after
    if remind_after is not None and waited >= remind_after and Event.REMINDED not in done:
        return [Action(Event.REMINDED, f"no answer after {_span(waited)} of waiting")]
    return []


def _span(duration: timedelta) -> str:
    """ "4 h", "1 h 30 min", "45 min"."""
    minutes = int(duration.total_seconds() // 60)
    hours, minutes = divmod(minutes, 60)
    if hours and minutes:
        return f"{hours} h {minutes} min"
    return f"{hours} h" if hours else f"{minutes} min"
