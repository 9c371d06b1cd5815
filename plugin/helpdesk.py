"""What the executor needs from a helpdesk, helpdesk-neutral.

A helpdesk adapter (Zammad first) reads a ticket's current state and performs
the few writes a Decision needs. The bot's notes end with one machine-readable
line, the *trailer*, naming the customer article they answer and the reasons
the guidance reply gave: that line is the bot's memory in the helpdesk.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from plugin.decision import Reply

_TRAILER = re.compile(r"\[ticket-warden article=(\d+) replied=([\w,-]*)(?: tags=([\w,-]*))?\]")


def note_trailer(article_id: int, replied: tuple[str, ...], tags: tuple[str, ...] = ()) -> str:
    """The last line of every note the bot writes (tags: for helpdesks without tags)."""
    tail = f" tags={','.join(tags)}" if tags else ""
    return f"[ticket-warden article={article_id} replied={','.join(replied)}{tail}]"


def parse_trailer(body: str) -> tuple[int, tuple[str, ...]] | None:
    """The article id and replied reasons of a bot note, or None for any other text."""
    match = _TRAILER.search(body)
    if match is None:
        return None
    return int(match[1]), tuple(reason for reason in match[2].split(",") if reason)


def trailer_tags(body: str) -> frozenset[str] | None:
    """The tags a bot note recorded, or None when it recorded none (or is no bot note)."""
    match = _TRAILER.search(body)
    if match is None or match[3] is None:
        return None
    return frozenset(tag for tag in match[3].split(",") if tag)


def due_attribute_missing(attribute: str) -> str:
    """What an agent and an admin read when the helpdesk cannot hold the due date yet."""
    return (
        f"due date not written: the helpdesk has no ticket field '{attribute}' yet "
        "(run 'ticket-warden install', then restart Zammad; 'ticket-warden check' tells)"
    )


@dataclass(frozen=True, slots=True)
class ArticleInfo:
    """The little the executor needs to know of each article on a ticket."""

    id: int
    by_bot: bool
    from_customer: bool
    internal: bool
    body: str = ""


def tags_recorded_in(articles: Iterable[ArticleInfo]) -> frozenset[str]:
    """The tags the bot's latest note among ``articles`` recorded in its trailer."""
    for article in sorted(articles, key=lambda a: a.id, reverse=True):
        tags = trailer_tags(article.body) if article.by_bot and article.internal else None
        if tags is not None:
            return tags
    return frozenset()


@dataclass(frozen=True, slots=True)
class TicketState:
    """A ticket as the helpdesk holds it now.

    ``due_attribute_known`` is False when the helpdesk's answer has no due-date field
    at all (Zammad: an attribute not migrated yet, or awaiting a restart): a due date
    written then would be dropped silently.
    """

    tags: frozenset[str]
    priority: str | None
    state: str | None
    due_at: datetime | None
    articles: tuple[ArticleInfo, ...]
    due_attribute_known: bool = True
    # When a person first answered the client (Zammad's first_response_at), if known.
    first_response_at: datetime | None = None

    def replied_reasons(self, before_article: int) -> frozenset[str]:
        """Reasons the bot's replies gave for customer articles before ``before_article``."""
        reasons: set[str] = set()
        for article in self.articles:
            trailer = parse_trailer(article.body) if article.by_bot and article.internal else None
            if trailer and trailer[0] < before_article:
                reasons.update(trailer[1])
        return frozenset(reasons)

    def _answers_to(self, article_id: int) -> list[ArticleInfo]:
        """Bot articles written after ``article_id`` and before the next customer article."""
        answers = []
        for article in sorted(self.articles, key=lambda a: a.id):
            if article.id <= article_id:
                continue
            if article.from_customer and not article.by_bot:
                break
            if article.by_bot:
                answers.append(article)
        return answers

    def recorded_tags(self) -> frozenset[str]:
        """The tags the bot's latest note recorded (for helpdesks without tags)."""
        return tags_recorded_in(self.articles)

    def has_note_for(self, article_id: int) -> bool:
        """The bot already wrote its note about ``article_id``."""
        return any(
            (trailer := parse_trailer(article.body)) is not None and trailer[0] == article_id
            for article in self.articles
            if article.by_bot and article.internal
        )

    def has_reply_for(self, article_id: int) -> bool:
        """The bot already replied to the client about ``article_id``."""
        return any(not article.internal for article in self._answers_to(article_id))


class Helpdesk(Protocol):
    """The reads and writes the executor performs; adapters raise plugin.errors types.

    A decided ticket costs one ``ticket_state`` read, at most one ``post_reply``,
    one ``update_ticket`` that carries the note, and one call per tag to add or
    remove. ``keeps_tags`` is False for helpdesks without tags: the flags then live
    in the bot's note (listed, and recorded in its trailer) and add/remove_tag are
    not called.
    """

    keeps_tags: bool
    # Whether a ticket can be put in a waiting state with a time (Zammad's pending states).
    has_pending_states: bool

    def ping(self) -> list[str]:
        """Raise unless the helpdesk answers and accepts our credentials; answer what is
        not set up for ticket-warden yet, one line each with what to do."""

    def ticket_state(self, ticket_id: int) -> TicketState:
        """The ticket, its tags and its articles, in as few reads as the helpdesk allows."""

    def add_tag(self, ticket_id: int, tag: str) -> None: ...

    def remove_tag(self, ticket_id: int, tag: str) -> None: ...

    def update_ticket(
        self, ticket_id: int, fields: Mapping[str, str], note: str | None
    ) -> datetime | None:
        """Write ``fields`` and the internal ``note`` (either may be empty); answer the
        due date as the helpdesk holds it afterwards (None when it holds none)."""

    def post_reply(self, ticket_id: int, reply: Reply) -> None: ...
