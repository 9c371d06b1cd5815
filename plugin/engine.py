"""``evaluate()``: a ticket, its new message, the policy and the clock in; a Decision out.

This is the one place where the rules' findings become a decision: which tier
and clock apply, the due date, the priority, the tags to add and remove, the
note for agents and at most one guidance reply. It performs no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from plugin.decision import Decision, Reply
from plugin.model import Finding, Message, Ticket
from plugin.names import (
    CHANNEL_NAMES,
    EMAIL_CHANNEL,
    REPLY_FLAGS,
    TURN_AWAY_FLAGS,
    Clock,
    Flag,
    Sender,
)
from plugin.policy import Policy, ResponseTime, Tier
from plugin.rules.channel import address_finding, channel_finding
from plugin.rules.client import ClientMatch, match_client
from plugin.rules.hours import local_text, outside_hours_finding
from plugin.rules.info import needs_info_finding
from plugin.rules.machine import machine_verdict
from plugin.rules.meeting import confirmation_finding, meeting_finding
from plugin.rules.priority import priority_finding
from plugin.rules.project import project_finding
from plugin.rules.skip import skip_reason
from plugin.rules.subject import vague_subject_finding
from plugin.text import MAX_TEXT_CHARS, written_length

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


@dataclass(frozen=True)
class _Case:
    """One message under judgement, with everything the decision depends on."""

    ticket: Ticket
    message: Message
    match: ClientMatch
    received: datetime
    policy: Policy

    @property
    def tier(self) -> Tier:
        return self.policy.tiers[self.match.tier]

    def has_tag(self, flag: Flag) -> bool:
        return self.policy.tag(flag) in self.ticket.tags


@dataclass
class _Outcome:
    """What the decision says besides its tags: the values the note is written from."""

    priority_request: bool
    priority: str
    clock: Clock
    due_at: datetime | None = None
    no_due_reason: str = ""
    close: bool = False
    reply: Reply | None = None
    untold: list[str] = field(default_factory=list)
    # Findings a rule was not sure of: noted for agents, neither tagged nor told.
    doubts: list[Finding] = field(default_factory=list)
    # Why no guidance reply was considered at all.
    quiet: str = ""
    # How long the message's written text was when it was longer than the rules read.
    truncated: int | None = None


def evaluate(ticket: Ticket, message: Message | None, policy: Policy, now: datetime) -> Decision:
    """Decide what the policy says about ``message`` on ``ticket``; ``now`` if it has no time."""
    match = match_client(ticket.customer, policy)
    skipped = skip_reason(message)
    if message is None or skipped is not None:
        confirmed = _meeting_confirmation(ticket, message, policy)
        if confirmed is not None:
            return _confirmation_decision(ticket, match, confirmed, policy)
        return _skipped(ticket, match, skipped or "no article", policy)
    case = _Case(ticket, message, match, received_at(ticket, message, now), policy)
    turned_away = [
        finding
        for finding in (channel_finding(message, policy), address_finding(message, policy))
        if finding is not None
    ]
    if turned_away:
        return _turn_away(case, turned_away)
    return _judge(case)


# -- the ordinary path ---------------------------------------------------------


def _judge(case: _Case) -> Decision:
    ticket, message, policy = case.ticket, case.message, case.policy
    wanted = [meeting_finding(message, policy), project_finding(message, policy)]
    # A message that surely asks for a meeting or for project work says what is wanted,
    # however short it is (SPEC §3): it is not also told that it lacks detail.
    says_what_it_wants = any(finding is not None and finding.sure for finding in wanted)
    found = [
        priority_finding(message.subject or ticket.title, message, policy, case.match.tier),
        vague_subject_finding(ticket.title or message.subject),
        None if says_what_it_wants else _needs_info(case),
        *wanted,
        outside_hours_finding(case.received, policy),
    ]
    findings = [finding for finding in found if finding is not None and finding.sure]
    doubts = [finding for finding in found if finding is not None and not finding.sure]
    flags = {finding.flag for finding in findings}
    if Flag.MEETING_REQUEST in flags and not case.has_tag(Flag.MEETING_CONFIRMED):
        findings.append(Finding(Flag.MEETING_UNCONFIRMED, "no confirmation email sent yet"))
    is_priority = Flag.PRIORITY_REQUEST in flags or (
        not ticket.is_new and case.has_tag(Flag.PRIORITY_REQUEST)
    )
    response = case.tier.priority if is_priority else case.tier.normal
    priorities = case.tier.priorities
    if not ticket.is_new and ticket.priority and Flag.PRIORITY_REQUEST not in flags:
        priority = ticket.priority  # Follow-ups leave the priority agents may have set.
    elif Flag.PROJECT_TASK in flags:
        priority = priorities.project
    else:
        priority = priorities.priority_request if is_priority else priorities.normal
    outcome = _Outcome(is_priority, priority, response.clock)
    length = written_length(message.body, message.content_type)
    outcome.truncated = length if length > MAX_TEXT_CHARS else None
    if Flag.PROJECT_TASK in flags:
        outcome.no_due_reason = "project work is not covered by the SLA and needs a quote"
    else:
        outcome.due_at = _due_date(case, response)
    outcome.doubts = doubts
    machine = machine_verdict(message)
    if machine is not None:
        # Maybe no person wrote it (a sure verdict skipped it before): agents are told,
        # and the client gets no guidance reply until a message that is surely theirs.
        outcome.quiet = f"the message may not be from a person: {machine.reason}"
    else:
        outcome.reply, outcome.untold = _reply(case, findings, is_priority=is_priority)
    return _decision(case.ticket, case.match, findings, outcome, policy)


def _needs_info(case: _Case) -> Finding | None:
    """Judge a new ticket's first message; on follow-ups only check if info is still missing."""
    if case.ticket.is_new or case.has_tag(Flag.NEEDS_INFO):
        return needs_info_finding(case.message, case.policy)
    return None


