"""Applying a decision to a ticket, exactly once, with as few helpdesk calls as possible.

The executor reads the ticket's current state once, lets ``evaluate()`` decide
with it, plans the writes that state still lacks (a pure step), then performs
them: the reply first, then one ticket update that carries the note (whose
trailer records the reply only if the helpdesk accepted it), then the tags.
Re-running the same event finds the reply and the note already there and the
tags and fields already set, so it writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Protocol, TypeVar

from plugin.decision import Decision, Reply
from plugin.engine import evaluate, may_confirm_meeting, received_at
from plugin.errors import HelpdeskError, HelpdeskRateLimitError, HelpdeskRefusedError
from plugin.helpdesk import Helpdesk, TicketState, due_attribute_missing, note_trailer
from plugin.model import Event, Message, Ticket
from plugin.names import SLA_BREACHED_TAG, SLA_WARNING_TAG
from plugin.policy import CLOSING, REMINDER, Policy
from plugin.sla.clock import Action, due_actions, first_response, timekeeper
from plugin.sla.clock import apply as apply_action
from plugin.sla.lifecycle import ClockStep, clock_reply, step, with_clock
from plugin.sla.record import ClockRecord
from plugin.sla.record import Event as ClockEvent

log = logging.getLogger(__name__)
_Arg = TypeVar("_Arg")
CLOSED_STATE = "closed"


class ClockStore(Protocol):
    """Where SLA clock records are kept (plugin/store.py)."""

    def clock(self, ticket: str) -> ClockRecord | None: ...

    def save_clock(self, record: ClockRecord) -> None: ...


@dataclass(frozen=True)
class Plan:
    """The writes a decision still needs, given the ticket's current state."""

    reply: Reply | None = None
    # The note's text; the trailer (article id, reasons told) is added when it is written.
    note: str | None = None
    article_id: int = 0
    replied: tuple[str, ...] = ()
    # Every tag the ticket should carry (recorded in the note where tags do not exist).
    tags: tuple[str, ...] = ()
    add_tags: tuple[str, ...] = ()
    remove_tags: tuple[str, ...] = ()
    fields: dict[str, str] = field(default_factory=dict)
    # What cannot be written, known before writing (said in the note).
    problems: tuple[str, ...] = ()
    # The waiting state and its note line: written only when the reply that asks the
    # client for something was accepted (or was already there).
    wait_fields: dict[str, str] = field(default_factory=dict)
    wait_note: str = ""

    @property
    def is_empty(self) -> bool:
        return not (self.reply or self.note or self.add_tags or self.remove_tags or self.fields)


@dataclass
class Applied:
    """What one event led to: the decision, the writes made and writes that failed."""

    decision: Decision
    writes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    reply_refused: bool = False


