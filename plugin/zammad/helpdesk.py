"""The Helpdesk interface on Zammad's REST API (SPEC §6)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import cached_property
from typing import Any

from plugin.decision import Reply
from plugin.errors import HelpdeskError, HelpdeskRefusedError
from plugin.helpdesk import ArticleInfo, TicketState, due_attribute_missing
from plugin.moments import parse_api_time
from plugin.names import EMAIL_CHANNEL
from plugin.text import html_to_text
from plugin.zammad.client import ZammadClient

# Zammad's seeded article sender ids (db/seeds/ticket_article_senders.rb), the ids
# the manifest's trigger conditions use too.
CUSTOMER_SENDER_ID = 2
# Zammad's answer (HTTP 500, adds_metadata_email.rb) to an email article on a ticket
# whose group has no email address; admins' tokens see the message.
NO_GROUP_ADDRESS = "No email address found for group"


class ZammadHelpdesk:
    """Reads ticket state and writes decisions through a ZammadClient."""

    keeps_tags = True
    has_pending_states = True

    def __init__(self, client: ZammadClient, *, due_attribute: str, bot_login: str | None = None):
        self._client = client
        self._due_attribute = due_attribute
        self._configured_login = bot_login
        self._lookups: dict[str, dict[int, str]] = {}

    @property
    def client(self) -> ZammadClient:
        """The Zammad client underneath (reconcile searches with it)."""
        return self._client

    @cached_property
    def _me(self) -> dict[str, Any]:
        return self._client.me()

    @property
    def bot_login(self) -> str | None:
        """The login of the token's user: the bot's articles carry it as their author."""
        return self._configured_login or (str(self._me.get("login") or "") or None)

    def own_login(self) -> str | None:
        """``bot_login`` as a call (asks Zammad once when it was not configured)."""
        return self.bot_login

    def _is_bot(self, article: Mapping[str, Any]) -> bool:
        author = article.get("created_by_id")
        return author is not None and author == self._me.get("id")

    def ping(self) -> list[str]:
        self._client.me()
        return self.due_attribute_problems()

    def due_attribute_problems(self) -> list[str]:
        """A read-back of one ticket: every column is in its JSON, so a due-date field
        that is missing is one the running Zammad does not know (not migrated yet, or
        migrated and awaiting a restart). Without any ticket nothing can be told."""
        tickets = self._client.tickets_page(page=1, per_page=1)
        if not tickets or self._due_attribute in tickets[0]:
            return []
        return [due_attribute_missing(self._due_attribute)]

    def _names(self, table: str) -> dict[int, str]:
        """Priority or state names by id, asked once per process (admins may rename them)."""
        cached = self._lookups.get(table)
        if cached is None:
            cached = self._lookups[table] = self._client.lookup_names(table)
        return cached

    def ticket_state(self, ticket_id: int) -> TicketState:
        """One read: the ticket, its articles and its tags (``?all=true``)."""
        data = self._client.ticket_all(ticket_id)
        assets = data.get("assets") or {}
        ticket = (assets.get("Ticket") or {}).get(str(ticket_id)) or {}
        me = self._me.get("id")
        articles = tuple(
            ArticleInfo(
                id=int(article["id"]),
                by_bot=me is not None and article.get("created_by_id") == me,
                from_customer=article.get("sender_id") == CUSTOMER_SENDER_ID,
                internal=bool(article.get("internal")),
                body=str(article.get("body") or ""),
            )
            for article in sorted(
                (assets.get("TicketArticle") or {}).values(), key=lambda a: int(a["id"])
            )
        )
        priority_id, state_id = ticket.get("priority_id"), ticket.get("state_id")
        return TicketState(
            tags=frozenset(str(tag) for tag in data.get("tags") or []),
            priority=self._names("ticket_priorities").get(int(priority_id))
            if priority_id
            else None,
            state=self._names("ticket_states").get(int(state_id)) if state_id else None,
            due_at=parse_api_time(ticket.get(self._due_attribute)),
            articles=articles,
            # Every column is in the answer, null or not: a missing key is an attribute
            # Zammad does not know yet (not migrated, or awaiting a restart).
            due_attribute_known=self._due_attribute in ticket,
            # has_ticket_contact_attributes_impact.rb: set once, by the first public
            # Agent article of a communication type, never reset.
            first_response_at=parse_api_time(ticket.get("first_response_at")),
        )

    def add_tag(self, ticket_id: int, tag: str) -> None:
        self._client.add_tag(ticket_id, tag)

    def remove_tag(self, ticket_id: int, tag: str) -> None:
        self._client.remove_tag(ticket_id, tag)

    def update_ticket(
        self, ticket_id: int, fields: Mapping[str, str], note: str | None
    ) -> datetime | None:
        article = None
        if note is not None:
            article = {
                "type": "note",
                "sender": "Agent",
                "internal": True,
                "subject": "ticket-warden",
                "content_type": "text/plain",
                "body": note,
            }
        answer = self._client.update_ticket(ticket_id, fields, article)
        return parse_api_time(answer.get(self._due_attribute))

    def post_reply(self, ticket_id: int, reply: Reply) -> None:
        # Only email carries HTML; chat-like channels get the same words as plain text.
        is_email = reply.channel == EMAIL_CHANNEL
        body = reply.body if is_email else html_to_text(reply.body, keep_links=True).strip()
        article = {
            "ticket_id": ticket_id,
            "type": reply.channel,
            # System, as Zammad's own trigger auto-replies: an Agent article of a
            # communication type would set first_response_at and stop the SLA's
            # first-response timer (has_ticket_contact_attributes_impact.rb); a
            # non-Customer email article is still mailed
            # (enqueue_communicate_email_job.rb).
            "sender": "System",
            "internal": False,
            "to": reply.to,
            "subject": reply.subject,
            "content_type": "text/html" if is_email else "text/plain",
            "body": body,
        }
        try:
            self._client.create_article(article)
        except HelpdeskError as exc:
            if exc.status == 500 and NO_GROUP_ADDRESS in exc.message:
                raise HelpdeskRefusedError(
                    exc.status,
                    f"{exc.message}: give the group an email address in Zammad "
                    "(Admin > Channels > Email)",
                    method=exc.method,
                    path=exc.path,
                ) from exc
            raise
