"""What one decided message does to its ticket's SLA clock (pure).

The engine decides what the policy says about a message; this step reads that
decision against the ticket's clock record: a new ticket's clock starts at its due
date; a guidance reply that asks the client for something (a vague subject, missing
details) makes the ticket wait; the client's answer that supplies what was asked lets
the clock run again, the due date moved by the time spent waiting (or the full target
restarted); an answer that still lacks it keeps the clock waiting. The reminder and
closing replies the periodic task sends are composed here too.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from plugin.decision import Decision, Reply
from plugin.model import Message, Ticket
from plugin.names import Flag, Sender
from plugin.policy import CLOSING, Policy
from plugin.sla.clock import answer, pause, start_clock, timekeeper
from plugin.sla.record import ClockRecord, Contact

# The reasons that ask the client for something: until they answer, the delay is theirs.
ASKING = frozenset({Flag.VAGUE_SUBJECT.value, Flag.NEEDS_INFO.value})


@dataclass(frozen=True, slots=True)
class ClockStep:
    """The clock after one message, and what the ticket should carry for it."""

    record: ClockRecord | None
    due_at: datetime | None
    # Put the ticket in the policy's waiting state until this moment (Zammad's
    # pending_time), or take it out of that state; neither when nothing changes.
    wait_until: datetime | None = None
    resume: bool = False
    note: str = ""

    @property
    def changed(self) -> bool:
        return self.wait_until is not None or self.resume


def step(
    record: ClockRecord | None,
    ticket: Ticket,
    message: Message,
    *,
    decision: Decision,
    policy: Policy,
    received: datetime,
) -> ClockStep:
    """The clock after ``decision`` on ``message`` arrived at ``received``."""
    if decision.skipped is not None or message.sender is not Sender.CUSTOMER:
        return ClockStep(record, record.due_at if record else decision.due_at)
    tier = policy.tiers[decision.tier]
    if record is None:
        if decision.due_at is None:
            return ClockStep(None, None)
        clock = tier.priority.clock if decision.priority_request else tier.normal.clock
        keeper = timekeeper(clock, policy.calendar)
        record = start_clock(
            str(ticket.id),
            tier=decision.tier,
            clock=clock,
            target=keeper.elapsed(received, decision.due_at),
            started_at=received,
            due_at=decision.due_at,
            client=decision.client,
        )
    keeper = timekeeper(record.clock, policy.calendar)
    asked = decision.replies and ASKING & set(decision.replies[0].reasons)
    if asked and record.first_response_at is None:
        reply = decision.replies[0]
        contact = Contact(
            reply.channel, reply.to, reply.subject, ticket.customer.name or "", ticket.number
        )
        waiting = pause(
            replace(record, contact=contact),
            received,
            "a guidance reply asked for " + ", ".join(sorted(asked)),
        )
        remind = policy.waiting.rules.remind_after
        until = keeper.add(received, remind) if remind is not None else None
        note = (
            "SLA clock: waiting for the client's answer; the time spent waiting does not "
            "count against the SLA."
        )
        return ClockStep(waiting, waiting.due_at, wait_until=until or received, note=note)
    if record.paused_since is None:
        return ClockStep(record, record.due_at)
    if any(finding.flag is Flag.NEEDS_INFO for finding in decision.findings):
        # Zammad reopens a ticket on any mailed follow-up: it goes back to waiting.
        note = "SLA clock: the client's answer still lacks the details asked for; it waits on."
        remind = policy.waiting.rules.remind_after
        since = record.paused_since or received
        until = keeper.add(since, remind) if remind is not None else received
        return ClockStep(record, record.due_at, wait_until=max(until, received), note=note)
    before = record.due_at
    running = answer(record, received, keeper, policy.waiting.on_answer)
    moved = running.events[-1].reason
    note = f"SLA clock: {moved}; due {_when(before, policy)} -> {_when(running.due_at, policy)}."
    return ClockStep(running, running.due_at, resume=True, note=note)


def with_clock(decision: Decision, clock: ClockStep) -> Decision:
    """``decision`` with the clock's due date and its line in the note."""
    note = "\n".join(part for part in (decision.note, clock.note) if part)
    return replace(decision, due_at=clock.due_at, note=note)


def _when(moment: datetime, policy: Policy) -> str:
    return moment.astimezone(policy.zone).strftime("%Y-%m-%d %H:%M")


def clock_reply(record: ClockRecord, paragraph: str, policy: Policy) -> Reply | None:
    """The reminder or closing reply (``paragraph`` is its template's key), on the channel
    of the guidance reply that asked; None when that reply's address is not known."""
    contact = record.contact
    if contact is None:
        return None
    tier = policy.tiers.get(record.tier)
    context: dict[str, object] = {
        "company": policy.company,
        "customer_name": contact.customer_name or "customer",
        "ticket_number": contact.ticket_number,
        "ticket_title": contact.subject,
        "subject": contact.subject,
        "ticket_address": policy.ticket_addresses[0] if policy.ticket_addresses else "",
        "channel": contact.channel,
        "close": paragraph == CLOSING,
        "next_opening": "",
        "tier_label": tier.label if tier else record.tier,
        "guaranteed": bool(tier and tier.guaranteed),
        "links": policy.links.model_dump(),
    }
    templates = policy.compiled_templates
    _subject, body = templates.reply([templates.paragraph(paragraph, context)], context)
    return Reply(contact.channel, contact.to, contact.subject, body, (paragraph,))