def _due_date(case: _Case, response: ResponseTime) -> datetime:
    """The due date on the tier's clock; a due date once set on the ticket never moves."""
    policy = case.policy
    if case.ticket.due_at is not None:
        return case.ticket.due_at.astimezone(policy.zone)
    client = case.match.client
    hours = client.response_hours if client is not None else None
    duration = timedelta(hours=hours) if hours else response.duration
    if response.clock is Clock.ALWAYS:
        due = (case.received + duration).astimezone(policy.zone)
    else:
        due = policy.calendar.add(case.received, duration)
    if case.tier.snap_to_office_hours:
        due = policy.calendar.next_opening(due)
    # Whole seconds: an SLA is not kept to the microsecond, and rounding down is safe.
    return due.replace(microsecond=0)


# -- turned away: blocked channel or wrong address ------------------------------


def _turn_away(case: _Case, findings: list[Finding]) -> Decision:
    close = case.policy.turn_away.close
    outcome = _Outcome(
        priority_request=False,
        priority=case.tier.priorities.normal,
        clock=case.tier.normal.clock,
        no_due_reason="the request was turned away" + (" and the ticket closed" if close else ""),
        close=close,
    )
    outcome.reply, outcome.untold = _reply(case, findings, is_priority=False)
    return _decision(case.ticket, case.match, findings, outcome, case.policy)


# -- replies --------------------------------------------------------------------


def _reply(
    case: _Case, findings: list[Finding], *, is_priority: bool
) -> tuple[Reply | None, list[str]]:
    """One reply combining every reason not yet told to this client, and the reasons left untold.

    Reasons are left untold (and said so in the note) when there is no address or
    channel to reply on.
    """
    policy, ticket, message = case.policy, case.ticket, case.message
    # Only replies the helpdesk accepted count as told (SPEC §4): a tag is not proof,
    # since the tags are written even when the reply was refused.
    told = ticket.replied_reasons
    flags = {finding.flag for finding in findings}
    reasons = [
        flag
        for flag in REPLY_FLAGS
        if flag in flags
        and flag.value not in told
        # SLA priority requests run on the 24x7 clock: closed hours do not delay them.
        and not (flag is Flag.OUTSIDE_OFFICE_HOURS and is_priority)
    ]
    if not reasons:
        return None, []
    turned_away = bool(flags & TURN_AWAY_FLAGS)
    target = _reply_target(case, turned_away=turned_away)
    if target is None:
        return None, [flag.value for flag in reasons]
    channel, to = target
    context: dict[str, Any] = {
        "company": policy.company,
        "customer_name": ticket.customer.name or "customer",
        "ticket_number": ticket.number,
        "ticket_title": ticket.title,
        "subject": message.subject,
        "ticket_address": policy.ticket_addresses[0] if policy.ticket_addresses else "",
        "channel": CHANNEL_NAMES.get(message.channel, message.channel),
        "close": policy.turn_away.close and turned_away,
        "next_opening": local_text(policy.calendar.next_opening(case.received), policy),
        "tier_label": case.tier.label,
        "guaranteed": case.tier.guaranteed,
        "links": policy.links.model_dump(),
    }
    templates = policy.compiled_templates
    paragraphs: list[Markup] = [templates.paragraph(flag, context) for flag in reasons]
    subject, body = templates.reply(paragraphs, context)
    return Reply(channel, to, subject, body, tuple(flag.value for flag in reasons)), []


