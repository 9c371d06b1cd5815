"""The helpdesk-neutral view of a ticket and the message being judged.

Adapters (``plugin.zammad.payload`` first) turn a helpdesk's own payload into
these; the rules and ``evaluate()`` see nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from plugin.names import Flag, Sender


@dataclass(frozen=True, slots=True)
class Customer:
    """Who the ticket is for."""

    email: str | None = None
    name: str | None = None
    organization: str | None = None
    # Tier named by the helpdesk's organization record, if the policy reads one.
    organization_tier: str | None = None


@dataclass(frozen=True, slots=True)
class Message:
    """One article on a ticket: a mail, a chat message, a phone note..."""

    channel: str
    sender: Sender
    body: str = ""
    content_type: str = "text/plain"
    subject: str = ""
    from_address: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    internal: bool = False
    created_at: datetime | None = None
    attachment_count: int = 0
    # The helpdesk's own verdict that a mail is an auto-response (Zammad judges the
    # mail's headers when it arrives and records it in the article's preferences).
    is_auto_response: bool = False
    written_by_bot: bool = False
    id: int | str | None = None
    # Helpdesks that do not record a message's channel or its To/Cc say so here;
    # the channel and ticket-address rules then have nothing to judge.
    channel_known: bool = True
    recipients_known: bool = True


@dataclass(frozen=True, slots=True)
class Ticket:
    """A ticket and what the helpdesk already holds about it."""

    id: int | str
    number: str
    title: str
    customer: Customer
    created_at: datetime | None = None
    is_new: bool = True
    state: str | None = None
    priority: str | None = None
    # What the helpdesk remembers of earlier evaluations: tags, the due date
    # already set, and the reasons the bot's earlier replies gave.
    tags: frozenset[str] = frozenset()
    due_at: datetime | None = None
    replied_reasons: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Event:
    """One helpdesk event in neutral terms: the ticket and its new message, if any.

    Each helpdesk adapter turns its own webhook payload into this; the executor
    and the runtime know nothing else of the helpdesk's payloads.
    """

    helpdesk: str
    ticket: Ticket
    message: Message | None


@dataclass(frozen=True, slots=True)
class Finding:
    """Something a rule found, with a reason an agent can read.

    A finding that is not ``sure`` is only told to agents, in the note: a wrong
    guidance reply costs more than a missed one, so the client hears nothing of it.
    """

    flag: Flag
    reason: str
    sure: bool = True
