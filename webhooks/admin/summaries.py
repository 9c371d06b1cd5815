"""What the console's pages show, worked out from recorded decisions and the policy (pure).

The views read the store and the clock and hand the results here; nothing in
this module does I/O, so each summary is tested on plain data.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, tzinfo
from typing import Any

import holidays as holidays_lib

from plugin.policy import Policy, Weekday

# The outcomes of a recorded decision, in the order the overview lists them.
OUTCOMES = ("written", "nothing to write", "skipped", "dry run", "with errors")


def outcome_of(entry: Mapping[str, Any]) -> str:
    """One word for what came of a recorded decision."""
    if entry.get("errors"):
        return "with errors"
    if entry.get("decision", {}).get("skipped"):
        return "skipped"
    if entry.get("dry_run"):
        return "dry run"
    return "written" if entry.get("writes") else "nothing to write"


def decided_at(entry: Mapping[str, Any]) -> datetime | None:
    """When a recorded decision was made (None for an entry without a readable time)."""
    try:
        return datetime.fromisoformat(str(entry["decided_at"]))
    except (KeyError, ValueError):
        return None


def outcomes_since(entries: Iterable[Mapping[str, Any]], since: datetime) -> dict[str, int]:
    """How many decisions since ``since`` came to each outcome (every outcome listed)."""
    counted = Counter(
        outcome_of(entry)
        for entry in entries
        if (moment := decided_at(entry)) is not None and moment >= since
    )
    return {outcome: counted.get(outcome, 0) for outcome in OUTCOMES}


@dataclass(frozen=True, slots=True)
class DecisionFilter:
    """The decisions page's filters; an empty field filters nothing."""

    tag: str = ""
    client: str = ""
    tier: str = ""
    since: date | None = None
    until: date | None = None

    def keeps(self, entry: Mapping[str, Any], zone: tzinfo) -> bool:
        """Whether ``entry`` passes every filter; dates are days in ``zone``, inclusive."""
        decision = entry.get("decision", {})
        if self.tag and self.tag not in decision.get("tags", ()):
            return False
        if self.client and (decision.get("client") or "") != self.client:
            return False
        if self.tier and decision.get("tier") != self.tier:
            return False
        if self.since is None and self.until is None:
            return True
        moment = decided_at(entry)
        if moment is None:
            return False
        day = moment.astimezone(zone).date()
        return (self.since is None or day >= self.since) and (
            self.until is None or day <= self.until
        )


def parse_day(text: str | None) -> date | None:
    """A YYYY-MM-DD day from a form, or None when empty; raises ValueError otherwise."""
    if not text or not text.strip():
        return None
    return date.fromisoformat(text.strip())


def choices(entries: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """The tags, clients and tiers that occur in ``entries``, sorted, for the filters."""
    tags: set[str] = set()
    clients: set[str] = set()
    tiers: set[str] = set()
    for entry in entries:
        decision = entry.get("decision", {})
        tags.update(decision.get("tags", ()))
        if decision.get("client"):
            clients.add(decision["client"])
        if decision.get("tier"):
            tiers.add(decision["tier"])
    return {"tag": sorted(tags), "client": sorted(clients), "tier": sorted(tiers)}


_STATUS = re.compile(r"\(HTTP (\d{3})\)")


def advice(error: str) -> str:
    """What an admin can do about an error a decision recorded."""
    if "ticket-warden" in error:
        return "do what the message says"  # It already names the command to run.
    match = _STATUS.search(error)
    status = int(match[1]) if match else None
    if status == 401:
        return "the helpdesk refused the API token: set WARDEN_ZAMMAD_TOKEN to a valid one"
    if status == 403:
        return "the token lacks a permission: 'ticket-warden check' lists the ones needed"
    if status == 404:
        return "the ticket is gone (deleted or merged): nothing to do"
    if status == 422:
        return (
            "the helpdesk refused the values: 'ticket-warden check' compares the installation "
            "with the policy (a reply also needs the ticket's group to have an email address)"
        )
    return "see the server log for this delivery"


def dead_advice(delivery: str) -> str:
    """What to do about a delivery the worker gave up on."""
    return f"fix the cause, then 'ticket-warden requeue {delivery}'"


# -- the office week -----------------------------------------------------------

WEEKDAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


@dataclass(frozen=True, slots=True)
class OpenSpan:
    """One open interval of a weekday, in minutes from midnight."""

    start: int
    end: int

    @property
    def label(self) -> str:
        return f"{_clock(self.start)}-{_clock(self.end)}"


def office_week(policy: Policy) -> list[tuple[str, list[OpenSpan]]]:
    """Each weekday, Monday first, with its open intervals (none for a closed day)."""
    week = []
    for day in Weekday:
        intervals = policy.office_hours.get(day) or []
        week.append((WEEKDAY_NAMES[day.number], [OpenSpan(start, end) for start, end in intervals]))
    return week


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


# -- closures ahead ------------------------------------------------------------


def closures_ahead(
    policy: Policy, today: date, *, days: int = 365, limit: int = 12
) -> list[tuple[date, str]]:
    """The next days the office is closed although the weekday has office hours:
    public holidays (by name) and the policy's own closures, at most ``limit``."""
    rules = policy.holidays
    public: Mapping[date, str] = {}
    if rules.country:
        years = range(today.year, (today + timedelta(days=days)).year + 1)
        public = holidays_lib.country_holidays(
            rules.country, subdiv=rules.subdivision, observed=True, years=years
        )
    added = set(rules.add)
    kept_open = set(rules.remove)
    open_weekdays = {day.number for day, intervals in policy.office_hours.items() if intervals}
    found = []
    for offset in range(days):
        day = today + timedelta(days=offset)
        if day.weekday() not in open_weekdays or day in kept_open:
            continue
        if day in added:
            found.append((day, "office closed (policy)"))
        elif day in public:
            found.append((day, str(public[day])))
        if len(found) >= limit:
            break
    return found


def hours_text(value: float) -> str:
    """Hours as an admin writes them: 4 h, 1.5 h."""
    return f"{value:g} h"
