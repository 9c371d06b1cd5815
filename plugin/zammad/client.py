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

    def ticket_all(self, ticket_id: int) -> dict[str, Any]:
        """A ticket with its articles and tags in one read (``all=true``:
        ``TicketsController#show`` answering ``Ticket::AssetsAll``; ids, not names)."""
        path = f"/api/v1/tickets/{ticket_id}"
        return dict(self._request("GET", path, params={"all": "true"}))

    def lookup_names(self, table: str) -> dict[int, str]:
        """id -> name of a lookup table, e.g. ``ticket_priorities`` or ``ticket_states``."""
        rows = self._request("GET", f"/api/v1/{table}")
        return {int(row["id"]): str(row["name"]) for row in rows or []}

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

    def update_ticket(
        self, ticket_id: int, fields: Mapping[str, Any], article: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """PUT named fields (``priority``, ``state``, custom attributes) and, in the same
        transaction, one article (``TicketsController#update``); answers the ticket.

        Not retried once it may have been applied when it carries an article: a second
        PUT would add the article twice.
        """
        body = dict(fields) | ({"article": dict(article)} if article is not None else {})
        answer = self._request(
            "PUT", f"/api/v1/tickets/{ticket_id}", json=body, idempotent=article is None
        )
        return dict(answer or {})

    def articles(self, ticket_id: int) -> list[dict[str, Any]]:
        """Every article of a ticket with sender and type names, oldest first."""
        body = self._request("GET", f"/api/v1/ticket_articles/by_ticket/{ticket_id}")
        return [dict(article) for article in body or []]

    def create_article(self, article: Mapping[str, Any]) -> dict[str, Any]:
        """POST an article (a reply); not retried once it may have been created."""
        return dict(self._request("POST", "/api/v1/ticket_articles", json=dict(article)))

    def search_by_condition(
        self, condition: Mapping[str, Any], *, page: int, per_page: int
    ) -> list[dict[str, Any]]:
        """One page of tickets matching a selector ``condition``, with names, by id.

        With no ``query`` Zammad searches its database whether or not Elasticsearch
        runs (``CanSearch``: the index only serves a full-text query). Zammad 6.x
        answers a list with ``expand``; newer versions may wrap it in ``records``.
        """
        body = {
            "condition": dict(condition),
            "page": page,
            "per_page": per_page,
            "expand": True,
            "sort_by": "id",
            "order_by": "asc",
        }
        answer = self._request("POST", "/api/v1/tickets/search", json=body, idempotent=True)
        if isinstance(answer, Mapping):
            answer = answer.get("records") or []
        return [dict(ticket) for ticket in answer or []]

    def tickets_page(self, *, page: int, per_page: int) -> list[dict[str, Any]]:
        """One page of every ticket the user may read, with names, by id ascending."""
        params = {"page": str(page), "per_page": str(per_page), "expand": "true"}
        return [dict(ticket) for ticket in self._request("GET", "/api/v1/tickets", params=params)]

    def user(self, user_id: int) -> dict[str, Any]:
        return dict(self._request("GET", f"/api/v1/users/{user_id}"))

    def organization(self, organization_id: int) -> dict[str, Any]:
        return dict(self._request("GET", f"/api/v1/organizations/{organization_id}"))
