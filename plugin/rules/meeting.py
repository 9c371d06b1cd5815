"""Meetings are only confirmed once an email confirmation has been sent (P8)."""

from __future__ import annotations

import re

from plugin.model import Finding, Message
from plugin.names import Flag
from plugin.policy import Policy
from plugin.rules.search import sure_or_maybe_finding
from plugin.text import written_text

CONFIRMATION = re.compile(
    r"\b(?:confirm(?:ed|ing|s)?|booked|scheduled|see you (?:on|at|then)|bestätig\w*)\b",
    re.IGNORECASE,
)


def meeting_finding(message: Message, policy: Policy) -> Finding | None:
    """A finding when the customer asks for a meeting, call-back, visit or on-site time.

    The phrases are the policy's (plugin/language/phrases.yaml and its own additions);
    a "maybe" phrase such as "call" alone is only noted for agents.
    """
    return sure_or_maybe_finding(
        policy.phrase_patterns["meeting_request"],
        message,
        Flag.MEETING_REQUEST,
        "asks for a meeting",
        "mentions a call or visit, perhaps a meeting request",
    )


def confirmation_finding(message: Message) -> Finding | None:
    """A finding when an agent's outgoing email confirms a meeting."""
    if message.internal:
        return None
    match = CONFIRMATION.search(written_text(message.body, message.content_type))
    if not match:
        return None
    return Finding(Flag.MEETING_CONFIRMED, f"an agent's email confirms it ('{match[0]}')")
