"""A small client for the parts of Zammad's REST API that ticket-warden uses.

Authentication is ``Authorization: Token token=...`` (Zammad API docs,
"Authentication"); timeouts, retries and errors come from ``JsonApiClient``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Unpack

import requests

from plugin.api_client import ClientOptions, JsonApiClient


class ZammadClient(JsonApiClient):
    """Zammad REST calls; raises HelpdeskError, HelpdeskRateLimitError, HelpdeskUnavailableError."""

    def __init__(
        self, base_url: str, token: str, session: requests.Session, **options: Unpack[ClientOptions]
    ) -> None:
        auth = {"Authorization": f"Token token={token}"}
        super().__init__(base_url, auth, session, service="Zammad", **options)

    # -- the endpoints ticket-warden uses ---------------------------------------

    def me(self) -> dict[str, Any]:
        """The user the token belongs to (the bot)."""
        return dict(self._request("GET", "/api/v1/users/me"))

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        """A ticket with names instead of ids (``expand=true``)."""
        return dict(self._request("GET", f"/api/v1/tickets/{ticket_id}", params={"expand": "true"}))

    def tags(self, ticket_id: int) -> list[str]:
        """The ticket's tags (they are not in webhook payloads)."""
        params = {"object": "Ticket", "o_id": str(ticket_id)}
        body = self._request("GET", "/api/v1/tags", params=params)
        return [str(tag) for tag in (body or {}).get("tags", [])]

    def add_tag(self, ticket_id: int, tag: str) -> None:
        item = {"item": tag, "object": "Ticket", "o_id": ticket_id}
        self._request("POST", "/api/v1/tags/add", json=item, idempotent=True)

    def remove_tag(self, ticket_id: int, tag: str) -> None:
        item = {"item": tag, "object": "Ticket", "o_id": ticket_id}
        self._request("DELETE", "/api/v1/tags/remove", json=item)

    def update_ticket(self, ticket_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        """PUT named fields (``priority``, ``state``, custom attributes)."""
        return dict(self._request("PUT", f"/api/v1/tickets/{ticket_id}", json=dict(fields)))

    def articles(self, ticket_id: int) -> list[dict[str, Any]]:
        """Every article of a ticket, oldest first."""
        body = self._request("GET", f"/api/v1/ticket_articles/by_ticket/{ticket_id}")
        return [dict(article) for article in body or []]

    def create_article(self, article: Mapping[str, Any]) -> dict[str, Any]:
        """POST an article (note or reply); not retried once it may have been created."""
        return dict(self._request("POST", "/api/v1/ticket_articles", json=dict(article)))

    def search_tickets(self, query: str, limit: int) -> list[dict[str, Any]]:
        """Tickets matching a Zammad search query, with names (``expand=true``), oldest first."""
        params = {
            "query": query,
            "limit": str(limit),
            "expand": "true",
            "sort_by": "created_at",
            "order_by": "asc",
        }
        body = self._request("GET", "/api/v1/tickets/search", params=params)
        return [dict(ticket) for ticket in body or []]

    def user(self, user_id: int) -> dict[str, Any]:
        return dict(self._request("GET", f"/api/v1/users/{user_id}"))

    def organization(self, organization_id: int) -> dict[str, Any]:
        return dict(self._request("GET", f"/api/v1/organizations/{organization_id}"))
