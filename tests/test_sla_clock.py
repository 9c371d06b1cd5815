"""The SLA clock's pure decisions (plugin/sla/): pausing while the client owes us
information, resuming or restarting, reminders, warnings and breaches."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.names import Clock
from plugin.policy import load_policy
from plugin.sla.clock import (
    OfficeClock,
    OnAnswer,
    Timekeeper,
    WaitingRules,
    WallClock,
    answer,
    apply,
    due_actions,
    first_response,
    pause,
    start_clock,
    timekeeper,
)
from plugin.sla.record import ClockRecord, Event

SAST = ZoneInfo("Africa/Johannesburg")
OFFICE = OfficeClock(load_policy().calendar)  # the built-in policy: Mon-Fri 08:00-17:00
WAITING = WaitingRules()
HOUR = timedelta(hours=1)


def at(day: int, hour: int, minute: int = 0) -> datetime:
    """A moment in March 2026 (the 2nd is a Monday), in the policy's zone."""
    return datetime(2026, 3, day, hour, minute, tzinfo=SAST)


def gold_clock(start: datetime, hours: float = 4) -> ClockRecord:
    target = timedelta(hours=hours)
    return start_clock(
        "42",
        tier="gold",
        clock=Clock.OFFICE_HOURS,
        target=target,
        started_at=start,
        due_at=OFFICE.add(start, target),
    )


# -- examples -----------------------------------------------------------------------------


def test_an_answer_moves_the_due_date_by_the_business_time_spent_waiting() -> None:
    """Issue 12: "Help!!" at 09:00, our reply at once, the client's answer four business
    hours later: the due date moves by four business hours."""
    record = pause(gold_clock(at(2, 9)), at(2, 9), "asked for the details")
    assert record.paused_since == at(2, 9)
    resumed = answer(record, at(2, 13), OFFICE, OnAnswer.RESUME)
    assert resumed.paused_since is None
    assert resumed.due_at == at(2, 17)  # 13:00, moved by the 4 h waited
    assert "4 h of waiting" in resumed.events[-1].reason


def test_waiting_over_a_weekend_costs_an_office_hours_clock_nothing() -> None:
    record = pause(gold_clock(at(6, 16)), at(6, 16), "asked")  # Friday 16:00
    resumed = answer(record, at(9, 8), OFFICE, OnAnswer.RESUME)  # Monday 08:00
    assert resumed.events[-1].reason.endswith("after 1 h of waiting on the clock")
    assert resumed.due_at == OFFICE.add(record.due_at, HOUR)


def test_restart_gives_the_full_target_from_the_answer() -> None:
    record = pause(gold_clock(at(2, 9)), at(2, 9), "asked")
    restarted = answer(record, at(2, 10), OFFICE, OnAnswer.RESTART)
    assert restarted.due_at == at(2, 14)
    assert restarted.events[-1].event is Event.RESTARTED


def test_a_second_pause_or_an_answer_while_running_changes_nothing() -> None:
    record = pause(gold_clock(at(2, 9)), at(2, 9), "asked")
    assert pause(record, at(2, 10), "asked again") == record
    running = gold_clock(at(2, 9))
    assert answer(running, at(2, 10), OFFICE, OnAnswer.RESUME) == running


def test_one_reminder_after_sixteen_business_hours_not_over_a_weekend() -> None:
    record = pause(gold_clock(at(5, 9)), at(5, 9), "asked")  # Thursday 09:00
    assert due_actions(record, at(6, 15, 59), OFFICE, WAITING, 0.75) == []  # not 16 h yet
    assert due_actions(record, at(8, 23), OFFICE, WAITING, 0.75) == []  # the weekend
    actions = due_actions(record, at(9, 9), OFFICE, WAITING, 0.75)  # Monday 09:00: 18 h
    assert [action.event for action in actions] == [Event.REMINDED]
    reminded = apply(record, actions[0], at(9, 9))
    assert due_actions(reminded, at(10, 9), OFFICE, WAITING, 0.75) == []


def test_closing_after_close_after_when_the_policy_asks_for_it() -> None:
    rules = WaitingRules(close_after=timedelta(hours=40))
    record = pause(gold_clock(at(2, 9)), at(2, 9), "asked")
    actions = due_actions(record, at(9, 9), OFFICE, rules, 0.75)  # 45 business hours
    assert [action.event for action in actions] == [Event.CLOSED]


def test_a_warning_at_three_quarters_then_a_breach_each_once() -> None:
    record = gold_clock(at(2, 9))  # due 13:00
    assert due_actions(record, at(2, 11, 59), OFFICE, WAITING, 0.75) == []
    warned = due_actions(record, at(2, 12), OFFICE, WAITING, 0.75)
    assert [action.event for action in warned] == [Event.WARNED]
    record = apply(record, warned[0], at(2, 12))
    assert due_actions(record, at(2, 12, 30), OFFICE, WAITING, 0.75) == []
    breached = due_actions(record, at(2, 13), OFFICE, WAITING, 0.75)
    assert [action.event for action in breached] == [Event.BREACHED]
    record = apply(record, breached[0], at(2, 13))
    assert due_actions(record, at(2, 16), OFFICE, WAITING, 0.75) == []


