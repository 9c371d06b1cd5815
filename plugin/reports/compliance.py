"""SLA compliance for a month, per client and tier, from the clocks' records (pure).

For each client and tier: how many clocks started in the month, how many a person
answered in time and late, how many no one has answered yet, the median and 90th
percentile business time to the first response (time spent waiting for the client
not counted, as the policy means it), the time spent waiting, and the tickets that
breached (answered late, or unanswered past their due date).
"""

from __future__ import annotations

import csv
import io
import json
import math
import statistics
from bisect import bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, tzinfo
from itertools import pairwise
from typing import Any

from plugin.names import Clock
from plugin.sla.clock import Timekeeper
from plugin.sla.record import ClockRecord, Event

NO_CLIENT = "(no client)"


@dataclass(frozen=True, slots=True)
class ComplianceRow:
    """One client and tier's month."""

    client: str
    tier: str
    tickets: int
    in_time: int
    late: int
    unanswered: int
    median_response: timedelta | None
    p90_response: timedelta | None
    waiting: timedelta
    breached: tuple[str, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "client": self.client,
            "tier": self.tier,
            "tickets": self.tickets,
            "in_time": self.in_time,
            "late": self.late,
            "unanswered": self.unanswered,
            "median_response_hours": _hours(self.median_response),
            "p90_response_hours": _hours(self.p90_response),
            "waiting_hours": _hours(self.waiting),
            "breached": list(self.breached),
        }


def month_bounds(month: str, zone: tzinfo) -> tuple[datetime, datetime]:
    """The first moment of ``month`` ("2026-11") and of the next, in ``zone``; raises
    ValueError for anything else."""
    start = datetime.strptime(month, "%Y-%m").replace(tzinfo=zone)
    following = start.replace(year=start.year + start.month // 12, month=start.month % 12 + 1)
    return start, following


def compliance(
    records: Iterable[ClockRecord],
    now: datetime,
    keeper_of: Callable[[Clock], Timekeeper],
    *,
    client: str | None = None,
) -> list[ComplianceRow]:
    """A row per client and tier among ``records`` (``client`` alone when given)."""
    groups: dict[tuple[str, str], list[ClockRecord]] = {}
    for record in records:
        name = record.client or NO_CLIENT
        if client is None or name == client:
            groups.setdefault((name, record.tier), []).append(record)
    # By client and tier; tickets of no client last.
    order = sorted(groups, key=lambda key: (key[0] == NO_CLIENT, key))
    return [_row(name, tier, groups[name, tier], now, keeper_of) for name, tier in order]


def response_time(record: ClockRecord, keeper: Timekeeper) -> timedelta | None:
    """Business time from the clock's start to a person's first response, less the time
    spent waiting for the client before it; None while no one has answered."""
    answered = record.first_response_at
    if answered is None:
        return None
    return max(keeper.elapsed(record.started_at, answered) - waited(record, keeper, answered),
               timedelta(0))  # fmt: skip


def waited(record: ClockRecord, keeper: Timekeeper, until: datetime) -> timedelta:
    """The clock's time spent waiting for the client up to ``until``."""
    total, since = timedelta(0), None
    for item in record.events:
        if item.at >= until:
            break
        if item.event is Event.PAUSED and since is None:
            since = item.at
        elif item.event in (Event.RESUMED, Event.RESTARTED, Event.CLOSED) and since is not None:
            total += keeper.elapsed(since, item.at)
            since = None
    if since is not None:
        total += keeper.elapsed(since, until)
    return total


# Bins of the time-to-first-response chart, in business hours.
RESPONSE_BINS = (0.0, 1.0, 2.0, 4.0, 8.0, 16.0, 40.0)


def previous_months(month: str, count: int) -> list[str]:
    """``count`` months ending with ``month``, oldest first: "2026-06" ... "2026-11"."""
    year, number = (int(part) for part in month.split("-"))
    months = []
    for back in range(count - 1, -1, -1):
        index = year * 12 + number - 1 - back
        months.append(f"{index // 12:04d}-{index % 12 + 1:02d}")
    return months


def met_and_breached(rows: Iterable[ComplianceRow]) -> tuple[int, int]:
    """First responses in time, and tickets breached, over ``rows``."""
    listed = list(rows)
    return sum(row.in_time for row in listed), sum(len(row.breached) for row in listed)


def response_hours(
    records: Iterable[ClockRecord], keeper_of: Callable[[Clock], Timekeeper]
) -> list[float]:
    """Business hours to a person's first response, for each answered record."""
    hours = []
    for record in records:
        taken = response_time(record, keeper_of(record.clock))
        if taken is not None:
            hours.append(taken.total_seconds() / 3600)
    return hours


def histogram(
    values: Iterable[float], bins: Iterable[float] = RESPONSE_BINS
) -> list[tuple[str, int]]:
    """How many ``values`` fall in each bin ("0-1 h", ..., "40 h or more")."""
    edges = list(bins)
    counts = [0] * len(edges)
    for value in values:
        counts[max(bisect_right(edges, value) - 1, 0)] += 1
    labels = [f"{a:g}-{b:g} h" for a, b in pairwise(edges)]
    labels.append(f"{edges[-1]:g} h or more")
    return list(zip(labels, counts, strict=True))


def to_csv(rows: Iterable[ComplianceRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    fields = ["client", "tier", "tickets", "in_time", "late", "unanswered"]
    fields += ["median_response_hours", "p90_response_hours", "waiting_hours", "breached"]
    writer.writerow(fields)
    for row in rows:
        data = row.to_json()
        data["breached"] = " ".join(row.breached)
        writer.writerow("" if data[name] is None else data[name] for name in fields)
    return out.getvalue()


def to_json(rows: Iterable[ComplianceRow], month: str) -> str:
    return json.dumps({"month": month, "rows": [row.to_json() for row in rows]}, indent=2)


def _row(
    client: str,
    tier: str,
    records: list[ClockRecord],
    now: datetime,
    keeper_of: Callable[[Clock], Timekeeper],
) -> ComplianceRow:
    responses = []
    in_time = late = unanswered = 0
    waiting = timedelta(0)
    breached = []
    for record in records:
        keeper = keeper_of(record.clock)
        answered = record.first_response_at
        waiting += waited(record, keeper, answered or now)
        if answered is None:
            unanswered += 1
            if now > record.due_at and record.paused_since is None:
                breached.append(record.ticket)
            continue
        responses.append(response_time(record, keeper) or timedelta(0))
        if record.outcome == "met":
            in_time += 1
        else:
            late += 1
            breached.append(record.ticket)
    return ComplianceRow(
        client=client,
        tier=tier,
        tickets=len(records),
        in_time=in_time,
        late=late,
        unanswered=unanswered,
        median_response=_median(responses),
        p90_response=_percentile(responses, 0.9),
        waiting=waiting,
        breached=tuple(breached),
    )


def _median(values: list[timedelta]) -> timedelta | None:
    if not values:
        return None
    return timedelta(seconds=statistics.median(value.total_seconds() for value in values))


def _percentile(values: list[timedelta], share: float) -> timedelta | None:
    """The nearest-rank percentile: the smallest value at least ``share`` of all reach."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)) - 1, 0)]


def _hours(value: timedelta | None) -> float | None:
    return None if value is None else round(value.total_seconds() / 3600, 2)
