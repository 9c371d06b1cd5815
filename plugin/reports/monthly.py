"""One month's SLA compliance with what its charts need, from the clocks a store keeps.

The CLI's ``report`` and the admin console's report page both build it here, so
the page a manager reads in the browser and the file ``report --format html``
writes hold the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from plugin.names import Clock
from plugin.policy import Policy
from plugin.reports.compliance import (
    NO_CLIENT,
    ComplianceRow,
    compliance,
    histogram,
    met_and_breached,
    month_bounds,
    previous_months,
    response_hours,
)
from plugin.sla.clock import Timekeeper, timekeeper
from plugin.sla.record import ClockRecord

# Months the "met and breached" chart shows, ending with the month asked for.
CHART_MONTHS = 6


class ClockSource(Protocol):
    """The part of the store a report reads."""

    def clocks_started(self, since: datetime, until: datetime) -> list[ClockRecord]: ...


@dataclass(frozen=True, slots=True)
class MonthlyReport:
    """A month's rows, and the figures behind its two charts."""

    month: str
    client: str | None
    rows: list[ComplianceRow]
    # (month, met, breached) for the chart's months, oldest first.
    by_month: list[tuple[str, int, int]]
    # Business hours to each first response in the month (the histogram's input).
    response_hours: list[float]
    histogram: list[tuple[str, int]]


def monthly_report(
    store: ClockSource, policy: Policy, month: str, now: datetime, *, client: str | None = None
) -> MonthlyReport:
    """The report of ``month`` (YYYY-MM, in the policy's zone); raises ValueError for a
    month that is not one."""
    since, until = month_bounds(month, policy.zone)
    months = previous_months(month, CHART_MONTHS)
    first, _end = month_bounds(months[0], policy.zone)
    records = store.clocks_started(first, until)

    def keeper(clock: Clock) -> Timekeeper:
        return timekeeper(clock, policy.calendar)

    def rows_of(name: str) -> list[ComplianceRow]:
        start, end = month_bounds(name, policy.zone)
        found = [record for record in records if start <= record.started_at < end]
        return compliance(found, now, keeper, client=client)

    chosen = [record for record in records if record.started_at >= since]
    if client is not None:
        chosen = [record for record in chosen if (record.client or NO_CLIENT) == client]
    hours = response_hours(chosen, keeper)
    return MonthlyReport(
        month=month,
        client=client,
        rows=rows_of(month),
        by_month=[(name, *met_and_breached(rows_of(name))) for name in months],
        response_hours=hours,
        histogram=histogram(hours),
    )
