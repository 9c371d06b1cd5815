"""Priority requests: SLA clients that mark a subject urgent or write to a priority address (P2)."""

from __future__ import annotations

from plugin.model import Finding, Message
from plugin.names import Flag
from plugin.policy import Policy
from plugin.rules.channel import addresses
from plugin.text import strip_subject_prefixes


def priority_finding(subject: str, message: Message, policy: Policy, tier: str) -> Finding | None:
    """A finding when a client whose tier has priority requests asks for one."""
    if not policy.tiers[tier].priority_requests:
        return None
    pattern = policy.priority_marker_pattern
    marker = pattern.search(strip_subject_prefixes(subject)) if pattern else None
    if marker:
        return Finding(Flag.PRIORITY_REQUEST, f"subject contains the marker '{marker[0]}'")
    for recipient in addresses(message.to + message.cc):
        if recipient in policy.priority_addresses:
            return Finding(Flag.PRIORITY_REQUEST, f"sent to the priority address {recipient}")
    return None
