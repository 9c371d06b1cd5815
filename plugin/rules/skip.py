"""Messages ticket-warden must never act on (SPEC §3 "never act on")."""

from __future__ import annotations

import re

from plugin.model import Message
from plugin.names import Sender
from plugin.rules.machine import machine_verdict

# Subjects are the customer's, and not cut before these run: a possessive ``\s*+`` does not
# give back, one by one, the blanks a million-character subject may start with.
_BOUNCE_SENDER = re.compile(r"^(?:mailer-daemon|postmaster|mail-daemon)@", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"^\s*+(?:undeliver(?:ed|able)|delivery status notification|mail delivery failed|"
    r"returned mail|delivery failure|non[- ]delivery report|unzustellbar)",
    re.IGNORECASE,
)
_AUTO_REPLY_SUBJECT = re.compile(
    r"^\s*+(?:automatic reply|auto[- ]?reply|autoreply|auto[- ]response|out of (?:the )?office|"
    r"abwesenheitsnotiz|automatische antwort|réponse automatique|respuesta automática|"
    r"autosvar|automatisch antwoord)\s*+:",
    re.IGNORECASE,
)


def auto_response_reason(message: Message) -> str | None:
    """Why ``message`` looks machine-written (auto-reply, bulk mail, bounce), or None."""
    if message.is_auto_response:
        return "the helpdesk marked it as an auto-response"
    # Mail headers (Auto-Submitted, Precedence, X-Autoreply...) are judged by the
    # helpdesk itself: Zammad's postmaster filter sets is-auto-response from them
    # (app/models/channel/filter/auto_response_check.rb), and no webhook payload
    # carries the headers. What is left to judge is what the payload does carry.
    if _BOUNCE_SENDER.match(message.from_address or ""):
        return "a delivery-status bounce"
    if _BOUNCE_SUBJECT.match(message.subject):
        return f"a bounce (subject '{message.subject}')"
    if _AUTO_REPLY_SUBJECT.match(message.subject):
        return f"an automatic reply (subject '{message.subject}')"
    return None


def skip_reason(message: Message | None) -> str | None:
    """Why this message is not for ticket-warden to judge, or None when it is."""
    if message is None:
        return "no article: a ticket update or a scheduler/escalation event"
    if message.written_by_bot:
        return "written by ticket-warden itself"
    if message.internal:
        return "internal note"
    if message.sender is not Sender.CUSTOMER:
        return f"written by the {message.sender.value}, not the customer"
    auto = auto_response_reason(message)
    if auto:
        return f"auto-response: {auto}"
    machine = machine_verdict(message)
    if machine is not None and machine.sure:
        return f"machine-written: {machine.reason}"
    return None
