"""Per-incident support is strictly office hours only (P3, P4)."""

from __future__ import annotations

from datetime import datetime

from plugin.model import Finding
from plugin.names import Flag
from plugin.policy import Policy

LOCAL_FORMAT = "%a %Y-%m-%d %H:%M %Z"


def local_text(moment: datetime, policy: Policy) -> str:
    """A moment as the policy's office reads it, e.g. 'Mon 2026-03-09 08:00 SAST'."""
    return moment.astimezone(policy.zone).strftime(LOCAL_FORMAT)


def outside_hours_finding(received: datetime, policy: Policy) -> Finding | None:
    """A finding when the message arrived while the office was closed."""
    calendar = policy.calendar
    if calendar.is_open(received):
        return None
    opening = calendar.next_opening(received)
    return Finding(
        Flag.OUTSIDE_OFFICE_HOURS,
        f"received {local_text(received, policy)}; the office opens {local_text(opening, policy)}",
    )
