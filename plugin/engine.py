"""``evaluate()``: a ticket, its new message, the policy and the clock in; a Decision out.

This is the one place where the rules' findings become a decision: which tier
and clock apply, the due date, the priority, the tags to add and remove, the
note for agents and at most one guidance reply. It performs no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from plugin.decision import Decision, Reply
from plugin.model import Finding, Message, Ticket
from plugin.names import CHANNEL_NAMES, EMAIL_CHANNEL, REPLY_FLAGS, TURN_AWAY_FLAGS, Clock, Flag, Sender
from plugin.policy import Policy, ResponseTime, Tier
from plugin.rules.channel import address_finding, channel_finding
from plugin.rules.client import ClientMatch, match_client
from plugin.rules.hours import local_text, outside_hours_finding
from plugin.rules.info import needs_info_finding
from plugin.rules.meeting import confirmation_finding, meeting_finding
from plugin.rules.priority import priority_finding
from plugin.rules.project import project_finding
from plugin.rules.skip import skip_reason
from plugin.rules.subject import vague_subject_finding

# Flags that describe the ticket rather than the latest message: once found, they stay.
STICKY_FLAGS = frozenset(
    {
        Flag.PRIORITY_REQUEST,
        Flag.MEETING_REQUEST,
        Flag.MEETING_UNCONFIRMED,
        Flag.MEETING_CONFIRMED,
        Flag.PROJECT_TASK,
        Flag.OUTSIDE_OFFICE_HOURS,
    }
)


def evaluate(ticket: Ticket, message: Message | None, policy: Policy, now: datetime) -> Decision:
    """Decide what the policy says about ``message`` on ``ticket``; ``now`` if it has no time."""
    match = match_client(ticket.customer, policy)
    skipped = skip_reason(message)
    if skipped is not None:
        confirmed = _meeting_confirmation(ticket, message, policy)
        if confirmed is not None:
            return _confirmation_decision(ticket, match, confirmed, policy)
        return _skipped(ticket, match, skipped, policy)
    assert message is not None  # skip_reason() skips a missing message
    received = _received_at(ticket, message, now)
    turned_away = [f for f in (channel_finding(message, policy), address_finding(message, policy)) if f]
    if turned_away:
        return _turn_away(ticket, message, match, turned_away, received, policy)
    return _judge(ticket, message, match, received, policy)


# -- the ordinary path ---------------------------------------------------------


def _judge(
    ticket: Ticket, message: Message, match: ClientMatch, received: datetime, policy: Policy
) -> Decision:
    tier = policy.tiers[match.tier]
    subject = message.subject or ticket.title
    found = [
        priority_finding(subject, message, policy, match.tier),
        vague_subject_finding(ticket.title or message.subject),
        _needs_info(ticket, message, policy),
        meeting_finding(message),
        project_finding(message),
        outside_hours_finding(received, policy),
    ]
    findings = [finding for finding in found if finding is not None]
    flags = {finding.flag for finding in findings}
    if Flag.MEETING_REQUEST in flags and policy.tag(Flag.MEETING_CONFIRMED) not in ticket.tags:
        findings.append(Finding(Flag.MEETING_UNCONFIRMED, "no confirmation email sent yet"))
    is_priority = Flag.PRIORITY_REQUEST in flags or (
        not ticket.is_new and policy.tag(Flag.PRIORITY_REQUEST) in ticket.tags
    )
    response = tier.priority if is_priority else tier.normal
    due_at, no_due_reason = _due_date(ticket, received, response, tier, match, flags, policy)
    priorities = tier.priorities
    if Flag.PROJECT_TASK in flags:
        priority = priorities.project
    else:
        priority = priorities.priority_request if is_priority else priorities.normal
    reply = _reply(ticket, message, match, findings, is_priority, received, policy)
    note_context = {
        "priority_request": is_priority,
        "priority": priority,
        "due_at": local_text(due_at, policy) if due_at else None,
        "clock": response.clock.value,
        "guaranteed": tier.guaranteed and due_at is not None,
        "no_due_reason": no_due_reason,
        "close": False,
    }
    return _decision(ticket, match, findings, reply, note_context, policy, due_at=due_at)


def _needs_info(ticket: Ticket, message: Message, policy: Policy) -> Finding | None:
    """Judge a new ticket's first message; on follow-ups only check if info is still missing."""
    if ticket.is_new or policy.tag(Flag.NEEDS_INFO) in ticket.tags:
        return needs_info_finding(message, policy)
    return None


