"""What one decided message does to its ticket's SLA clock (plugin/sla/lifecycle.py)."""

from __future__ import annotations

from dataclasses import replace

from plugin.engine import evaluate
from plugin.model import Message, Ticket
from plugin.names import Sender
from plugin.policy import Policy
from plugin.sla.lifecycle import ClockStep, step, with_clock
from plugin.sla.record import ClockRecord, Event
from tests.conftest import email, sast, ticket_for

MONDAY_9 = sast(2026, 3, 2, 9)  # Acme Storage is Gold: 4 office hours, due 13:00
DETAILS = (
    "The nightly backup of fileserver02 (10.2.0.12) fails with 'Network error' since "
    "Wednesday; we restarted the agent, no change."
)


def after(
    policy: Policy, record: ClockRecord | None, ticket: Ticket, message: Message
) -> ClockStep:
    decision = evaluate(ticket, message, policy, message.created_at or MONDAY_9)
    return step(
        record,
        ticket,
        message,
        decision=decision,
        policy=policy,
        received=message.created_at or MONDAY_9,
    )


def asked(policy: Policy) -> tuple[ClockStep, Ticket]:
    message = email("Help!!", body="Help!!", created_at=MONDAY_9, id=1)
    ticket = ticket_for(message)
    return after(policy, None, ticket, message), ticket


def follow_up(ticket: Ticket, body: str, hours: int) -> tuple[Ticket, Message]:
    message = email("Re: Help!!", body=body, created_at=sast(2026, 3, 2, 9 + hours), id=2)
    told = frozenset({"vague-subject", "needs-info"})
    tags = frozenset({"sla-gold", "vague-subject", "needs-info"})
    return replace(ticket, is_new=False, replied_reasons=told, tags=tags), message


def test_a_reply_that_asks_starts_the_clock_and_makes_the_ticket_wait(example_policy) -> None:
    clock, _ticket = asked(example_policy)
    assert clock.record is not None
    assert [item.event for item in clock.record.events] == [Event.STARTED, Event.PAUSED]
    assert clock.due_at == sast(2026, 3, 2, 13)  # 4 office hours from 09:00
    assert clock.wait_until == sast(2026, 3, 3, 16)  # 16 office hours: the reminder
    assert clock.record.contact is not None and clock.record.contact.to == "thandi@acme.example"
    assert "waiting for the client's answer" in clock.note


def test_an_answer_with_the_details_moves_the_due_date_and_resumes(example_policy) -> None:
    clock, ticket = asked(example_policy)
    ticket, message = follow_up(ticket, DETAILS, hours=4)
    answered = after(example_policy, clock.record, ticket, message)
    assert answered.resume and answered.wait_until is None
    assert answered.due_at == sast(2026, 3, 2, 17)
    assert "after 4 h of waiting" in answered.note
    decision = evaluate(ticket, message, example_policy, MONDAY_9)
    assert with_clock(decision, answered).due_at == sast(2026, 3, 2, 17)


def test_an_answer_without_them_waits_on_and_moves_nothing(example_policy) -> None:
    clock, ticket = asked(example_policy)
    ticket, message = follow_up(ticket, "Still broken.", hours=2)
    still = after(example_policy, clock.record, ticket, message)
    assert still.record == clock.record
    assert still.due_at == clock.due_at
    assert still.wait_until == sast(2026, 3, 3, 16)
    assert not still.resume


def test_restart_gives_the_full_target_from_the_answer(example_policy) -> None:
    policy = example_policy.model_copy(
        update={"waiting": example_policy.waiting.model_copy(update={"on_answer": "restart"})}
    )
    clock, ticket = asked(policy)
    ticket, message = follow_up(ticket, DETAILS, hours=1)
    answered = after(policy, clock.record, ticket, message)
    assert answered.due_at == sast(2026, 3, 2, 14)  # 10:00 + 4 office hours


def test_agents_and_skipped_messages_leave_the_clock_alone(example_policy) -> None:
    clock, ticket = asked(example_policy)
    agent = email("Re: Help!!", body="We are on it", sender=Sender.AGENT, id=3)
    same = after(example_policy, clock.record, replace(ticket, is_new=False), agent)
    assert same.record == clock.record and not same.changed
