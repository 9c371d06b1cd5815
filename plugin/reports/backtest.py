"""The backtest's figures: what a policy would have done on past tickets, and how two differ.

Pure: it takes each past ticket's facts and the Decision(s) a replay of its first
customer message gave, and counts. Nothing here reads the helpdesk or the clock;
``made_at`` is the moment the caller says "now" was. The JSON form is what the
store keeps and what the HTML page and the admin console render, so every view
shows the same figures.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from plugin.decision import Decision, Reply
from plugin.text import html_to_text

# The JSON's shape; readers of a stored result check it before trusting its keys.
RESULT_VERSION = 1
# HTML paragraphs become runs of blank lines in text; one is enough to read.
_BLANK_LINES = re.compile(r"\n\s*\n(\s*\n)+")


class SlaOutcome(StrEnum):
    """A replayed due date against the first response that really happened."""

    MET = "met"
    BREACHED = "breached"
    OPEN = "open"
    NO_DUE_DATE = "no due date"


def sla_outcome(
    due_at: datetime | None, first_response_at: datetime | None, now: datetime
) -> SlaOutcome:
    """Met: answered by the due date; breached: answered later, or unanswered and past due;
    open: unanswered and not yet due."""
    if due_at is None:
        return SlaOutcome.NO_DUE_DATE
    if first_response_at is not None:
        return SlaOutcome.MET if first_response_at <= due_at else SlaOutcome.BREACHED
    return SlaOutcome.BREACHED if now > due_at else SlaOutcome.OPEN


@dataclass(frozen=True, slots=True)
class TicketFacts:
    """What the helpdesk says of a past ticket, besides the message that is replayed."""

    id: int
    number: str
    title: str
    created_at: datetime | None
    # Zammad's ``first_response_at``: the first public answer by an agent, if any.
    first_response_at: datetime | None


@dataclass(frozen=True, slots=True)
class Replay:
    """One past ticket and what the policy (and the one it is compared against) decided.

    ``decision`` is None when there was nothing to replay; ``not_replayed`` says why.
    """

    facts: TicketFacts
    decision: Decision | None
    against: Decision | None = None
    not_replayed: str | None = None


@dataclass(frozen=True, slots=True)
class TicketRow:
    """One replayed ticket under the policy: what it would have written, and its SLA."""

    id: int
    number: str
    title: str
    created_at: datetime | None
    tier: str
    client: str | None
    tags: tuple[str, ...]
    priority: str
    due_at: datetime | None
    first_response_at: datetime | None
    sla: SlaOutcome
    skipped: str | None
    reply_reasons: tuple[str, ...] | None

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "number": self.number,
            "title": self.title,
            "created_at": _iso(self.created_at),
            "tier": self.tier,
            "client": self.client,
            "tags": list(self.tags),
            "priority": self.priority,
            "due_at": _iso(self.due_at),
            "first_response_at": _iso(self.first_response_at),
            "sla": self.sla.value,
            "skipped": self.skipped,
            "reply": list(self.reply_reasons) if self.reply_reasons is not None else None,
        }


@dataclass(frozen=True, slots=True)
class ReplyRow:
    """A guidance reply that would have gone out: to whom, why, and its rendered text."""

    ticket_id: int
    number: str
    title: str
    channel: str
    to: str
    subject: str
    reasons: tuple[str, ...]
    body: str
    text: str

    def to_json(self) -> dict[str, Any]:
        return {
            "ticket": self.ticket_id,
            "number": self.number,
            "title": self.title,
            "channel": self.channel,
            "to": self.to,
            "subject": self.subject,
            "reasons": list(self.reasons),
            "body": self.body,
            "text": self.text,
        }


@dataclass(frozen=True, slots=True)
class Change:
    """How one ticket's decision differs from the current policy's to the new one's.

    Each pair is (current, new); a part that is the same is None.
    """

    ticket_id: int
    number: str
    title: str
    tags_added: tuple[str, ...] = ()
    tags_removed: tuple[str, ...] = ()
    priority: tuple[str, str] | None = None
    due_at: tuple[datetime | None, datetime | None] | None = None
    reply: tuple[str, str] | None = None
    close: tuple[bool, bool] | None = None
    skipped: tuple[str | None, str | None] | None = None

    def to_json(self) -> dict[str, Any]:
        def pair(values: tuple[Any, Any] | None) -> dict[str, Any] | None:
            return None if values is None else {"current": values[0], "new": values[1]}

        due = None if self.due_at is None else (_iso(self.due_at[0]), _iso(self.due_at[1]))
        return {
            "ticket": self.ticket_id,
            "number": self.number,
            "title": self.title,
            "tags_added": list(self.tags_added),
            "tags_removed": list(self.tags_removed),
            "priority": pair(self.priority),
            "due_at": pair(due),
            "reply": pair(self.reply),
            "close": pair(self.close),
            "skipped": pair(self.skipped),
        }


@dataclass(frozen=True, slots=True)
class Totals:
    """One policy's counts over the replayed tickets."""

    tags: dict[str, int]
    sla: dict[str, int]
    replies: int
    skipped: dict[str, int]

    def to_json(self) -> dict[str, Any]:
        return {
            "tags": dict(self.tags),
            "sla": dict(self.sla),
            "replies": self.replies,
            "skipped": dict(self.skipped),
        }


