"""Business-hours arithmetic: office hours by weekday, a time zone, closed days.

The model is Zammad's ``biz`` library: time only runs inside the weekly open
intervals, in the calendar's own zone, and never on closed days. Instead of
stepping day by day, each year is turned once into a table of open intervals
(in UTC microseconds) with a running total of open time before each day; a
due date is then found by bisecting that table, so adding 400 hours costs
about what adding 4 does.

Conventions (same as ``biz``): a clock that starts in closed time starts at
the next opening; time that runs out exactly at a closing gives that closing
time, not the next opening. Wall-clock intervals are converted with
``zoneinfo``, so a daylight-saving day's interval is as long as it really is.
"""

from __future__ import annotations

import calendar as _stdlib_calendar
from bisect import bisect_left
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays as holidays_lib

from plugin.errors import CalendarError

MINUTES_PER_DAY = 24 * 60
_MICROSECOND = timedelta(microseconds=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# A calendar with no open minute for this many years is treated as broken
# rather than searched forever.
_MAX_EMPTY_YEARS = 10

WeeklyHours = Mapping[int, Sequence[tuple[int, int]]]
"""Weekday (Monday = 0) to sorted, non-overlapping ``(start, end)`` minutes of the day."""


def _to_us(moment: datetime) -> int:
    """Exact UTC microseconds since the epoch of an aware datetime."""
    if moment.tzinfo is None:
        raise CalendarError(f"naive datetime {moment.isoformat()} has no time zone")
    seconds = _stdlib_calendar.timegm(moment.utctimetuple())
    return seconds * 1_000_000 + moment.microsecond


@dataclass(frozen=True, slots=True)
class _YearTable:
    """One local calendar year: open intervals per day and open time before each day."""

    year: int
    first_ordinal: int
    days: tuple[tuple[tuple[int, int], ...], ...]
    cum: tuple[int, ...]  # len(days) + 1 entries; cum[k] = open µs before day k

    @property
    def total(self) -> int:
        return self.cum[-1]


def closed_days(
    country: str | None,
    subdivision: str | None = None,
    add: Iterable[date] = (),
    remove: Iterable[date] = (),
) -> Callable[[date], bool]:
    """Public holidays of ``country`` (observed days included), plus ``add``, minus ``remove``.

    Raises ``CalendarError`` for a country or subdivision the holidays package does not know.
    """
    extra = frozenset(add)
    kept_open = frozenset(remove)
    if country is None:
        return lambda day: day in extra and day not in kept_open
    try:
        public = holidays_lib.country_holidays(country, subdiv=subdivision, observed=True)
    except NotImplementedError as exc:
        raise CalendarError(f"unknown holiday country or subdivision: {country}") from exc

    def is_closed(day: date) -> bool:
        return day not in kept_open and (day in extra or day in public)

    return is_closed


class BusinessCalendar:
    """Office hours in one zone; answers "is it open", "when does it open", "add N hours"."""

    def __init__(
        self,
        zone: ZoneInfo,
        weekly: WeeklyHours,
        is_closed_day: Callable[[date], bool] = lambda _day: False,
    ) -> None:
        self.zone = zone
        self._weekly = {day: tuple(weekly.get(day, ())) for day in range(7)}
        self._is_closed_day = is_closed_day
        self._years: dict[int, _YearTable] = {}
        if not any(self._weekly.values()):
            raise CalendarError("office hours have no open interval on any weekday")

    # -- public API ---------------------------------------------------------

    def is_open(self, moment: datetime) -> bool:
        """True when ``moment`` lies inside an open interval (opening included, closing not)."""
        now = _to_us(moment)
        return any(
            start <= now < end for start, end in self._day_intervals(self._local_date(moment))
        )

    def next_opening(self, moment: datetime) -> datetime:
        """``moment`` itself if open, else the start of the next open interval."""
        now = _to_us(moment)
        day = self._local_date(moment)
        for _ in range(_MAX_EMPTY_YEARS * 366):
            for start, end in self._day_intervals(day):
                if start <= now < end:
                    return moment
                if start > now:
                    return self._from_us(start)
            day += timedelta(days=1)
        raise CalendarError(f"no open time within {_MAX_EMPTY_YEARS} years")

    def add(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of open time after ``start``; raises ``CalendarError``."""
        need = duration // _MICROSECOND
        if need < 0:
            raise CalendarError("cannot add a negative duration")
        table, index, now, before = self._locate(start)
        if need == 0:
            if any(begin <= now <= end for begin, end in table.days[index]):
                return start.astimezone(self.zone)
            return self.next_opening(start).astimezone(self.zone)
        target = table.cum[index] + before + need
        empty_years = 0
        while target > table.total:
            target -= table.total
            empty_years = empty_years + 1 if table.total == 0 else 0
            if empty_years >= _MAX_EMPTY_YEARS:
                raise CalendarError(f"no open time within {_MAX_EMPTY_YEARS} years")
            table = self._table(table.year + 1)
        day_index = bisect_left(table.cum, target) - 1
        remaining = target - table.cum[day_index]
        for begin, end in table.days[day_index]:
            length = end - begin
            if remaining <= length:
                return self._from_us(begin + remaining)
            remaining -= length
        raise AssertionError("open-time table is inconsistent")  # pragma: no cover

    def open_time_between(self, start: datetime, end: datetime) -> timedelta:
        """Open time in ``[start, end)``; zero when ``end`` is not after ``start``."""
        if end <= start:
            return timedelta(0)
        first_year, first_position = self._position(start)
        last_year, last_position = self._position(end)
        whole_years = sum(self._table(year).total for year in range(first_year, last_year))
        return (whole_years + last_position - first_position) * _MICROSECOND

    # -- internals ----------------------------------------------------------

    def _local_date(self, moment: datetime) -> date:
        if moment.tzinfo is None:
            raise CalendarError(f"naive datetime {moment.isoformat()} has no time zone")
        return moment.astimezone(self.zone).date()

    def _from_us(self, micros: int) -> datetime:
        return (_EPOCH + micros * _MICROSECOND).astimezone(self.zone)

    def _day_intervals(self, day: date) -> tuple[tuple[int, int], ...]:
        table = self._table(day.year)
        return table.days[day.toordinal() - table.first_ordinal]

    def _locate(self, moment: datetime) -> tuple[_YearTable, int, int, int]:
        """The year table and day index of ``moment``, its µs, and the day's open µs before it."""
        now = _to_us(moment)
        day = self._local_date(moment)
        table = self._table(day.year)
        index = day.toordinal() - table.first_ordinal
        before = sum(min(end, now) - begin for begin, end in table.days[index] if begin < now)
        return table, index, now, before

    def _position(self, moment: datetime) -> tuple[int, int]:
        """The local year of ``moment`` and the open µs from that year's start to it."""
        table, index, _now, before = self._locate(moment)
        return table.year, table.cum[index] + before

    def _wall_clock_us(self, day: date, minute: int) -> int:
        if minute == MINUTES_PER_DAY:
            day, minute = day + timedelta(days=1), 0
        hour, minute_of_hour = divmod(minute, 60)
        local = datetime(day.year, day.month, day.day, hour, minute_of_hour, tzinfo=self.zone)
        return _to_us(local)

    def _table(self, year: int) -> _YearTable:
        table = self._years.get(year)
        if table is None:
            table = self._build_year(year)
            self._years[year] = table
        return table

    def _build_year(self, year: int) -> _YearTable:
        first = date(year, 1, 1)
        day_count = (date(year + 1, 1, 1) - first).days
        days: list[tuple[tuple[int, int], ...]] = []
        cum = [0]
        for offset in range(day_count):
            day = first + timedelta(days=offset)
            intervals: tuple[tuple[int, int], ...] = ()
            if not self._is_closed_day(day):
                converted = (
                    (self._wall_clock_us(day, start), self._wall_clock_us(day, end))
                    for start, end in self._weekly[day.weekday()]
                )
                # A wall-clock interval that falls in a DST gap can shrink to nothing.
                intervals = tuple((begin, end) for begin, end in converted if end > begin)
            days.append(intervals)
            cum.append(cum[-1] + sum(end - begin for begin, end in intervals))
        return _YearTable(year, first.toordinal(), tuple(days), tuple(cum))
