"""The business-hours calendar: worked examples, conventions, DST and properties."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plugin.business_hours import BusinessCalendar, closed_days
from plugin.errors import CalendarError
from tests.conftest import SAST, sast

OFFICE = {day: [(8 * 60, 17 * 60)] for day in range(5)}
ZA = BusinessCalendar(SAST, OFFICE, closed_days("ZA"))
LONDON = ZoneInfo("Europe/London")
# A zone with DST changes and a split day (lunch break), open every day including weekends
# at night hours that straddle the 01:00 UTC transitions.
LONDON_SPLIT = BusinessCalendar(
    LONDON,
    {day: [(0, 2 * 60), (8 * 60, 12 * 60), (13 * 60, 17 * 60)] for day in range(7)},
    closed_days("GB", "ENG"),
)


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


@pytest.mark.parametrize(
    ("start", "duration", "due"),
    [
        # SPEC §2: Gold non-priority, Fri 15:00 -> 2 h Friday + 2 h Monday.
        (sast(2026, 3, 6, 15), hours(4), sast(2026, 3, 9, 10)),
        # SPEC §2: Silver non-priority over Freedom Day (Mon 27 April 2026).
        (sast(2026, 4, 24, 14), hours(8), sast(2026, 4, 28, 13)),
        # Starts before opening: the clock starts at 08:00.
        (sast(2026, 3, 4, 6, 30), hours(1), sast(2026, 3, 4, 9)),
        # Starts on a Saturday: the clock starts Monday 08:00.
        (sast(2026, 3, 7, 12), hours(2), sast(2026, 3, 9, 10)),
        # Runs out exactly at closing: 17:00, not the next opening.
        (sast(2026, 3, 4, 13), hours(4), sast(2026, 3, 4, 17)),
        # Good Friday and Family Day 2026 (3 and 6 April) are closed.
        (sast(2026, 4, 2, 16), hours(2), sast(2026, 4, 7, 9)),
        # Observed holiday: National Women's Day 2026 falls on a Sunday, Monday 10 August is off.
        (sast(2026, 8, 7, 16), hours(2), sast(2026, 8, 11, 9)),
        # Over a year end: 24-26 December closed (26 Dec is a Saturday anyway), 1 Jan closed.
        (sast(2026, 12, 31, 16), hours(2), sast(2027, 1, 4, 9)),
    ],
)
def test_worked_examples(start: datetime, duration: timedelta, due: datetime) -> None:
    assert ZA.add(start, duration) == due


def test_zero_duration_in_open_time_or_at_closing_is_the_start_itself() -> None:
    assert ZA.add(sast(2026, 3, 4, 10), timedelta(0)) == sast(2026, 3, 4, 10)
    assert ZA.add(sast(2026, 3, 4, 17), timedelta(0)) == sast(2026, 3, 4, 17)
    assert ZA.add(sast(2026, 3, 4, 18), timedelta(0)) == sast(2026, 3, 5, 8)


def test_is_open_includes_opening_and_excludes_closing() -> None:
    assert ZA.is_open(sast(2026, 3, 4, 8))
    assert not ZA.is_open(sast(2026, 3, 4, 17))
    assert not ZA.is_open(sast(2026, 4, 27, 10))  # Freedom Day


def test_next_opening() -> None:
    assert ZA.next_opening(sast(2026, 3, 8, 10)) == sast(2026, 3, 9, 8)
    assert ZA.next_opening(sast(2026, 3, 9, 9)) == sast(2026, 3, 9, 9)
    assert ZA.next_opening(sast(2026, 4, 24, 17)) == sast(2026, 4, 28, 8)


def test_extra_closures_and_removed_holidays() -> None:
    calendar = BusinessCalendar(
        SAST, OFFICE, closed_days("ZA", add=[date(2026, 12, 24)], remove=[date(2026, 4, 27)])
    )
    assert calendar.add(sast(2026, 12, 23, 16), hours(2)) == sast(2026, 12, 28, 9)
    assert calendar.add(sast(2026, 4, 24, 14), hours(8)) == sast(2026, 4, 27, 13)


def test_24_00_and_several_intervals_per_day() -> None:
    calendar = BusinessCalendar(
        SAST, {0: [(0, 6 * 60), (18 * 60, 24 * 60)]}, closed_days(None)
    )  # Mondays only, night shifts
    assert calendar.add(sast(2026, 3, 2, 23), hours(2)) == sast(2026, 3, 9, 1)
    assert calendar.add(sast(2026, 3, 2, 5), hours(1)) == sast(2026, 3, 2, 6)
    assert calendar.add(sast(2026, 3, 2, 5), hours(2)) == sast(2026, 3, 2, 19)


def test_dst_spring_forward_day_is_an_hour_shorter() -> None:
    # 29 March 2026: London clocks go from 01:00 GMT to 02:00 BST. 00:00-02:00 local is 1 h.
    start = datetime(2026, 3, 29, 0, 0, tzinfo=LONDON)
    assert LONDON_SPLIT.add(start, hours(1)) == datetime(2026, 3, 29, 2, 0, tzinfo=LONDON)
    assert LONDON_SPLIT.add(start, hours(2)) == datetime(2026, 3, 29, 9, 0, tzinfo=LONDON)


def test_dst_fall_back_day_is_an_hour_longer() -> None:
    # 25 October 2026: 02:00 BST becomes 01:00 GMT. 00:00-02:00 local is 3 h.
    start = datetime(2026, 10, 25, 0, 0, tzinfo=LONDON)
    assert LONDON_SPLIT.add(start, hours(3)) == datetime(2026, 10, 25, 2, 0, tzinfo=LONDON)
    assert LONDON_SPLIT.open_time_between(
        start, datetime(2026, 10, 25, 2, 0, tzinfo=LONDON)
    ) == hours(3)


def test_results_are_in_the_calendar_zone_whatever_the_input_zone() -> None:
    due = ZA.add(datetime(2026, 3, 3, 13, 0, tzinfo=UTC), hours(1))
    assert due == sast(2026, 3, 3, 16)
    assert due.tzinfo == SAST


def test_errors() -> None:
    with pytest.raises(CalendarError):
        BusinessCalendar(SAST, {}, closed_days(None))
    with pytest.raises(CalendarError):
        ZA.add(datetime(2026, 3, 3, 13), hours(1))  # naive
    with pytest.raises(CalendarError):
        ZA.add(sast(2026, 3, 3, 13), hours(-1))
    with pytest.raises(CalendarError):
        closed_days("XX")
    always_closed = BusinessCalendar(SAST, OFFICE, lambda _day: True)
    with pytest.raises(CalendarError):
        always_closed.add(sast(2026, 3, 3, 13), hours(1))
    with pytest.raises(CalendarError):
        always_closed.next_opening(sast(2026, 3, 3, 13))


# -- properties -------------------------------------------------------------------

moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2028, 12, 31), timezones=st.just(UTC)
)
durations = st.integers(min_value=1, max_value=60 * 24 * 30).map(lambda m: timedelta(minutes=m))
calendars = st.sampled_from([ZA, LONDON_SPLIT])


@settings(max_examples=300, deadline=None)
@given(calendars, moments, durations, durations)
def test_adding_a_then_b_equals_adding_a_plus_b(
    calendar: BusinessCalendar, start: datetime, a: timedelta, b: timedelta
) -> None:
    assert calendar.add(calendar.add(start, a), b) == calendar.add(start, a + b)


@settings(max_examples=300, deadline=None)
@given(calendars, moments, durations)
def test_a_due_date_never_falls_in_closed_time(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    due = calendar.add(start, duration)
    # Open, or exactly at a closing: a moment just before it is open.
    assert calendar.is_open(due) or calendar.is_open(due - timedelta(microseconds=1))


@settings(max_examples=300, deadline=None)
@given(calendars, moments, durations, durations)
def test_more_time_never_gives_an_earlier_due_date(
    calendar: BusinessCalendar, start: datetime, a: timedelta, b: timedelta
) -> None:
    shorter, longer = sorted((a, b))
    assert calendar.add(start, shorter) <= calendar.add(start, longer)


@settings(max_examples=300, deadline=None)
@given(calendars, moments, durations)
def test_the_open_time_until_the_due_date_is_the_duration(
    calendar: BusinessCalendar, start: datetime, duration: timedelta
) -> None:
    assert calendar.open_time_between(start, calendar.add(start, duration)) == duration
