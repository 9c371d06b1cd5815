"""Past tickets for backtests, made in a FakeZammad the way Zammad makes them.

Each ticket arrives as a customer's mail through the fake's postmaster and, for
some, gets an agent's answer, which sets ``first_response_at`` as Zammad does.
What each ticket is (its client, its kind of message, when it was answered) is
returned beside it, so tests know the expected outcome without asking the code
under test. Shared by tests/test_backtest.py and bench/backtest.py.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from tests.fake_zammad import FakeZammad

# Customers of examples/policy.yaml's clients first (Acme gold by organization and
# domain, Bright Logistics silver by domain, Cobalt gold with a 2 h tailored SLA by
# address), then per-incident customers.
NAMED_CUSTOMERS = (
    ("thandi@acme.example", "Thandi Nkosi", "Acme Storage (Pty) Ltd"),
    ("pieter@brightlogistics.example", "Pieter Botha", None),
    ("it@cobalt.example", "Cobalt IT", None),
    ("sam.jacobs@gmail.example", "Sam Jacobs", None),
)

# A policy file (merged over the built-in policy, as every policy file is) with
# examples/policy.yaml's clients but Bright Logistics: that client's tickets are silver
# under the example policy and per-incident under this one, so exactly they differ.
CURRENT_WITHOUT_BRIGHT = """\
clients:
  - name: Acme Storage
    tier: gold
    organizations: ["Acme Storage (Pty) Ltd"]
    domains: ["acme.example"]
  - name: Cobalt Clinics
    tier: gold
    emails: ["it@cobalt.example"]
    response_hours: 2
"""

# Messages from examples/payloads/, as plain text: (subject, body, auto-response).
MESSAGES = {
    "specific": (
        "Samba share on NAS asks for password again after update",
        "After updating TrueNAS to 24.04.2 yesterday, Windows 11 clients get a password "
        "prompt for \\\\nas01\\projects and the old credentials are rejected "
        "(error 0x80070005).",
        False,
    ),
    "urgent": (
        "URGENT: mail server mx1 rejects all incoming mail",
        "Since 14:40 our mail server mx1.acme.example rejects all inbound mail with "
        '"451 4.3.0 temporary failure". Outbound still works. We restarted postfix, no '
        "change.",
        False,
    ),
    "vague": ("Help!!", "it doesnt work\n\nSent from my iPhone", False),
    "project": (
        "Quote for migration of 40 mailboxes to a new mail server",
        "We would like a quote for the migration of our 40 mailboxes from the old Exchange "
        "2016 server to a new Postfix/Dovecot server, including DNS changes.",
        False,
    ),
    "meeting": (
        "Meeting to plan firewall rule review",
        "Could we set up a meeting on Thursday 12 March at 10:00 to go through the rule set "
        "on fw01 and fw02? About 40 rules need review before our audit.",
        False,
    ),
    "auto-reply": (
        "Automatic reply: Backup job fails",
        "I am out of the office until Monday.",
        True,
    ),
}
KINDS = tuple(MESSAGES)
# Kinds whose decision sets no due date: project work, and messages skipped altogether.
NO_DUE_KINDS = frozenset({"project", "auto-reply"})


@dataclass(frozen=True)
class Seeded:
    """One ticket made, and what it is."""

    ticket_id: int
    email: str
    kind: str
    created_at: datetime
    answered_at: datetime | None
    # met, breached, open or "no due date", from how it was made.
    expected_sla: str


def customer(index: int) -> tuple[str, str, str | None]:
    """The ``index``-th customer: the named ones, then per-incident ones, 8 per company."""
    if index < len(NAMED_CUSTOMERS):
        return NAMED_CUSTOMERS[index]
    number = index - len(NAMED_CUSTOMERS)
    company = number // 8
    return (
        f"user{number}@company{company}.example",
        f"User {number}",
        f"Company {company} Ltd",
    )


def seed(
    fake: FakeZammad, count: int, *, now: datetime, customers: int = 12, seed: int = 13
) -> list[Seeded]:
    """Make ``count`` tickets created in the last 60 days before ``now``, each from a customer
    and with a kind of message drawn at random (seeded, so the same every run).

    Every fourth is answered 5 minutes after it arrived (met), every fourth 20 days
    later (breached), every fourth never and long ago (breached), and every fourth
    never and less than an hour ago (open: every due date is at least 2 h away).
    """
    draw = random.Random(seed)
    made = []
    for i in range(count):
        email, name, organization = customer(draw.randrange(customers))
        kind = draw.choice(KINDS)
        subject, body, auto = MESSAGES[kind]
        pattern = i % 4
        if pattern == 3:
            created = now - timedelta(minutes=1 + i % 50)
        else:
            created = now - timedelta(days=21, minutes=(i * 997) % (39 * 24 * 60))
        ticket_id, _article = fake.receive_mail(
            sender=email,
            name=name,
            organization=organization,
            subject=subject,
            body=body,
            preferences={"is-auto-response": True} if auto else None,
            at=created,
        )
        answered = {0: created + timedelta(minutes=5), 1: created + timedelta(days=20)}.get(pattern)
        if answered is not None:
            fake.agent_reply(ticket_id, body="We are looking into it.", to=email, at=answered)
        if kind in NO_DUE_KINDS:
            expected = "no due date"
        else:
            expected = {0: "met", 1: "breached", 2: "breached", 3: "open"}[pattern]
        made.append(Seeded(ticket_id, email, kind, created, answered, expected))
    return made