def _due_date(
    ticket: Ticket,
    received: datetime,
    response: ResponseTime,
    tier: Tier,
    match: ClientMatch,
    flags: set[Flag],
    policy: Policy,
) -> tuple[datetime | None, str]:
    """The due date and, when there is none, why not. A due date once set never moves."""
    if Flag.PROJECT_TASK in flags:
        return None, "project work is not covered by the SLA and needs a quote"
    if ticket.due_at is not None:
        return ticket.due_at.astimezone(policy.zone), ""
    hours = match.client.response_hours if match.client and match.client.response_hours else None
    duration = timedelta(hours=hours) if hours else response.duration
    if response.clock is Clock.ALWAYS:
        due = (received + duration).astimezone(policy.zone)
    else:
        due = policy.calendar.add(received, duration)
    if tier.snap_to_office_hours:
        due = policy.calendar.next_opening(due)
    # Whole seconds: an SLA is not kept to the microsecond, and rounding down is safe.
    return due.replace(microsecond=0), ""


# -- turned away: blocked channel or wrong address ------------------------------


def _turn_away(
    ticket: Ticket,
    message: Message,
    match: ClientMatch,
    findings: list[Finding],
    received: datetime,
    policy: Policy,
) -> Decision:
    reply = _reply(ticket, message, match, findings, False, received, policy)
    close = policy.turn_away.close
    note_context = {
        "priority_request": False,
        "priority": policy.tiers[match.tier].priorities.normal,
        "due_at": None,
        "clock": policy.tiers[match.tier].normal.clock.value,
        "guaranteed": False,
        "no_due_reason": "the request was turned away" + (" and the ticket closed" if close else ""),
        "close": close,
    }
    return _decision(ticket, match, findings, reply, note_context, policy, close=close)


# -- replies --------------------------------------------------------------------


def _reply(
    ticket: Ticket,
    message: Message,
    match: ClientMatch,
    findings: list[Finding],
    is_priority: bool,
    received: datetime,
    policy: Policy,
) -> Reply | None:
    """One reply combining every reason not yet told to this ticket's client, or None."""
    told = ticket.replied_reasons | {flag for flag in REPLY_FLAGS if policy.tag(flag) in ticket.tags}
    flags = {finding.flag for finding in findings}
    reasons = [
        flag
        for flag in REPLY_FLAGS
        if flag in flags
        and flag.value not in told
        # SLA priority requests run on the 24x7 clock: closed hours do not delay them.
        and not (flag is Flag.OUTSIDE_OFFICE_HOURS and is_priority)
    ]
    target = _reply_target(ticket, message, policy, turned_away=bool(flags & TURN_AWAY_FLAGS))
    if not reasons or target is None:
        return None
    channel, to = target
    tier = policy.tiers[match.tier]
    context: dict[str, Any] = {
        "company": policy.company,
        "customer_name": ticket.customer.name or "customer",
        "ticket_number": ticket.number,
        "ticket_title": ticket.title,
        "subject": message.subject,
        "ticket_address": policy.ticket_addresses[0] if policy.ticket_addresses else "",
        "channel": CHANNEL_NAMES.get(message.channel, message.channel),
        "close": policy.turn_away.close and bool(flags & TURN_AWAY_FLAGS),
        "next_opening": local_text(policy.calendar.next_opening(received), policy),
        "tier_label": tier.label,
        "guaranteed": tier.guaranteed,
        "links": policy.links.model_dump(),
    }
    templates = policy.compiled_templates
    paragraphs: list[Markup] = [templates.paragraph(flag, context) for flag in reasons]
    subject, body = templates.reply(paragraphs, context)
    return Reply(channel, to, subject, body, tuple(flag.value for flag in reasons))


def _reply_target(
    ticket: Ticket, message: Message, policy: Policy, *, turned_away: bool
) -> tuple[str, str] | None:
    """Channel and address for the reply: email to the customer, or back on a blocked channel."""
    channel = message.channel.strip().lower()
    email = ticket.customer.email or (message.from_address if channel == EMAIL_CHANNEL else None)
    if turned_away and channel != EMAIL_CHANNEL and channel in policy.replyable_channels:
        sender = message.from_address or email
        return (channel, sender) if sender else None
    return (EMAIL_CHANNEL, email) if email else None


