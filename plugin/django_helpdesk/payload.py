"""django-helpdesk's webhook payloads, validated, and turned into the neutral Event.

Shape (django-helpdesk 2.6 ``helpdesk/webhooks.py``; recorded samples in
``tests/samples/django_helpdesk/``): ``{"ticket": <TicketSerializer>,
"queue_slug"}`` for a new ticket, plus ``"followup_id"`` for a follow-up. The
ticket carries every follow-up; the event's message is the follow-up named, or
the ticket's opening one. django-helpdesk records neither the channel nor the
To/Cc of a message, so those rules are skipped for it.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from plugin.errors import PayloadError
from plugin.model import Customer, Event, Message, Ticket
from plugin.moments import PlausibleTime, aware
from plugin.names import EMAIL_CHANNEL, Sender

HELPDESK_NAME = "django-helpdesk"


class _Loose(BaseModel):
    model_config = ConfigDict(extra="allow")


class FollowUp(_Loose):
    id: int
    user: int | None = None
    title: str = ""
    comment: str | None = ""
    public: bool = True
    date: PlausibleTime | None = None


class HelpdeskTicket(_Loose):
    id: int
    queue: int | None = None
    title: str = ""
    description: str | None = ""
    submitter_email: str | None = None
    status: int | None = None
    priority: int | None = None
    due_date: PlausibleTime | None = None
    followup_set: list[FollowUp] = Field(default_factory=list)


class DjangoHelpdeskPayload(_Loose):
    ticket: HelpdeskTicket
    queue_slug: str | None = None
    followup_id: int | None = None


def parse_payload(data: Any) -> DjangoHelpdeskPayload:
    """Validate decoded JSON as a django-helpdesk webhook payload; PayloadError with one line."""
    if not isinstance(data, dict) or "ticket" not in data:
        raise PayloadError("payload has no 'ticket' object: not a django-helpdesk webhook payload")
    try:
        return DjangoHelpdeskPayload.model_validate(data)
    except ValidationError as exc:
        raise PayloadError.first_of(exc.errors()) from exc


def to_event(payload: DjangoHelpdeskPayload, *, bot_user_id: int | None = None) -> Event:
    """The neutral event: the named follow-up (or the opening one) as the message.

    The opening follow-up is the submitter's request whoever typed it in; a later
    follow-up is the customer's when it has no user (mail from the customer) and
    an agent's otherwise; one by ``bot_user_id`` is ticket-warden's own.
    """
    raw = payload.ticket
    followups = sorted(raw.followup_set, key=lambda followup: followup.id)
    opening = followups[0] if followups else None
    chosen = opening
    if payload.followup_id is not None:
        chosen = next((f for f in followups if f.id == payload.followup_id), None)
        if chosen is None:
            raise PayloadError(f"followup_id {payload.followup_id} is not in ticket.followup_set")
    is_opening = chosen is None or chosen is opening
    ticket = Ticket(
        id=raw.id,
        number=f"{payload.queue_slug}-{raw.id}" if payload.queue_slug else str(raw.id),
        title=raw.title,
        customer=Customer(email=raw.submitter_email or None),
        created_at=aware(opening.date) if opening else None,
        is_new=is_opening,
        priority=str(raw.priority) if raw.priority is not None else None,
        due_at=aware(raw.due_date),
    )
    # A ticket without follow-ups (none recorded yet) is its description alone.
    chosen = chosen or FollowUp(id=0, comment=raw.description, date=ticket.created_at)
    by_bot = bot_user_id is not None and chosen.user == bot_user_id
    from_customer = (is_opening or chosen.user is None) and not by_bot
    sender = Sender.CUSTOMER if from_customer else Sender.AGENT
    body = chosen.comment or (raw.description if is_opening else "") or ""
    message = Message(
        channel=EMAIL_CHANNEL,
        sender=sender,
        body=body,
        content_type="text/plain",
        subject=raw.title,
        from_address=raw.submitter_email if from_customer else None,
        internal=not chosen.public,
        created_at=aware(chosen.date),
        written_by_bot=by_bot,
        id=chosen.id or None,
        channel_known=False,
        recipients_known=False,
    )
    return Event(HELPDESK_NAME, ticket, message)
