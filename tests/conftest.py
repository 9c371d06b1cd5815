"""Shared test helpers: policies, payload files and a neutral-model builder."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from plugin.model import Customer, Message, Ticket
from plugin.names import Sender
from plugin.policy import Policy, load_policy

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SAMPLES = Path(__file__).resolve().parent / "samples"
SAST = ZoneInfo("Africa/Johannesburg")


def load_json(path: Path) -> Any:
    """A JSON fixture file, decoded."""
    return json.loads(path.read_text("utf-8"))


def example_payload(name: str) -> dict[str, Any]:
    """One of the payloads under examples/payloads/."""
    data: dict[str, Any] = load_json(EXAMPLES / "payloads" / f"{name}.json")
    return data


def zammad_sample(name: str) -> dict[str, Any]:
    """A recorded Zammad payload under tests/samples/zammad/."""
    data: dict[str, Any] = load_json(SAMPLES / "zammad" / f"{name}.json")
    return data


def sast(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SAST)


def email(
    subject: str = "Backup job fails on fileserver02 since Wednesday",
    body: str = "The nightly backup of fileserver02 (10.2.0.12) fails with 'Network error' since "
    "Wednesday; we restarted the agent, no change.",
    *,
    received: datetime | None = None,
    sender: Sender = Sender.CUSTOMER,
    **changes: Any,
) -> Message:
    """A customer email to the ticket address, changed as asked."""
    message = Message(
        channel="email",
        sender=sender,
        body=body,
        subject=subject,
        from_address="Thandi Nkosi <thandi@acme.example>",
        to=("support@xstore.example",),
        created_at=received or sast(2026, 3, 4, 10),
    )
    return replace(message, **changes)


def ticket_for(
    message: Message,
    customer_email: str = "thandi@acme.example",
    organization: str | None = None,
    **changes: Any,
) -> Ticket:
    """A new ticket whose first message is ``message``."""
    ticket = Ticket(
        id=1,
        number="10001",
        title=message.subject,
        customer=Customer(email=customer_email, name="Thandi Nkosi", organization=organization),
        created_at=message.created_at,
    )
    return replace(ticket, **changes)


@pytest.fixture(scope="session")
def builtin_policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="session")
def example_policy() -> Policy:
    return load_policy(EXAMPLES / "policy.yaml")