def _reply_target(case: _Case, *, turned_away: bool) -> tuple[str, str] | None:
    """Channel and address for the reply: email to the customer, or back on a blocked channel."""
    message = case.message
    channel = message.channel.strip().lower()
    from_email = message.from_address if channel == EMAIL_CHANNEL else None
    email = case.ticket.customer.email or from_email
    if turned_away and channel != EMAIL_CHANNEL and channel in case.policy.replyable_channels:
        sender = message.from_address or email
        return (channel, sender) if sender else None
    return (EMAIL_CHANNEL, email) if email else None


# -- meeting confirmations and skips -------------------------------------------


def may_confirm_meeting(message: Message | None) -> bool:
    """Whether ``message`` is an agent's outgoing email, the one skipped kind that can matter."""
    return (
        message is not None
        and message.sender is Sender.AGENT
        and not message.written_by_bot
        and not message.internal
        and message.channel.strip().lower() == EMAIL_CHANNEL
    )


def _meeting_confirmation(
    ticket: Ticket, message: Message | None, policy: Policy
) -> Finding | None:
    """An agent email confirming a meeting on a ticket that waits for one."""
    if message is None or not may_confirm_meeting(message):
        return None
    if policy.tag(Flag.MEETING_UNCONFIRMED) not in ticket.tags:
        return None
    return confirmation_finding(message)


def _confirmation_decision(
    ticket: Ticket, match: ClientMatch, confirmed: Finding, policy: Policy
) -> Decision:
    unconfirmed = policy.tag(Flag.MEETING_UNCONFIRMED)
    tags = (_kept_tags(ticket, policy) - {unconfirmed}) | {policy.tag(Flag.MEETING_CONFIRMED)}
    tier = policy.tiers[match.tier]
    return Decision(
        tier=match.tier,
        client=match.client.name if match.client else None,
        priority_request=policy.tag(Flag.PRIORITY_REQUEST) in ticket.tags,
        priority=ticket.priority or tier.priorities.normal,
        due_at=ticket.due_at,
        guaranteed=tier.guaranteed and ticket.due_at is not None,
        tags=tuple(sorted(tags)),
        remove_tags=(unconfirmed,),
        replies=(),
        note=f"ticket-warden: meeting confirmed: {confirmed.reason}.",
        close=False,
        skipped=None,
        findings=(confirmed,),
    )


def _skipped(ticket: Ticket, match: ClientMatch, reason: str, policy: Policy) -> Decision:
    return Decision(
        tier=match.tier,
        client=match.client.name if match.client else None,
        priority_request=False,
        priority=ticket.priority or policy.tiers[match.tier].priorities.normal,
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
    findings: list[Finding],
    outcome: _Outcome,
    policy: Policy,
) -> Decision:
    tier = policy.tiers[match.tier]
    tags = {policy.tier_tag(match.tier)} | {policy.tag(f.flag) for f in findings}
    tags |= _kept_tags(ticket, policy)
    if policy.tag(Flag.MEETING_CONFIRMED) in tags:
        tags.discard(policy.tag(Flag.MEETING_UNCONFIRMED))
    remove = (ticket.tags & _managed_tags(policy)) - tags
    client = match.client.name if match.client else None
    guaranteed = tier.guaranteed and outcome.due_at is not None
    note = policy.compiled_templates.render_note(
        {
            "tier": match.tier,
            "tier_label": tier.label,
            "client": client,
            "client_reason": match.reason,
            "priority_request": outcome.priority_request,
            "priority": outcome.priority,
            "due_at": local_text(outcome.due_at, policy) if outcome.due_at else None,
            "clock": outcome.clock.value,
            "guaranteed": guaranteed,
            "no_due_reason": outcome.no_due_reason,
            "close": outcome.close,
            "findings": [{"tag": policy.tag(f.flag), "reason": f.reason} for f in findings],
            "doubts": [{"tag": policy.tag(f.flag), "reason": f.reason} for f in outcome.doubts],
            "quiet": outcome.quiet,
            "replied": list(outcome.reply.reasons) if outcome.reply else [],
            "untold": outcome.untold,
            "truncated": outcome.truncated,
            "text_limit": MAX_TEXT_CHARS,
        }
    )
    return Decision(
        tier=match.tier,
        client=client,
        priority_request=outcome.priority_request,
        priority=outcome.priority,
        due_at=outcome.due_at,
        guaranteed=guaranteed,
        tags=tuple(sorted(tags)),
        remove_tags=tuple(sorted(remove)),
        replies=(outcome.reply,) if outcome.reply else (),
        note=note,
        close=outcome.close,
        skipped=None,
        findings=tuple(findings),
        doubts=tuple(outcome.doubts),
    )


def received_at(ticket: Ticket, message: Message, now: datetime) -> datetime:
    """When the request arrived: the ticket's creation for a new ticket, else the message's."""
    if ticket.is_new and ticket.created_at is not None:
        return ticket.created_at
    return message.created_at or ticket.created_at or now