def test_nothing_is_due_once_a_person_has_answered() -> None:
    record = first_response(gold_clock(at(2, 9)), at(2, 10))
    assert record.outcome == "met"
    assert due_actions(record, at(3, 9), OFFICE, WAITING, 0.75) == []
    late = first_response(gold_clock(at(2, 9)), at(2, 14))
    assert late.outcome == "breached"
    assert first_response(late, at(2, 15)) == late


def test_a_24x7_clock_counts_every_hour() -> None:
    keeper = timekeeper(Clock.ALWAYS, OFFICE.calendar)
    assert isinstance(keeper, WallClock)
    assert keeper.elapsed(at(6, 20), at(7, 2)) == 6 * HOUR
    assert isinstance(timekeeper(Clock.OFFICE_HOURS, OFFICE.calendar), OfficeClock)


def test_the_record_round_trips_through_json() -> None:
    record = answer(
        pause(gold_clock(at(2, 9)), at(2, 9), "asked"), at(2, 13), OFFICE, OnAnswer.RESUME
    )
    assert ClockRecord.from_json(record.to_json()) == record


# -- properties -----------------------------------------------------------------------------

moments = st.builds(
    lambda day, minutes: at(2, 0) + timedelta(days=day, minutes=minutes),
    st.integers(0, 60),
    st.integers(0, 24 * 60 - 1),
)
# A ticket's life: (business-agnostic) gaps in minutes between steps, and what happens.
steps = st.lists(
    st.tuples(st.integers(1, 3 * 24 * 60), st.sampled_from(["pause", "answer", "check"])),
    max_size=12,
)
keepers = st.sampled_from([OFFICE, WallClock()])
Life = list[tuple[int, str]]


def _live(
    start: datetime, hours: int, keeper: Timekeeper, life: Life, on_answer: OnAnswer
) -> Iterator[tuple[datetime, ClockRecord]]:
    """Play ``life`` on a new clock; yield (moment, record) after each step."""
    target = timedelta(hours=hours)
    record = start_clock(
        "1",
        tier="t",
        clock=Clock.OFFICE_HOURS,
        target=target,
        started_at=start,
        due_at=keeper.add(start, target),
    )
    now = start
    for gap, step in life:
        now += timedelta(minutes=gap)
        if step == "pause":
            record = pause(record, now, "asked")
        elif step == "answer":
            record = answer(record, now, keeper, on_answer)
        else:
            for action in due_actions(record, now, keeper, WAITING, 0.75):
                record = apply(record, action, now)
        yield now, record


@settings(max_examples=200, deadline=None)
@given(moments, st.integers(1, 40), keepers, steps, st.sampled_from(list(OnAnswer)))
def test_a_due_date_never_moves_backwards(
    start: datetime, hours: int, keeper: Timekeeper, life: Life, on_answer: OnAnswer
) -> None:
    due = None
    for _now, record in _live(start, hours, keeper, life, on_answer):
        assert due is None or record.due_at >= due
        due = record.due_at


def _waited(record: ClockRecord, keeper: Timekeeper, until: datetime) -> timedelta:
    """The clock's time spent in pauses up to ``until``."""
    total, since = timedelta(0), None
    for item in record.events:
        if item.event is Event.PAUSED and since is None:
            since = item.at
        elif item.event in (Event.RESUMED, Event.RESTARTED) and since is not None:
            total += keeper.elapsed(since, item.at)
            since = None
    if since is not None:
        total += keeper.elapsed(since, until)
    return total


@settings(max_examples=200, deadline=None)
@given(moments, st.integers(1, 40), keepers, steps)
def test_time_spent_waiting_never_counts_against_the_sla(
    start: datetime, hours: int, keeper: Timekeeper, life: Life
) -> None:
    """Resuming: from start to due, the clock's time less the time waited is the target."""
    for now, record in _live(start, hours, keeper, life, OnAnswer.RESUME):
        if record.paused_since is None:
            run = keeper.elapsed(start, record.due_at) - _waited(record, keeper, now)
            assert run == timedelta(hours=hours)


@settings(max_examples=200, deadline=None)
@given(moments, st.integers(1, 40), keepers, steps)
def test_a_warning_never_comes_before_its_share_has_run(
    start: datetime, hours: int, keeper: Timekeeper, life: Life
) -> None:
    for now, record in _live(start, hours, keeper, life, OnAnswer.RESUME):
        warned = record.last(Event.WARNED)
        if warned is not None and warned.at == now:
            run = keeper.elapsed(start, now) - _waited(record, keeper, now)
            assert run >= timedelta(hours=hours) * 0.75


@pytest.mark.parametrize("on_answer", list(OnAnswer))
def test_each_action_is_due_once(on_answer: OnAnswer) -> None:
    life = [(60, "pause"), (60 * 24 * 3, "check"), (60, "check"), (60, "answer")]
    life += [(60 * 24 * 4, "check"), (60, "check")]
    *_, (_now, record) = _live(at(2, 9), 4, OFFICE, life, on_answer)
    kinds = [item.event for item in record.events]
    assert kinds.count(Event.REMINDED) == 1
    assert kinds.count(Event.BREACHED) == 1
