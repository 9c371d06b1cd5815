"""The Helpdesk interface on django-helpdesk's REST API.

django-helpdesk has no tags, so ticket-warden's flags live in its private
follow-up (listed for agents, recorded in the trailer); priorities are its 1
(critical) to 5 (very low) scale, mapped from the policy's priority names.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from plugin.decision import Reply
from plugin.django_helpdesk.client import DjangoHelpdeskClient
from plugin.helpdesk import ArticleInfo, TicketState, tags_recorded_in
from plugin.moments import parse_api_time
from plugin.text import html_to_text

# django-helpdesk's priorities: 1 critical, 2 high, 3 normal, 4 low, 5 very low;
# the policy's django_helpdesk_priorities say which name is which (these by default).
PRIORITY_NUMBERS: Mapping[str, int] = {"3 high": 2, "2 normal": 3, "1 low": 4}
CLOSED_STATUS = 4
STATUS_NAMES = {1: "open", 2: "reopened", 3: "resolved", 4: "closed", 5: "duplicate"}
NOTE_TITLE = "ticket-warden"


class DjangoHelpdesk:
    """Reads ticket state and writes decisions through a DjangoHelpdeskClient."""

    keeps_tags = False
    has_pending_states = False

    def __init__(
        self,
        client: DjangoHelpdeskClient,
        *,
        bot_user_id: int | None,
        due_attribute: str,
        priorities: Mapping[str, int] = PRIORITY_NUMBERS,
    ) -> None:
        self._client = client
        self._bot_user_id = bot_user_id
        self._due_attribute = due_attribute
        self._priorities = dict(priorities)
        self._names = {number: name for name, number in self._priorities.items()}

    def ping(self) -> list[str]:
        self._client.get("/api/tickets/?page=1")
        return []  # Its due_date is a field of every ticket: nothing to set up.

    def ticket_state(self, ticket_id: int) -> TicketState:
        ticket = self._client.ticket(ticket_id)
        followups = sorted(ticket.get("followup_set") or [], key=lambda f: int(f["id"]))
        articles = tuple(
            ArticleInfo(
                id=int(followup["id"]),
                by_bot=self._bot_user_id is not None and followup.get("user") == self._bot_user_id,
                # The opening follow-up is the submitter's; later ones are theirs when
                # no staff user wrote them (mail from the customer).
                from_customer=index == 0 or followup.get("user") is None,
                internal=not followup.get("public", True),
                body=str(followup.get("comment") or ""),
            )
            for index, followup in enumerate(followups)
        )
        number = ticket.get("priority")
        # A person's first response: the first public follow-up a staff user (not the
        # bot) wrote after the opening one.
        answered = next(
            (
                parse_api_time(followup.get("date"))
                for article, followup in zip(articles, followups, strict=True)
                if not (article.from_customer or article.by_bot or article.internal)
            ),
            None,
        )
        return TicketState(
            tags=tags_recorded_in(articles),
            priority=self._names.get(number, str(number)) if number is not None else None,
            state=STATUS_NAMES.get(int(ticket["status"])) if ticket.get("status") else None,
            due_at=parse_api_time(ticket.get("due_date")),
            articles=articles,
            first_response_at=answered,
        )

    def add_tag(self, ticket_id: int, tag: str) -> None:
        raise NotImplementedError("django-helpdesk has no tags (keeps_tags is False)")

    def remove_tag(self, ticket_id: int, tag: str) -> None:
        raise NotImplementedError("django-helpdesk has no tags (keeps_tags is False)")

    def update_ticket(
        self, ticket_id: int, fields: Mapping[str, str], note: str | None
    ) -> datetime | None:
        """PATCH the fields, then the note as a private follow-up (two calls: its API
        has no update that carries a follow-up)."""
        changes: dict[str, Any] = {}
        for key, value in fields.items():
            if key == "priority":
                changes["priority"] = self._priorities[value]  # policy load checked every name
            elif key == self._due_attribute:
                changes["due_date"] = value
            elif key == "state" and value == "closed":
                changes["status"] = CLOSED_STATUS
        stored = self._client.update_ticket(ticket_id, changes) if changes else {}
        if note is not None:
            self._client.add_followup(ticket_id, note, public=False, title=NOTE_TITLE)
        if "due_date" not in changes:
            return None
        return parse_api_time(stored.get("due_date"))

    def post_reply(self, ticket_id: int, reply: Reply) -> None:
        text = html_to_text(reply.body, keep_links=True).strip()
        self._client.add_followup(ticket_id, text, public=True, title=reply.subject)
