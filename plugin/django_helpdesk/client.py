"""A small client for django-helpdesk's REST API (``/api/tickets/``, ``/api/followups/``).

django-helpdesk's API is Django REST framework behind ``IsAdminUser``: the bot
authenticates as a staff user with HTTP basic authentication (the project must
enable DRF's BasicAuthentication). Timeouts, retries and errors come from
``JsonApiClient``.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping
from typing import Any, Unpack

import requests

from plugin.api_client import ClientOptions, JsonApiClient


class DjangoHelpdeskClient(JsonApiClient):
    """django-helpdesk REST calls; raises HelpdeskError and HelpdeskUnavailableError."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        session: requests.Session,
        **options: Unpack[ClientOptions],
    ) -> None:
        credentials = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        auth = {"Authorization": f"Basic {credentials}"}
        super().__init__(base_url, auth, session, service="django-helpdesk", **options)

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        """A ticket with its follow-ups (``followup_set``) and custom fields."""
        return dict(self._request("GET", f"/api/tickets/{ticket_id}/"))

    def update_ticket(self, ticket_id: int, fields: Mapping[str, Any]) -> dict[str, Any]:
        """PATCH some fields (priority 1-5, due_date, status)."""
        return dict(self._request("PATCH", f"/api/tickets/{ticket_id}/", json=dict(fields)))

    def add_followup(
        self, ticket_id: int, comment: str, *, public: bool, title: str
    ) -> dict[str, Any]:
        """A follow-up: public ones are mailed to the submitter, private ones stay with staff."""
        body = {"ticket": ticket_id, "comment": comment, "public": public, "title": title}
        return dict(self._request("POST", "/api/followups/", json=body))
