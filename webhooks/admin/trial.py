"""The "Try a ticket" form: a made-up first message, read into the neutral model (pure).

The decision is then the one ``evaluate()`` makes for a real webhook: the same
rules, the same policy, at the time the form names. Nothing is written anywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from plugin.model import Customer, Message, Ticket
from plugin.names import CHANNEL_NAMES, Sender

# The channels a message can come by (Zammad's article types), with a client's word for each.
CHANNELS = {key: name for key, name in CHANNEL_NAMES.items() if key != "note"}
# Bounds on what the form accepts, so a pasted novel is refused, not decided.
MAX_SUBJECT = 500
MAX_BODY = 100_000
MAX_ADDRESS = 320
TIME_FORMAT = "%Y-%m-%dT%H:%M"


@dataclass(frozen=True, slots=True)
class Trial:
    """What the form described, ready for ``evaluate()``."""

    ticket: Ticket
    message: Message
    at: datetime


def read_trial(form: Mapping[str, str], zone: ZoneInfo, default_to: str) -> Trial | list[str]:
    """The trial the form describes, or every mistake in it (one line each)."""
    problems = []
    subject = form.get("subject", "").strip()
    body = form.get("body", "")
    sender = form.get("from", "").strip()
    to = form.get("to", "").strip() or default_to
    organization = form.get("organization", "").strip() or None
    channel = form.get("channel", "email")
    if len(subject) > MAX_SUBJECT:
        problems.append(f"the subject is longer than {MAX_SUBJECT} characters")
    if len(body) > MAX_BODY:
        problems.append(f"the message is longer than {MAX_BODY:,} characters")
    for name, address in (("from", sender), ("to", to)):
        if address and ("@" not in address or len(address) > MAX_ADDRESS):
            problems.append(f"'{name}' must be an email address")
    if channel not in CHANNELS:
        problems.append(f"unknown channel '{channel}'")
    at = _read_time(form.get("time", ""), zone, problems)
    if problems or at is None:
        return problems
    message = Message(
        channel=channel,
        sender=Sender.CUSTOMER,
        body=body,
        content_type="text/plain",
        subject=subject,
        from_address=sender or None,
        to=(to,) if to else (),
        created_at=at,
        id="trial",
    )
    ticket = Ticket(
        id="trial",
        number="TRIAL",
        title=subject,
        customer=Customer(email=sender or None, organization=organization),
        created_at=at,
    )
    return Trial(ticket, message, at)


def _read_time(text: str, zone: ZoneInfo, problems: list[str]) -> datetime | None:
    try:
        return datetime.strptime(text.strip(), TIME_FORMAT).replace(tzinfo=zone)
    except ValueError:
        problems.append("the time must be a date and time such as 2026-11-30T09:15")
        return None
