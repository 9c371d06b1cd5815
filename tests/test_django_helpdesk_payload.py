"""django-helpdesk payloads (recorded from a real django-helpdesk 2.6.1) to neutral events."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

import pytest

from plugin.django_helpdesk.payload import parse_payload, to_event
from plugin.engine import evaluate
from plugin.errors import PayloadError
from plugin.names import Sender
from tests.conftest import SAMPLES, load_json

NEW = load_json(SAMPLES / "django_helpdesk" / "new_ticket_via_api.json")
FOLLOWUP = load_json(SAMPLES / "django_helpdesk" / "followup_via_api.json")


def test_a_new_ticket_is_the_submitters_request(example_policy) -> None:
    event = to_event(parse_payload(NEW))
    assert event.helpdesk == "django-helpdesk"
    ticket, message = event.ticket, event.message
    assert (ticket.id, ticket.number, ticket.title) == (1, "support-1", "URGENT help")
    assert ticket.customer.email == "thandi@acme.example" and ticket.is_new
    assert ticket.created_at == datetime(2026, 11, 26, 3, 47, 4, 799938, tzinfo=UTC)
    assert message is not None and message.sender is Sender.CUSTOMER
    assert (message.body, message.id, message.internal) == ("it doesnt work", 1, False)
    decision = evaluate(ticket, message, example_policy, datetime.now(UTC))
    # Gold client (acme.example), urgent, vague and thin, recorded at 05:47 SAST;
    # no channel or address verdict, since django-helpdesk records neither.
    assert decision.tags == (
        "needs-info",
        "outside-office-hours",
        "priority-request",
        "sla-gold",
        "vague-subject",
    )
    assert decision.close is False


def test_a_followup_by_a_staff_user_is_an_agents(example_policy) -> None:
    event = to_event(parse_payload(FOLLOWUP))
    assert event.message is not None and event.message.id == 2
    assert event.message.sender is Sender.AGENT and not event.ticket.is_new
    assert evaluate(event.ticket, event.message, example_policy, datetime.now(UTC)).skipped


def customer_followup(**changes: Any) -> dict[str, Any]:
    payload = copy.deepcopy(FOLLOWUP)
    payload["ticket"]["followup_set"][1] |= {"user": None} | changes
    return payload


def test_a_followup_without_user_is_the_customers(example_policy) -> None:
    event = to_event(parse_payload(customer_followup()))
    assert event.message is not None and event.message.sender is Sender.CUSTOMER
    assert "fileserver02" in event.message.body
    private = to_event(parse_payload(customer_followup(public=False)))
    assert private.message is not None and private.message.internal


def test_the_bots_own_followups_are_recognised() -> None:
    event = to_event(parse_payload(FOLLOWUP), bot_user_id=1)
    assert event.message is not None and event.message.written_by_bot


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "payload has no 'ticket' object"),
        ({"ticket": {"title": "x"}}, "ticket.id: Field required"),
        (FOLLOWUP | {"followup_id": 99}, "followup_id 99 is not in ticket.followup_set"),
    ],
)
def test_bad_payloads(data: Any, message: str) -> None:
    with pytest.raises(PayloadError, match=message):
        to_event(parse_payload(data))


def test_a_ticket_without_followups_is_its_description() -> None:
    payload = copy.deepcopy(NEW)
    payload["ticket"]["followup_set"] = []
    event = to_event(parse_payload(payload))
    assert event.message is not None and event.message.body == "it doesnt work"
    assert event.message.sender is Sender.CUSTOMER and event.message.id is None
