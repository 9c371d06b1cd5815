"""Only email tickets, only to the ticket system's addresses (P5)."""

from __future__ import annotations

import re
from email.utils import getaddresses
from functools import lru_cache

from plugin.model import Finding, Message
from plugin.names import EMAIL_CHANNEL, Flag
from plugin.policy import Policy

# One plain address, alone or after a display name without quotes, comments or lists:
# "thandi@acme.example", "Thandi Nkosi <thandi@acme.example>". Most header values are
# this, and reading them needs none of the full parser's work.
_PLAIN_ADDRESS = re.compile(
    r"^[^\S\n]*+(?:[^<>\"(),;:\\@\n]*+<([^<>\s\"(),;:\\@]++@[^<>\s\"(),;:\\@]++)>"
    r"|([^<>\s\"(),;:\\@]++@[^<>\s\"(),;:\\@]++))[^\S\n]*+$"
)


@lru_cache(maxsize=256)
def addresses(fields: tuple[str, ...]) -> tuple[str, ...]:
    """Bare, lower-case addresses from To/Cc header values (display names dropped)."""
    found = []
    for field in fields:
        plain = _PLAIN_ADDRESS.match(field)
        if plain is not None:
            found.append(plain[1] or plain[2])
        else:
            found.extend(address for _name, address in _field_addresses(field))
    return tuple(address.strip().lower() for address in found if "@" in address)


def _field_addresses(field: str) -> list[tuple[str, str]]:
    try:
        return getaddresses([field])
    except RecursionError:
        # email._parseaddr recurses once per nested comment or group, so a customer's
        # "a:a:a:..." or "((((..." in Cc raises; the other fields still name addresses.
        return []


def channel_finding(message: Message, policy: Policy) -> Finding | None:
    """A finding when the message came by a channel the policy does not accept."""
    if not message.channel_known:
        return None
    channel = message.channel.strip().lower()
    if channel in policy.allowed_channels:
        return None
    accepted = ", ".join(policy.allowed_channels)
    return Finding(Flag.NON_EMAIL_CHANNEL, f"came by '{channel}'; only {accepted} is accepted")


def address_finding(message: Message, policy: Policy) -> Finding | None:
    """A finding when an email names none of the ticket addresses in To or Cc."""
    if not message.recipients_known or not policy.ticket_addresses:
        return None
    if message.channel.strip().lower() != EMAIL_CHANNEL:
        return None
    recipients = addresses(message.to + message.cc)
    if any(recipient in policy.ticket_addresses for recipient in recipients):
        return None
    sent_to = ", ".join(recipients) or "no address"
    return Finding(
        Flag.WRONG_ADDRESS,
        f"sent to {sent_to}, not to a ticket address ({', '.join(policy.ticket_addresses)})",
    )
