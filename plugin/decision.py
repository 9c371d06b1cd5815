"""What the policy says about one message: the Decision, and its JSON form (SPEC §5)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from plugin.model import Finding


@dataclass(frozen=True, slots=True)
class Reply:
    """One guidance reply to the client; ``reasons`` are the flags it explains."""

    channel: str
    to: str
    subject: str
    body: str
    reasons: tuple[str, ...]
    content_type: str = "text/html"

    def to_json(self) -> dict[str, Any]:
        return {
            "channel": self.channel,
            "to": self.to,
            "subject": self.subject,
            "body": self.body,
            "reasons": list(self.reasons),
        }


@dataclass(frozen=True, slots=True)
class Decision:
    """Everything ticket-warden will write back for one message.

    ``tags`` is the set the ticket should carry afterwards among the tags the
    policy manages; ``remove_tags`` are managed tags it carries now and should
    lose. ``skipped`` says why nothing is to be written at all.
    """

    tier: str
    client: str | None
    priority_request: bool
    priority: str
    due_at: datetime | None
    guaranteed: bool
    tags: tuple[str, ...]
    remove_tags: tuple[str, ...]
    replies: tuple[Reply, ...]
    note: str
    close: bool
    skipped: str | None
    findings: tuple[Finding, ...] = field(default=())
    # What a rule was not sure of: in the note for agents, not tagged, not told.
    doubts: tuple[Finding, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        """The JSON of SPEC §5 (plus ``remove_tags`` and ``findings``)."""
        return {
            "tier": self.tier,
            "client": self.client,
            "priority_request": self.priority_request,
            "priority": self.priority,
            "due_at": self.due_at.isoformat() if self.due_at else None,
            "guaranteed": self.guaranteed,
            "tags": sorted(self.tags),
            "remove_tags": sorted(self.remove_tags),
            "replies": [reply.to_json() for reply in self.replies],
            "note": self.note,
            "close": self.close,
            "skipped": self.skipped,
            "findings": [{"flag": f.flag.value, "reason": f.reason} for f in self.findings],
            "doubts": [{"flag": f.flag.value, "reason": f.reason} for f in self.doubts],
        }
