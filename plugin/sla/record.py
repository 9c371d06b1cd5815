"""The record of one ticket's SLA clock: when it started, each pause and resume, every
move of the due date, the first response by a person, met or breached.

A record is append-only history: each change is an event, and what the clock is doing
now (running, paused, how long it has waited) is read from the events. It is plain
data, kept as JSON in the store, and it is what a compliance report is built on.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from enum import StrEnum
from typing import Any

from plugin.names import Clock


class Event(StrEnum):
    """What happened to a clock."""

    STARTED = "started"
    PAUSED = "paused"  # a guidance reply asked the client for something
    RESUMED = "resumed"  # the client answered: the due date moved by the time waited
    RESTARTED = "restarted"  # the client answered: the full target runs again
    REMINDED = "reminded"  # the client was reminded of what we still need
    CLOSED = "closed"  # no answer came: the ticket was closed politely
    WARNED = "warned"  # the share of the target that warns agents has run
    BREACHED = "breached"  # the due date passed with no first response by a person
    FIRST_RESPONSE = "first-response"  # a person answered the client: met, or late


@dataclass(frozen=True, slots=True)
class ClockEvent:
    """One change to a clock, when it happened, why, and the due date after it."""

    event: Event
    at: datetime
    reason: str = ""
    due_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Contact:
    """Where the guidance reply that asked the client went: reminders follow it."""

    channel: str
    to: str
    subject: str
    customer_name: str = ""
    ticket_number: str = ""


@dataclass(frozen=True, slots=True)
class ClockRecord:
    """One ticket's SLA clock and its history (oldest event first)."""

    ticket: str
    tier: str
    clock: Clock
    target: timedelta
    started_at: datetime
    due_at: datetime
    events: tuple[ClockEvent, ...] = field(default=())
    contact: Contact | None = None
    # The policy's client the ticket belongs to (None: matched by no client).
    client: str | None = None

    def with_event(self, event: ClockEvent) -> ClockRecord:
        """This record after ``event``; the due date follows the event's, if it has one."""
        return replace(self, events=(*self.events, event), due_at=event.due_at or self.due_at)

    def happened(self, event: Event) -> bool:
        return any(item.event is event for item in self.events)

    def last(self, event: Event) -> ClockEvent | None:
        return next((item for item in reversed(self.events) if item.event is event), None)

    @property
    def paused_since(self) -> datetime | None:
        """When the running pause began; None while the clock runs."""
        for item in reversed(self.events):
            if item.event is Event.PAUSED:
                return item.at
            if item.event in (Event.RESUMED, Event.RESTARTED, Event.STARTED):
                return None
        return None

    @property
    def first_response_at(self) -> datetime | None:
        found = self.last(Event.FIRST_RESPONSE)
        return found.at if found is not None else None

    @property
    def live(self) -> bool:
        """Still running or waiting: no person has answered, and it was not closed."""
        return self.first_response_at is None and not self.happened(Event.CLOSED)

    @property
    def outcome(self) -> str | None:
        """ "met" or "breached" once a person has answered, else None."""
        found = self.last(Event.FIRST_RESPONSE)
        if found is None:
            return None
        return "met" if found.at <= self.due_at else "breached"

    # -- JSON, as the store keeps it ------------------------------------------------

    def to_json(self) -> str:
        return json.dumps(
            {
                "ticket": self.ticket,
                "tier": self.tier,
                "clock": self.clock.value,
                "target_seconds": self.target.total_seconds(),
                "started_at": self.started_at.isoformat(),
                "due_at": self.due_at.isoformat(),
                "events": [_event_json(item) for item in self.events],
                "contact": _contact_json(self.contact),
                "client": self.client,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, text: str) -> ClockRecord:
        data: dict[str, Any] = json.loads(text)
        return cls(
            ticket=str(data["ticket"]),
            tier=str(data["tier"]),
            clock=Clock(data["clock"]),
            target=timedelta(seconds=float(data["target_seconds"])),
            started_at=datetime.fromisoformat(data["started_at"]),
            due_at=datetime.fromisoformat(data["due_at"]),
            events=tuple(_event_from_json(item) for item in data["events"]),
            contact=Contact(**data["contact"]) if data.get("contact") else None,
            client=data.get("client"),
        )


def _event_json(item: ClockEvent) -> dict[str, Any]:
    return {
        "event": item.event.value,
        "at": item.at.isoformat(),
        "reason": item.reason,
        "due_at": item.due_at.isoformat() if item.due_at else None,
    }


def _event_from_json(data: dict[str, Any]) -> ClockEvent:
    due = data.get("due_at")
    return ClockEvent(
        event=Event(data["event"]),
        at=datetime.fromisoformat(data["at"]),
        reason=str(data.get("reason") or ""),
        due_at=datetime.fromisoformat(due) if due else None,
    )


def _contact_json(contact: Contact | None) -> dict[str, str] | None:
    if contact is None:
        return None
    return {
        "channel": contact.channel,
        "to": contact.to,
        "subject": contact.subject,
        "customer_name": contact.customer_name,
        "ticket_number": contact.ticket_number,
    }


def describe_clock(record: ClockRecord, zone: tzinfo, now: datetime) -> str:
    """The record as lines a person reads: what the clock is, then every event."""

    def when(moment: datetime) -> str:
        return moment.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z")

    hours = record.target.total_seconds() / 3600
    if record.outcome is not None:
        status = f"{record.outcome} (first response {when(record.first_response_at or now)})"
    elif record.happened(Event.CLOSED):
        status = "closed without an answer"
    elif record.paused_since is not None:
        status = f"waiting for the client since {when(record.paused_since)}"
    else:
        status = "running" + (", past its due date" if now >= record.due_at else "")
    lines = [
        f"ticket {record.ticket}: {record.tier}, {hours:g} h on the {record.clock.value} clock",
        f"due {when(record.due_at)}; {status}",
    ]
    for item in record.events:
        due = (
            f" (due {when(item.due_at)})" if item.due_at and item.event is not Event.STARTED else ""
        )
        lines.append(f"  {when(item.at)}  {item.event.value:<14} {item.reason}{due}")
    return "\n".join(lines)
