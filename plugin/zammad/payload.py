"""Zammad's trigger-webhook payload, validated, and turned into the neutral model.

Shape (Zammad admin docs, "Webhook" payload; example in shared fixtures):
``{"ticket": {...}, "article": {...}}``. ``article`` is ``{}`` for a ticket
update without an article and for scheduler/escalation events. Only the
fields ticket-warden reads are validated; everything else passes through.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from plugin.errors import PayloadError
from plugin.model import Customer, Event, Message, Ticket
from plugin.moments import PlausibleTime, aware, parse_api_time
from plugin.names import Sender
from plugin.policy import Policy

# Key in an article's ``preferences`` that marks articles ticket-warden wrote.
OWN_ARTICLE_PREFERENCE = "ticket_warden"
_SENDERS = {"customer": Sender.CUSTOMER, "agent": Sender.AGENT}


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class ZammadUser(_Loose):
    email: str | None = None
    firstname: str | None = None
    lastname: str | None = None
    login: str | None = None
    organization: str | None = None


class ZammadOrganization(_Loose):
    name: str | None = None


class ZammadTicket(_Loose):
    id: int
    number: str
    title: str = ""
    created_at: PlausibleTime | None = None
    state: str | None = None
    priority: str | dict[str, Any] | None = None
    customer: ZammadUser | None = None
    organization: ZammadOrganization | None = None
    article_count: int | None = None
    article_ids: list[int] = Field(default_factory=list)
    tags: list[str] | str | None = None

    @field_validator("number", mode="before")
    @classmethod
    def _number_as_text(cls, value: Any) -> Any:
        return str(value) if isinstance(value, int) else value


class ZammadArticle(_Loose):
    id: int | None = None
    type: str | None = None
    sender: str | None = None
    internal: bool = False
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    cc: str | None = None
    subject: str | None = None
    body: str | None = None
    content_type: str | None = None
    created_at: PlausibleTime | None = None
    attachments: list[Any] = Field(default_factory=list)
    preferences: dict[str, Any] = Field(default_factory=dict)
    created_by: ZammadUser | str | None = None


class ZammadPayload(_Loose):
    ticket: ZammadTicket
    article: ZammadArticle | None = None


def parse_payload(data: Any) -> ZammadPayload:
    """Validate decoded JSON as a webhook payload; raises PayloadError with one line."""
    if not isinstance(data, Mapping):
        raise PayloadError(f"payload must be a JSON object, not {type(data).__name__}")
    if "ticket" not in data:
        raise PayloadError("payload has no 'ticket' object: not a Zammad ticket webhook payload")
    try:
        return ZammadPayload.model_validate(data)
    except ValidationError as exc:
        raise PayloadError.first_of(exc.errors()) from exc


def _split_tags(tags: list[str] | str | None) -> frozenset[str]:
    if tags is None:
        return frozenset()
    items = tags.split(",") if isinstance(tags, str) else tags
    return frozenset(tag.strip() for tag in items if tag.strip())


def _due_at(ticket: ZammadTicket, attribute: str) -> datetime | None:
    # None too for a non-date someone typed into the attribute: computed afresh then.
    return parse_api_time((ticket.model_extra or {}).get(attribute))


def _customer(ticket: ZammadTicket, policy: Policy) -> Customer:
    user = ticket.customer or ZammadUser()
    organization = ticket.organization.name if ticket.organization else None
    tier = None
    attribute = policy.organization_tier_attribute
    if attribute and ticket.organization is not None:
        value = (ticket.organization.model_extra or {}).get(attribute)
        tier = str(value) if value else None
    name = " ".join(part for part in (user.firstname, user.lastname) if part) or None
    return Customer(
        email=user.email or None,
        name=name,
        organization=organization or user.organization,
        organization_tier=tier,
    )


def _is_own(article: ZammadArticle, bot_login: str | None) -> bool:
    if article.preferences.get(OWN_ARTICLE_PREFERENCE):
        return True
    author = article.created_by
    login = author.login if isinstance(author, ZammadUser) else author
    return bool(bot_login and login and login.lower() == bot_login.lower())


def _message(article: ZammadArticle, bot_login: str | None) -> Message:
    return Message(
        id=article.id,
        channel=(article.type or "").strip().lower(),
        sender=_SENDERS.get((article.sender or "").strip().lower(), Sender.SYSTEM),
        body=article.body or "",
        content_type=article.content_type or "text/plain",
        subject=article.subject or "",
        from_address=article.from_,
        to=(article.to,) if article.to else (),
        cc=(article.cc,) if article.cc else (),
        internal=article.internal,
        created_at=aware(article.created_at),
        attachment_count=len(article.attachments),
        is_auto_response=bool(article.preferences.get("is-auto-response")),
        written_by_bot=_is_own(article, bot_login),
    )


def to_model(
    payload: ZammadPayload,
    policy: Policy,
    *,
    tags: Iterable[str] | None = None,
    replied_reasons: Iterable[str] = (),
    bot_login: str | None = None,
) -> tuple[Ticket, Message | None]:
    """The neutral ticket and message; ``tags`` and ``replied_reasons`` come from the helpdesk."""
    raw = payload.ticket
    article = payload.article
    has_article = article is not None and bool(article.model_fields_set or article.model_extra)
    message = _message(article, bot_login) if article is not None and has_article else None
    if raw.article_count is not None:
        is_new = raw.article_count <= 1
    elif raw.article_ids and message is not None and message.id is not None:
        is_new = message.id == min(raw.article_ids)
    else:
        is_new = True
    priority = raw.priority.get("name") if isinstance(raw.priority, dict) else raw.priority
    ticket = Ticket(
        id=raw.id,
        number=raw.number,
        title=raw.title,
        customer=_customer(raw, policy),
        created_at=aware(raw.created_at),
        is_new=is_new,
        state=raw.state,
        priority=str(priority) if priority else None,
        tags=frozenset(tags) if tags is not None else _split_tags(raw.tags),
        due_at=_due_at(raw, policy.due_date_attribute),
        replied_reasons=frozenset(replied_reasons),
    )
    return ticket, message


HELPDESK_NAME = "zammad"


def to_event(payload: ZammadPayload, policy: Policy, *, bot_login: str | None = None) -> Event:
    """The neutral event of a Zammad webhook payload (tags come from the helpdesk later)."""
    ticket, message = to_model(payload, policy, bot_login=bot_login)
    return Event(HELPDESK_NAME, ticket, message)