def zammad_time(moment: datetime) -> str:
    """A datetime as Zammad stores datetime attributes (UTC, ISO 8601)."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def plan_writes(
    decision: Decision, state: TicketState, article_id: int, due_attribute: str
) -> Plan:
    """What is still to be written for ``decision`` about ``article_id`` (pure)."""
    if decision.skipped is not None:
        return Plan()
    reply = decision.replies[0] if decision.replies else None
    if reply is not None and state.has_reply_for(article_id):
        reply = None
    note = decision.note if decision.note and not state.has_note_for(article_id) else None
    fields: dict[str, str] = {}
    if decision.priority and decision.priority != state.priority:
        fields["priority"] = decision.priority
    problems: list[str] = []
    if decision.due_at is not None and (
        state.due_at is None or zammad_time(state.due_at) != zammad_time(decision.due_at)
    ):
        if state.due_attribute_known:
            fields[due_attribute] = zammad_time(decision.due_at)
        else:
            problems.append(due_attribute_missing(due_attribute))
    if decision.close and state.state != CLOSED_STATE:
        fields["state"] = CLOSED_STATE
    return Plan(
        reply=reply,
        note=note,
        article_id=article_id,
        replied=decision.replies[0].reasons if decision.replies else (),
        tags=tuple(sorted(decision.tags)),
        add_tags=tuple(sorted(set(decision.tags) - state.tags)),
        remove_tags=tuple(sorted(set(decision.remove_tags) & state.tags)),
        fields=fields,
        problems=tuple(problems),
    )


def _is_permanent(exc: HelpdeskError) -> bool:
    """A refusal, or a 4xx other than 429: sending it again would fail again."""
    if isinstance(exc, HelpdeskRefusedError):
        return True
    return 400 <= exc.status < 500 and not isinstance(exc, HelpdeskRateLimitError)


class Executor:
    """Decides with the helpdesk's current state and writes what is missing.

    Raises HelpdeskUnavailableError and 5xx/429 HelpdeskErrors for the queue to
    retry; permanent 4xx failures of single writes are recorded and the rest
    goes on.
    """

    def __init__(
        self,
        helpdesk: Helpdesk,
        policy: Policy,
        *,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        clocks: ClockStore | None = None,
    ) -> None:
        self._helpdesk = helpdesk
        self._policy = policy
        self._clock = clock
        self._clocks = clocks

    def apply(self, event: Event, *, last_try: bool = False) -> Applied:
        """Evaluate one webhook event against the live ticket and write the result.

        On the ``last_try`` a reply the helpdesk keeps failing is given up (its reasons
        stay untold, the note says why) so that the note, tags and fields still land.
        """
        policy = self._policy
        ticket, message = event.ticket, event.message
        first_look = evaluate(ticket, message, policy, self._clock())
        if message is None or message.id is None:
            return Applied(first_look)
        if first_look.skipped is not None and not may_confirm_meeting(message):
            return Applied(first_look)  # Decided without reading the helpdesk at all.
        article_id = int(message.id)
        state = self._helpdesk.ticket_state(int(ticket.id))
        if first_look.skipped is not None:
            return self._agent_article(ticket, message, state)
        current = replace(
            ticket,
            tags=state.tags,
            due_at=state.due_at or ticket.due_at,
            priority=state.priority or ticket.priority,
            state=state.state or ticket.state,
            replied_reasons=state.replied_reasons(article_id),
        )
        now = self._clock()
        decision = evaluate(current, message, policy, now)
        clock = None
        if self._clocks is not None:
            received = received_at(current, message, now)
            record = self._clocks.clock(str(ticket.id))
            clock = step(
                record, current, message, decision=decision, policy=policy, received=received
            )
            decision = with_clock(decision, clock)
        plan = plan_writes(decision, state, article_id, policy.due_date_attribute)
        if clock is not None and clock.wait_until is not None:
            waiting = (
                self._waiting_fields(clock, state) if self._helpdesk.has_pending_states else {}
            )
            plan = replace(plan, wait_fields=waiting, wait_note=clock.note)
        elif clock is not None and self._helpdesk.has_pending_states:
            plan = replace(plan, fields={**plan.fields, **self._waiting_fields(clock, state)})
        applied = self._perform(int(ticket.id), decision, plan, last_try=last_try)
        if self._clocks is not None and clock is not None:
            if applied.reply_refused and clock.wait_until is not None:
                # The client was not asked after all: the clock does not wait for them.
                clock = step(
                    record,
                    current,
                    message,
                    decision=replace(decision, replies=()),
                    policy=policy,
                    received=received,
                )
            if clock.record is not None:
                self._clocks.save_clock(clock.record)
        return applied

    def tend_clock(
        self, record: ClockRecord, now: datetime, save: Callable[[ClockRecord], None]
    ) -> list[str]:
        """Carry out what is due on a ticket's SLA clock at ``now`` (reminding the client,
        closing, warning agents, marking a breach); the writes made.

        The record is saved with the action before the action is carried out, so that a
        write that fails halfway is never repeated: a second reminder costs more than a
        missed one. A person's first response ends the clock and its warning tags.
        """
        policy, helpdesk = self._policy, self._helpdesk
        ticket_id = int(record.ticket)
        state = helpdesk.ticket_state(ticket_id)
        writes: list[str] = []
        if state.first_response_at is not None and record.first_response_at is None:
            save(first_response(record, state.first_response_at))
            warned = {SLA_WARNING_TAG, SLA_BREACHED_TAG} & state.tags
            for tag in sorted(warned) if helpdesk.keeps_tags else ():
                helpdesk.remove_tag(ticket_id, tag)
                writes.append(f"tag -{tag}")
            return writes
        if state.state == CLOSED_STATE:
            closed = Action(ClockEvent.CLOSED, "closed in the helpdesk")
            save(apply_action(record, closed, now))
            return writes
        keeper = timekeeper(record.clock, policy.calendar)
        for action in due_actions(record, now, keeper, policy.waiting.rules, policy.warnings.at):
            record = apply_action(record, action, now)
            save(record)
            writes.extend(self._carry_out(ticket_id, record, action))
        return writes

    def _carry_out(self, ticket_id: int, record: ClockRecord, action: Action) -> list[str]:
        helpdesk = self._helpdesk
        writes = []
        note = f"ticket-warden: SLA clock: {action.reason}."
        if action.event in (ClockEvent.REMINDED, ClockEvent.CLOSED):
            paragraph = REMINDER if action.event is ClockEvent.REMINDED else CLOSING
            reply = clock_reply(record, paragraph, self._policy)
            if reply is None:
                note += " No reply was sent: the guidance reply's address is not known."
            else:
                helpdesk.post_reply(ticket_id, reply)
                writes.append(f"reply by {reply.channel} to {reply.to}")
            fields = {"state": CLOSED_STATE} if action.event is ClockEvent.CLOSED else {}
            helpdesk.update_ticket(ticket_id, fields, note)
            writes.append("internal note" + (", ticket state=closed" if fields else ""))
            return writes
        tag = SLA_WARNING_TAG if action.event is ClockEvent.WARNED else SLA_BREACHED_TAG
        if helpdesk.keeps_tags:
            helpdesk.add_tag(ticket_id, tag)
            writes.append(f"tag +{tag}")
        helpdesk.update_ticket(ticket_id, {}, f"{note} ({tag})")
        writes.append("internal note")
        return writes

    def _waiting_fields(self, clock: ClockStep, state: TicketState) -> dict[str, str]:
        """The state a ticket waits in while the client owes us an answer, and back."""
        waiting = self._policy.waiting
        if clock.wait_until is not None and state.state != waiting.pending_state:
            return {"state": waiting.pending_state, "pending_time": zammad_time(clock.wait_until)}
        if clock.resume and state.state == waiting.pending_state:
            return {"state": waiting.open_state}
        return {}

    def _agent_article(self, ticket: Ticket, message: Message, state: TicketState) -> Applied:
        """An agent's email only matters when it confirms a pending meeting."""
        tags = state.tags
        decision = evaluate(replace(ticket, tags=tags), message, self._policy, self._clock())
        if decision.skipped is not None:
            return Applied(decision)
        plan = Plan(
            add_tags=tuple(sorted(set(decision.tags) - tags)),
            remove_tags=tuple(sorted(set(decision.remove_tags) & tags)),
        )
        return self._perform(int(ticket.id), decision, plan)

    def _perform(
        self, ticket_id: int, decision: Decision, plan: Plan, *, last_try: bool = False
    ) -> Applied:
        applied = Applied(decision)
        helpdesk = self._helpdesk
        replied = plan.replied
        if plan.reply is not None:
            reply = plan.reply
            posted = self._attempt(
                applied, "guidance reply", helpdesk.post_reply, ticket_id, reply, give_up=last_try
            )
            if posted:
                applied.writes.append(f"reply by {reply.channel} to {reply.to}")
            else:
                replied = ()  # Not told after all: the bot's memory must not say it was.
                applied.reply_refused = True
        if applied.reply_refused:
            note = plan.note.replace(f"\n{plan.wait_note}", "") if plan.note else plan.note
            plan = replace(plan, note=note)  # nothing was asked: nothing to wait for
        else:
            plan = replace(plan, fields={**plan.fields, **plan.wait_fields})
        applied.errors.extend(plan.problems)
        trailer = note_trailer(plan.article_id, replied, () if helpdesk.keeps_tags else plan.tags)
        if plan.fields or plan.note is not None:
            self._update(applied, ticket_id, plan, trailer)
        for tag in plan.add_tags if helpdesk.keeps_tags else ():
            if self._attempt(applied, f"tag {tag}", helpdesk.add_tag, ticket_id, tag):
                applied.writes.append(f"tag +{tag}")
        for tag in plan.remove_tags if helpdesk.keeps_tags else ():
            if self._attempt(applied, f"tag {tag}", helpdesk.remove_tag, ticket_id, tag):
                applied.writes.append(f"tag -{tag}")
        return applied

    def _update(self, applied: Applied, ticket_id: int, plan: Plan, trailer: str) -> None:
        """The ticket update carrying the note; if the helpdesk refuses the fields, the
        note still goes in alone, saying so. A due date the helpdesk did not keep is an
        error (Zammad drops an attribute it does not know yet and still answers 200)."""
        stored: list[datetime | None] = []

        def note() -> str | None:
            """The note with every error so far; the trailer stays its last line."""
            if plan.note is None:
                return None
            return "\n".join([plan.note, *applied.errors, trailer])

        def write(ticket_id: int, fields: dict[str, str]) -> None:
            stored.append(self._helpdesk.update_ticket(ticket_id, fields, note()))

        if self._attempt(applied, "ticket update", write, ticket_id, plan.fields):
            if plan.note is not None:
                applied.writes.append("internal note")
            if plan.fields:
                applied.writes.append(
                    "ticket " + ", ".join(f"{key}={value}" for key, value in plan.fields.items())
                )
            wanted = plan.fields.get(self._policy.due_date_attribute)
            if wanted is not None and (stored[0] is None or zammad_time(stored[0]) != wanted):
                applied.errors.append(due_attribute_missing(self._policy.due_date_attribute))
            return
        refused_fields_only = plan.note is not None and plan.fields
        if refused_fields_only and self._attempt(applied, "note", write, ticket_id, {}):
            applied.writes.append("internal note")

    @staticmethod
    def _attempt(
        applied: Applied,
        what: str,
        write: Callable[[int, _Arg], None],
        ticket_id: int,
        arg: _Arg,
        *,
        give_up: bool = False,
    ) -> bool:
        """Perform one write; a permanent failure (any failure when ``give_up``) is
        recorded and skipped, anything else raises for the queue to retry."""
        try:
            write(ticket_id, arg)
        except HelpdeskError as exc:
            if not (give_up or _is_permanent(exc)):
                raise
            log.warning("ticket %s: %s failed: %s", ticket_id, what, exc)
            applied.errors.append(f"{what} not written: {exc.message} (HTTP {exc.status})")
            return False
        return True
