"""Names used across ticket-warden, defined once.

Flags are the canonical names of what the classifiers can find; a policy maps
each to the tag it writes in the helpdesk (by default the same string).
"""

from enum import StrEnum


class Flag(StrEnum):
    """Everything a rule can find about a message; each is also a default tag name."""

    PRIORITY_REQUEST = "priority-request"
    VAGUE_SUBJECT = "vague-subject"
    NEEDS_INFO = "needs-info"
    NON_EMAIL_CHANNEL = "non-email-channel"
    WRONG_ADDRESS = "wrong-address"
    OUTSIDE_OFFICE_HOURS = "outside-office-hours"
    MEETING_REQUEST = "meeting-request"
    MEETING_UNCONFIRMED = "meeting-unconfirmed"
    MEETING_CONFIRMED = "meeting-confirmed"
    PROJECT_TASK = "project-task"


# Tags the SLA clock's worker adds to an unanswered ticket before and after its due date.
SLA_WARNING_TAG = "sla-warning"
SLA_BREACHED_TAG = "sla-breached"


class Clock(StrEnum):
    """How a tier's response time is counted."""

    ALWAYS = "24x7"
    OFFICE_HOURS = "office-hours"


class Sender(StrEnum):
    """Who wrote a message, in helpdesk-neutral terms."""

    CUSTOMER = "customer"
    AGENT = "agent"
    SYSTEM = "system"


EMAIL_CHANNEL = "email"

# How a client would name the channel a message came by (Zammad article types).
CHANNEL_NAMES = {
    "email": "email",
    "web": "the web form",
    "phone": "phone",
    "sms": "SMS",
    "chat": "chat",
    "fax": "fax",
    "note": "note",
    "telegram personal-message": "Telegram",
    "whatsapp message": "WhatsApp",
    "facebook feed post": "Facebook",
    "facebook feed comment": "Facebook",
    "facebook direct-message": "Facebook Messenger",
    "twitter status": "Twitter",
    "twitter direct-message": "Twitter direct message",
    "hangouts": "Hangouts",
    "messenger": "Messenger",
}

# Flags that turn a request away: no due date, a reply with instructions, closed.
TURN_AWAY_FLAGS = frozenset({Flag.NON_EMAIL_CHANNEL, Flag.WRONG_ADDRESS})

# Flags that earn the client a guidance reply (each at most once per ticket).
REPLY_FLAGS = (
    Flag.NON_EMAIL_CHANNEL,
    Flag.WRONG_ADDRESS,
    Flag.VAGUE_SUBJECT,
    Flag.NEEDS_INFO,
    Flag.MEETING_REQUEST,
    Flag.OUTSIDE_OFFICE_HOURS,
)