@dataclass(frozen=True)
class BacktestResult:
    """Everything a backtest found; ``changes`` is None when no second policy was given."""

    window: str
    since: datetime
    made_at: datetime
    timezone: str
    policy: str
    against: str | None
    tickets: tuple[TicketRow, ...]
    not_replayed: tuple[tuple[int, str, str], ...]
    totals: Totals
    against_totals: Totals | None
    sla_by_tier: dict[str, dict[str, int]]
    replies: tuple[ReplyRow, ...]
    changes: tuple[Change, ...] | None
    limit_reached: bool = False
    seconds: float | None = None

    @property
    def examined(self) -> int:
        return len(self.tickets) + len(self.not_replayed)

    def to_json(self) -> dict[str, Any]:
        """The result as JSON-ready data; times ISO 8601 with the policy zone's offset."""
        return {
            "version": RESULT_VERSION,
            "window": self.window,
            "since": _iso(self.since),
            "made_at": _iso(self.made_at),
            "timezone": self.timezone,
            "policy": self.policy,
            "against": self.against,
            "examined": self.examined,
            "replayed": len(self.tickets),
            "limit_reached": self.limit_reached,
            "seconds": None if self.seconds is None else round(self.seconds, 2),
            "not_replayed": [
                {"ticket": ticket, "number": number, "reason": reason}
                for ticket, number, reason in self.not_replayed
            ],
            "totals": self.totals.to_json(),
            "against_totals": self.against_totals.to_json() if self.against_totals else None,
            "sla_by_tier": {tier: dict(counts) for tier, counts in self.sla_by_tier.items()},
            "tickets": [row.to_json() for row in self.tickets],
            "replies": [reply.to_json() for reply in self.replies],
            "changes": None if self.changes is None else [c.to_json() for c in self.changes],
        }


# -- building the result -------------------------------------------------------------


def build_result(
    replays: Iterable[Replay],
    *,
    window: str,
    span: timedelta,
    made_at: datetime,
    zone: ZoneInfo,
    policy: str,
    against: str | None = None,
    limit_reached: bool = False,
    seconds: float | None = None,
) -> BacktestResult:
    """Count what the policy would have done on ``replays``; with ``against`` named, also
    what the policy it is compared with would have done, and every ticket where they differ.

    Raises ValueError when ``against`` is named and a replayed ticket lacks its decision.
    """
    now = made_at.astimezone(zone)
    rows: list[TicketRow] = []
    not_replayed: list[tuple[int, str, str]] = []
    replies: list[ReplyRow] = []
    changes: list[Change] = []
    decided: list[tuple[Decision, datetime | None]] = []
    decided_against: list[tuple[Decision, datetime | None]] = []
    for replay in replays:
        facts, decision = replay.facts, replay.decision
        if decision is None:
            not_replayed.append((facts.id, facts.number, replay.not_replayed or "not replayed"))
            continue
        rows.append(_row(facts, decision, now, zone))
        decided.append((decision, facts.first_response_at))
        replies.extend(_reply_row(facts, reply) for reply in decision.replies)
        if against is None:
            continue
        if replay.against is None:
            raise ValueError(f"ticket {facts.id} has no decision under {against}")
        decided_against.append((replay.against, facts.first_response_at))
        change = diff(facts, current=replay.against, new=decision, zone=zone)
        if change is not None:
            changes.append(change)
    return BacktestResult(
        window=window,
        since=(made_at - span).astimezone(zone),
        made_at=now,
        timezone=zone.key,
        policy=policy,
        against=against,
        tickets=tuple(rows),
        not_replayed=tuple(not_replayed),
        totals=totals(decided, now),
        against_totals=totals(decided_against, now) if against is not None else None,
        sla_by_tier=sla_by_tier(rows),
        replies=tuple(replies),
        changes=tuple(changes) if against is not None else None,
        limit_reached=limit_reached,
        seconds=seconds,
    )


