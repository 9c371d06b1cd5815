"""The Helpdesk interface on Zammad's REST API (SPEC §6)."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

from plugin.decision import Reply
from plugin.helpdesk import ArticleInfo, TicketState
from plugin.moments import parse_api_time
from plugin.names import EMAIL_CHANNEL
from plugin.text import html_to_text
from plugin.zammad.client import ZammadClient


class ZammadHelpdesk:
    """Reads ticket state and writes decisions through a ZammadClient."""

    keeps_tags = True

    def __init__(self, client: ZammadClient, *, due_attribute: str, bot_login: str | None = None):
        self._client = client
        self._due_attribute = due_attribute
        self._configured_login = bot_login

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

    def ping(self) -> None:
        self._client.me()

    def ticket_state(self, ticket_id: int) -> TicketState:
        ticket = self._client.ticket(ticket_id)
        articles = tuple(
            ArticleInfo(
                id=int(article["id"]),
                by_bot=self._is_bot(article),
                from_customer=str(article.get("sender") or "").lower() == "customer",
                internal=bool(article.get("internal")),
                body=str(article.get("body") or ""),
            )
            for article in self._client.articles(ticket_id)
        )
        priority = ticket.get("priority")
        return TicketState(
            tags=self.tags(ticket_id),
            priority=str(priority) if priority else None,
            state=str(ticket["state"]) if ticket.get("state") else None,
            due_at=parse_api_time(ticket.get(self._due_attribute)),
            articles=articles,
        )

    def tags(self, ticket_id: int) -> frozenset[str]:
        return frozenset(self._client.tags(ticket_id))

    def add_tag(self, ticket_id: int, tag: str) -> None:
        self._client.add_tag(ticket_id, tag)

    def remove_tag(self, ticket_id: int, tag: str) -> None:
        self._client.remove_tag(ticket_id, tag)

    def update_ticket(self, ticket_id: int, fields: Mapping[str, str]) -> None:
        self._client.update_ticket(ticket_id, fields)

    def post_note(self, ticket_id: int, text: str) -> None:
        self._client.create_article(
            {
                "ticket_id": ticket_id,
                "type": "note",
                "sender": "Agent",
                "internal": True,
                "subject": "ticket-warden",
                "content_type": "text/plain",
                "body": text,
            }
        )

    def post_reply(self, ticket_id: int, reply: Reply) -> None:
        # Only email carries HTML; chat-like channels get the same words as plain text.
        is_email = reply.channel == EMAIL_CHANNEL
        body = reply.body if is_email else html_to_text(reply.body, keep_links=True).strip()
        self._client.create_article(
            {
                "ticket_id": ticket_id,
                "type": reply.channel,
                "sender": "Agent",
                "internal": False,
                "to": reply.to,
                "subject": reply.subject,
                "content_type": "text/html" if is_email else "text/plain",
                "body": body,
            }
        )
