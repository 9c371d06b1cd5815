"""Applying a decision to a ticket, exactly once, with as few helpdesk calls as possible.

The executor reads the ticket's current state, lets ``evaluate()`` decide with
it, plans the writes that state still lacks (a pure step), then performs them:
the reply first, then the note (whose trailer records the reply), then tags and
one ticket update. Re-running the same event finds the reply and the note
already there and the tags and fields already set, so it writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TypeVar

from plugin.decision import Decision, Reply
from plugin.engine import evaluate, may_confirm_meeting
from plugin.errors import HelpdeskError, HelpdeskRateLimitError
from plugin.helpdesk import Helpdesk, TicketState, note_trailer
from plugin.model import Event, Message, Ticket
from plugin.policy import Policy

log = logging.getLogger(__name__)
_Arg = TypeVar("_Arg")
CLOSED_STATE = "closed"


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

    @property
    def is_empty(self) -> bool:
        return not (self.reply or self.note or self.add_tags or self.remove_tags or self.fields)


@dataclass
class Applied:
    """What one event led to: the decision, the writes made and writes that failed."""

    decision: Decision
    writes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


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
    if decision.due_at is not None and (
        state.due_at is None or zammad_time(state.due_at) != zammad_time(decision.due_at)
    ):
        fields[due_attribute] = zammad_time(decision.due_at)
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
    )


def _is_permanent(exc: HelpdeskError) -> bool:
    """A 4xx other than 429: sending it again would fail again."""
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
    ) -> None:
        self._helpdesk = helpdesk
        self._policy = policy
        self._clock = clock

    def apply(self, event: Event) -> Applied:
        """Evaluate one webhook event against the live ticket and write the result."""
        policy = self._policy
        ticket, message = event.ticket, event.message
        first_look = evaluate(ticket, message, policy, self._clock())
        if message is None or message.id is None:
            return Applied(first_look)
        if first_look.skipped is not None and not may_confirm_meeting(message):
            return Applied(first_look)  # Decided without reading the helpdesk at all.
        article_id = int(message.id)
        if first_look.skipped is not None:
            return self._agent_article(ticket, message, article_id)
        state = self._helpdesk.ticket_state(int(ticket.id))
        current = replace(
            ticket,
            tags=state.tags,
            due_at=state.due_at or ticket.due_at,
            priority=state.priority or ticket.priority,
            state=state.state or ticket.state,
            replied_reasons=state.replied_reasons(article_id),
        )
        decision = evaluate(current, message, policy, self._clock())
        plan = plan_writes(decision, state, article_id, policy.due_date_attribute)
        return self._perform(int(ticket.id), decision, plan)

    def _agent_article(self, ticket: Ticket, message: Message, article_id: int) -> Applied:
        """An agent's email only matters when it confirms a pending meeting."""
        tags = self._helpdesk.tags(int(ticket.id))
        decision = evaluate(replace(ticket, tags=tags), message, self._policy, self._clock())
        if decision.skipped is not None:
            return Applied(decision)
        plan = Plan(
            add_tags=tuple(sorted(set(decision.tags) - tags)),
            remove_tags=tuple(sorted(set(decision.remove_tags) & tags)),
        )
        return self._perform(int(ticket.id), decision, plan)

    def _perform(self, ticket_id: int, decision: Decision, plan: Plan) -> Applied:
        applied = Applied(decision)
        helpdesk = self._helpdesk
        replied = plan.replied
        if plan.reply is not None:
            reply = plan.reply
            if self._attempt(applied, "guidance reply", helpdesk.post_reply, ticket_id, reply):
                applied.writes.append(f"reply by {reply.channel} to {reply.to}")
            else:
                replied = ()  # Not told after all: the bot's memory must not say it was.
        if plan.note is not None:
            trailer = note_trailer(
                plan.article_id, replied, () if helpdesk.keeps_tags else plan.tags
            )
            text = "\n".join([plan.note, *applied.errors, trailer])
            if self._attempt(applied, "note", helpdesk.post_note, ticket_id, text):
                applied.writes.append("internal note")
        for tag in plan.add_tags if helpdesk.keeps_tags else ():
            if self._attempt(applied, f"tag {tag}", helpdesk.add_tag, ticket_id, tag):
                applied.writes.append(f"tag +{tag}")
        for tag in plan.remove_tags if helpdesk.keeps_tags else ():
            if self._attempt(applied, f"tag {tag}", helpdesk.remove_tag, ticket_id, tag):
                applied.writes.append(f"tag -{tag}")
        if plan.fields and self._attempt(
            applied, "ticket update", helpdesk.update_ticket, ticket_id, plan.fields
        ):
            applied.writes.append(
                "ticket " + ", ".join(f"{key}={value}" for key, value in plan.fields.items())
            )
        return applied

    @staticmethod
    def _attempt(
        applied: Applied, what: str, write: Callable[[int, _Arg], None], ticket_id: int, arg: _Arg
    ) -> bool:
        """Perform one write; a permanent 4xx is recorded and skipped, anything else raises."""
        try:
            write(ticket_id, arg)
        except HelpdeskError as exc:
            if not _is_permanent(exc):
                raise
            log.warning("ticket %s: %s failed: %s", ticket_id, what, exc)
            applied.errors.append(f"{what} not written: {exc.message} (HTTP {exc.status})")
            return False
        return True