def totals(decided: Iterable[tuple[Decision, datetime | None]], now: datetime) -> Totals:
    """Per tag, how many tickets would carry it; the SLA outcomes; replies; skips by reason."""
    tags: Counter[str] = Counter()
    outcomes: Counter[str] = Counter({outcome.value: 0 for outcome in SlaOutcome})
    skipped: Counter[str] = Counter()
    replies = 0
    for decision, first_response_at in decided:
        tags.update(decision.tags)
        outcomes[sla_outcome(decision.due_at, first_response_at, now).value] += 1
        replies += len(decision.replies)
        if decision.skipped is not None:
            skipped[decision.skipped] += 1
    return Totals(
        tags=dict(sorted(tags.items(), key=lambda item: (-item[1], item[0]))),
        sla=dict(outcomes),
        replies=replies,
        skipped=dict(skipped.most_common()),
    )


def sla_by_tier(rows: Iterable[TicketRow]) -> dict[str, dict[str, int]]:
    """Per tier (in name order), how many due dates were met, breached, open or absent."""
    counts: dict[str, Counter[str]] = {}
    for row in rows:
        tier = counts.setdefault(row.tier, Counter({outcome.value: 0 for outcome in SlaOutcome}))
        tier[row.sla.value] += 1
    return {tier: dict(counts[tier]) for tier in sorted(counts)}


def diff(
    facts: TicketFacts, *, current: Decision, new: Decision, zone: ZoneInfo | None = None
) -> Change | None:
    """What the new policy would write differently on this ticket; None if nothing.

    Compared is what ticket-warden writes: tags, priority, due date, the reply, closing,
    and whether it acts at all. The agents' note is not: it restates those, in words.
    """
    current_tags, new_tags = set(current.tags), set(new.tags)
    priority = (current.priority, new.priority) if current.priority != new.priority else None
    due = None
    if current.due_at != new.due_at:
        due = (_in_zone(current.due_at, zone), _in_zone(new.due_at, zone))
    reply = None
    if current.replies != new.replies:
        before, after = _reply_summary(current.replies), _reply_summary(new.replies)
        reply = (before, after if after != before else f"{after} (other text)")
    close = (current.close, new.close) if current.close != new.close else None
    skipped = (current.skipped, new.skipped) if current.skipped != new.skipped else None
    change = Change(
        ticket_id=facts.id,
        number=facts.number,
        title=facts.title,
        tags_added=tuple(sorted(new_tags - current_tags)),
        tags_removed=tuple(sorted(current_tags - new_tags)),
        priority=priority,
        due_at=due,
        reply=reply,
        close=close,
        skipped=skipped,
    )
    if change == Change(facts.id, facts.number, facts.title):
        return None
    return change


# -- helpers ---------------------------------------------------------------------------


def _row(facts: TicketFacts, decision: Decision, now: datetime, zone: ZoneInfo) -> TicketRow:
    return TicketRow(
        id=facts.id,
        number=facts.number,
        title=facts.title,
        created_at=_in_zone(facts.created_at, zone),
        tier=decision.tier,
        client=decision.client,
        tags=tuple(sorted(decision.tags)),
        priority=decision.priority,
        due_at=_in_zone(decision.due_at, zone),
        first_response_at=_in_zone(facts.first_response_at, zone),
        sla=sla_outcome(decision.due_at, facts.first_response_at, now),
        skipped=decision.skipped,
        reply_reasons=(
            tuple(reason for reply in decision.replies for reason in reply.reasons)
            if decision.replies
            else None
        ),
    )


def _reply_row(facts: TicketFacts, reply: Reply) -> ReplyRow:
    text = html_to_text(reply.body, keep_links=True) if "html" in reply.content_type else reply.body
    return ReplyRow(
        ticket_id=facts.id,
        number=facts.number,
        title=facts.title,
        channel=reply.channel,
        to=reply.to,
        subject=reply.subject,
        reasons=reply.reasons,
        body=reply.body,
        text=_BLANK_LINES.sub("\n\n", text).strip(),
    )


def _reply_summary(replies: tuple[Reply, ...]) -> str:
    reasons = [reason for reply in replies for reason in reply.reasons]
    return ", ".join(reasons) if reasons else "none"


def _in_zone(moment: datetime | None, zone: ZoneInfo | None) -> datetime | None:
    if moment is None or zone is None:
        return moment
    return moment.astimezone(zone)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def stored_result(data: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A stored result's JSON if it has this module's shape, else None (an older version)."""
    if not isinstance(data, Mapping) or data.get("version") != RESULT_VERSION:
        return None
    return dict(data)