# -- meeting confirmations and skips -------------------------------------------


def _meeting_confirmation(ticket: Ticket, message: Message | None, policy: Policy) -> Finding | None:
    """An agent email confirming a meeting on a ticket that waits for one."""
    if message is None or message.written_by_bot or message.sender is not Sender.AGENT:
        return None
    if policy.tag(Flag.MEETING_UNCONFIRMED) not in ticket.tags:
        return None
    if message.channel.strip().lower() != EMAIL_CHANNEL:
        return None
    return confirmation_finding(message)


def _confirmation_decision(
    ticket: Ticket, match: ClientMatch, confirmed: Finding, policy: Policy
) -> Decision:
    kept = _kept_tags(ticket, policy) - {policy.tag(Flag.MEETING_UNCONFIRMED)}
    tags = kept | {policy.tag(Flag.MEETING_CONFIRMED)}
    return Decision(
        tier=match.tier,
        client=match.client.name if match.client else None,
        priority_request=policy.tag(Flag.PRIORITY_REQUEST) in ticket.tags,
        priority=ticket.priority or policy.tiers[match.tier].priorities.normal,
        due_at=ticket.due_at,
        guaranteed=policy.tiers[match.tier].guaranteed and ticket.due_at is not None,
        tags=tuple(sorted(tags)),
        remove_tags=(policy.tag(Flag.MEETING_UNCONFIRMED),),
        replies=(),
        note=f"ticket-warden: meeting confirmed: {confirmed.reason}.",
        close=False,
        skipped=None,
        findings=(confirmed,),
    )


def _skipped(ticket: Ticket, match: ClientMatch, reason: str, policy: Policy) -> Decision:
    tier = policy.tiers[match.tier]
    return Decision(
        tier=match.tier,
        client=match.client.name if match.client else None,
        priority_request=False,
        priority=ticket.priority or tier.priorities.normal,
        due_at=ticket.due_at,
        guaranteed=False,
        tags=(),
        remove_tags=(),
        replies=(),
        note="",
        close=False,
        skipped=reason,
    )


# -- assembling a decision ------------------------------------------------------


def _managed_tags(policy: Policy) -> set[str]:
    return {policy.tag(flag) for flag in Flag} | {policy.tier_tag(name) for name in policy.tiers}


def _kept_tags(ticket: Ticket, policy: Policy) -> set[str]:
    """Managed tags already on the ticket that no new message can take away."""
    sticky = {policy.tag(flag) for flag in STICKY_FLAGS}
    return {tag for tag in ticket.tags if tag in sticky}


def _decision(
    ticket: Ticket,
    match: ClientMatch,
    findings: Iterable[Finding],
    reply: Reply | None,
    note_context: dict[str, Any],
    policy: Policy,
    *,
    due_at: datetime | None = None,
    close: bool = False,
) -> Decision:
    findings = tuple(findings)
    tier = policy.tiers[match.tier]
    tags = {policy.tier_tag(match.tier)} | {policy.tag(f.flag) for f in findings}
    tags |= _kept_tags(ticket, policy)
    if policy.tag(Flag.MEETING_CONFIRMED) in tags:
        tags.discard(policy.tag(Flag.MEETING_UNCONFIRMED))
    remove = (ticket.tags & _managed_tags(policy)) - tags
    client = match.client.name if match.client else None
    note = policy.compiled_templates.render_note(
        {
            **note_context,
            "tier": match.tier,
            "tier_label": tier.label,
            "client": client,
            "client_reason": match.reason,
            "findings": [{"tag": policy.tag(f.flag), "reason": f.reason} for f in findings],
            "replied": list(reply.reasons) if reply else [],
        }
    )
    return Decision(
        tier=match.tier,
        client=client,
        priority_request=bool(note_context["priority_request"]),
        priority=str(note_context["priority"]),
        due_at=due_at,
        guaranteed=tier.guaranteed and due_at is not None,
        tags=tuple(sorted(tags)),
        remove_tags=tuple(sorted(remove)),
        replies=(reply,) if reply else (),
        note=note,
        close=close,
        skipped=None,
        findings=findings,
    )


def _received_at(ticket: Ticket, message: Message, now: datetime) -> datetime:
    """When the request arrived: the ticket's creation for a new ticket, else the message's."""
    if ticket.is_new and ticket.created_at is not None:
        return ticket.created_at
    return message.created_at or ticket.created_at or now
