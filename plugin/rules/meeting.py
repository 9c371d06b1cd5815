"""Meetings are only confirmed once an email confirmation has been sent (P8)."""

from __future__ import annotations

import re

from plugin.language.phrases import alternation
from plugin.model import Finding, Message
from plugin.names import Flag
from plugin.policy import Policy
from plugin.rules.search import phrase_finding, sure_or_maybe_finding
from plugin.text import written_text

# A day and a clock time near each other: "Tuesday at 10:00", "morgen um 9 Uhr", "11am
# except Tuesday". The rubric counts proposing a date or time as asking for a meeting; a
# time since when something fails ("since Monday 9:00") is not one. The day names are
# merged into a trie (plugin/language/phrases.py): they are tried at every place a clock
# time leaves open, and a trie rules most of them out at the first character.
_DAY = alternation(
    (
        *("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
        *("tomorrow", "tue", "tues", "wed", "weds", "thu", "thur", "thurs", "fri"),
        *("montag", "dienstag", "mittwoch", "donnerstag", "freitag", "samstag", "morgen"),
        *("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "demain"),
        *("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "mañana"),
        *("segunda", "terça", "quarta", "quinta", "sexta", "amanhã"),
        *("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag"),
        *("vrydag", "saterdag", "môre"),
    )
)
# A clock time: a date alone is as often a deadline or a day something broke.
_CLOCK = r"(?:\d{1,2}(?::\d{2})?+\s*+(?:am|pm|a\.m\.|p\.m\.|uhr|h)\b|\d{1,2}:\d{2})"
PROPOSED_TIME = re.compile(
    rf"(?<!since )(?<!seit )(?<!depuis )(?<!desde )(?<!sinds )(?<!by )"
    rf"\b{_DAY}\b[^.\n]{{0,40}}?{_CLOCK}"
    rf"|(?<![\d:]){_CLOCK}[^.\n]{{0,20}}?\b{_DAY}\b",
    re.IGNORECASE,
)
CONFIRMATION = re.compile(
    r"\b(?:confirm(?:ed|ing|s)?|booked|scheduled|see you (?:on|at|then)|bestätig\w*)\b",
    re.IGNORECASE,
)


def meeting_finding(message: Message, policy: Policy) -> Finding | None:
    """A finding when the customer asks for a meeting, call-back, visit or on-site time.

    The phrases are the policy's (plugin/language/phrases.yaml and its own additions);
    a "maybe" phrase such as "call" alone is only noted for agents.
    """
    phrased = sure_or_maybe_finding(
        policy.phrase_patterns["meeting_request"],
        message,
        Flag.MEETING_REQUEST,
        "asks for a meeting",
        "mentions a call or visit, perhaps a meeting request",
    )
    if phrased is not None and phrased.sure:
        return phrased
    return (
        phrase_finding(PROPOSED_TIME, message, Flag.MEETING_REQUEST, "proposes a day and time")
        or phrased
    )


def confirmation_finding(message: Message) -> Finding | None:
    """A finding when an agent's outgoing email confirms a meeting."""
    if message.internal:
        return None
    match = CONFIRMATION.search(written_text(message.body, message.content_type))
    if not match:
        return None
    return Finding(Flag.MEETING_CONFIRMED, f"an agent's email confirms it ('{match[0]}')")
