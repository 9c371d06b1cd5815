"""Meetings are only confirmed once an email confirmation has been sent (P8)."""

from __future__ import annotations

import re

from plugin.model import Finding, Message
from plugin.names import Flag
from plugin.rules.search import phrase_finding
from plugin.text import written_text

MEETING_REQUEST = re.compile(
    r"\b(?:meeting|appointment|call[- ]?back|call me|phone call|video call|teams call|zoom call|"
    r"(?:schedule|set up|arrange|book) (?:a|an) (?:call|time|slot|session|visit)|"
    r"on[- ]?site|site visit|visit (?:us|our (?:office|site|premises))|"
    r"come (?:in|out|over|by) (?:to|and|on|at)|termin|rendez-vous|reunión|cita|afspraak)\b",
    re.IGNORECASE,
)
CONFIRMATION = re.compile(
    r"\b(?:confirm(?:ed|ing|s)?|booked|scheduled|see you (?:on|at|then)|bestätig\w*)\b",
    re.IGNORECASE,
)


def meeting_finding(message: Message) -> Finding | None:
    """A finding when the customer asks for a meeting, call-back, visit or on-site time."""
    return phrase_finding(MEETING_REQUEST, message, Flag.MEETING_REQUEST, "asks for a meeting")


def confirmation_finding(message: Message) -> Finding | None:
    """A finding when an agent's outgoing email confirms a meeting."""
    if message.internal:
        return None
    match = CONFIRMATION.search(written_text(message.body, message.content_type))
    if not match:
        return None
    return Finding(Flag.MEETING_CONFIRMED, f"an agent's email confirms it ('{match[0]}')")
