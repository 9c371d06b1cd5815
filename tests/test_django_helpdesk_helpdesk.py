"""The Helpdesk on django-helpdesk's REST API, against `responses` with recorded shapes."""

from __future__ import annotations

import base64
import copy
import json
import logging
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest
import requests
import responses
from responses import matchers

from plugin.cli import _describe as describe
from plugin.decision import Reply
from plugin.django_helpdesk.client import DjangoHelpdeskClient
from plugin.django_helpdesk.helpdesk import DjangoHelpdesk
from plugin.django_helpdesk.payload import parse_payload, to_event
from plugin.errors import HelpdeskError
from plugin.executor import Executor
from plugin.helpdesk import note_trailer
from plugin.settings import Settings
from tests.conftest import SAMPLES, load_json

BASE = "http://helpdesk.example"
TICKET = load_json(SAMPLES / "django_helpdesk" / "new_ticket_via_api.json")["ticket"]
AUTH = "Basic " + base64.b64encode(b"warden:pw").decode()
BOT = 7


@pytest.fixture
def helpdesk() -> DjangoHelpdesk:
    client = DjangoHelpdeskClient(BASE, "warden", "pw", requests.Session(), sleep=lambda _: None)
    return DjangoHelpdesk(client, bot_user_id=BOT, due_attribute="sla_due_at")


def ticket_with(*followups: dict) -> dict:
    ticket = copy.deepcopy(TICKET)
    ticket["followup_set"] += list(followups)
    return ticket


@responses.activate
def test_ticket_state_reads_priority_status_due_date_and_followups(helpdesk) -> None:
    note = {
        "id": 5,
        "user": BOT,
        "public": False,
        "comment": "flags\n" + note_trailer(1, ("vague-subject",), ("sla-gold", "vague-subject")),
    }
    reply = {"id": 4, "user": BOT, "public": True, "comment": "Dear Thandi"}
    agent = {"id": 6, "user": 1, "public": True, "comment": "On it", "date": "2026-03-03T09:30:00Z"}
    ticket = ticket_with(reply, note, agent) | {
        "priority": 2,
        "status": 1,
        "due_date": "2026-03-03T17:00:00Z",
    }
    responses.get(
        f"{BASE}/api/tickets/1/",
        json=ticket,
        match=[matchers.header_matcher({"Authorization": AUTH})],
    )
    state = helpdesk.ticket_state(1)
    assert state.priority == "3 high" and state.state == "open"
    assert state.due_at == datetime(2026, 3, 3, 17, tzinfo=UTC)
    assert state.tags == {"sla-gold", "vague-subject"}
    assert state.has_note_for(1) and state.has_reply_for(1)
    assert state.replied_reasons(2) == {"vague-subject"}
    # The bot's reply is no first response; the agent's public follow-up is.
    assert state.first_response_at == datetime(2026, 3, 3, 9, 30, tzinfo=UTC)
    opening, *rest = state.articles
    assert opening.from_customer and not opening.by_bot
    assert [a.from_customer for a in rest] == [False, False, False]


def echo_ticket(request) -> tuple[int, dict[str, str], str]:
    """django-helpdesk's PATCH answers the ticket, changed fields included."""
    return 200, {}, json.dumps({"id": 1} | json.loads(request.body))


@responses.activate
def test_writes_use_django_helpdesks_fields(helpdesk) -> None:
    patch = responses.add_callback(responses.PATCH, f"{BASE}/api/tickets/1/", echo_ticket)
    followups = responses.post(f"{BASE}/api/followups/", json={"id": 9}, status=201)
    stored = helpdesk.update_ticket(
        1,
        {"priority": "3 high", "sla_due_at": "2026-03-03T17:00:00Z", "state": "closed"},
        "a note",
    )
    assert stored == datetime(2026, 3, 3, 17, tzinfo=UTC)
    body = '<p>See <a href="https://x/g">the guide</a></p>'
    helpdesk.post_reply(1, Reply("email", "t@acme.example", "[support-1] Help", body, ("a",)))
    assert json.loads(patch.calls[0].request.body) == {
        "priority": 2,
        "due_date": "2026-03-03T17:00:00Z",
        "status": 4,
    }
    note, reply = (json.loads(call.request.body) for call in followups.calls)
    assert note == {"ticket": 1, "comment": "a note", "public": False, "title": "ticket-warden"}
    assert reply == {
        "ticket": 1,
        "comment": "See the guide (https://x/g)",
        "public": True,
        "title": "[support-1] Help",
    }
    assert helpdesk.keeps_tags is False
    with pytest.raises(NotImplementedError):
        helpdesk.add_tag(1, "x")


@responses.activate
def test_errors_keep_status_and_message(helpdesk) -> None:
    responses.get(
        f"{BASE}/api/tickets/1/",
        status=403,
        json={"detail": "You do not have permission to perform this action."},
    )
    with pytest.raises(HelpdeskError) as caught:
        helpdesk.ticket_state(1)
    assert caught.value.status == 403
    assert "pw" not in str(caught.value) and "warden:pw" not in repr(helpdesk._client)


@responses.activate
def test_the_executor_writes_a_decision_into_django_helpdesk(example_policy, helpdesk) -> None:
    """The neutral executor, unchanged, on django-helpdesk: note, reply, priority, due date."""
    responses.get(f"{BASE}/api/tickets/1/", json=TICKET)
    patch = responses.add_callback(responses.PATCH, f"{BASE}/api/tickets/1/", echo_ticket)
    followups = responses.post(f"{BASE}/api/followups/", json={"id": 9}, status=201)
    event = to_event(
        parse_payload(load_json(SAMPLES / "django_helpdesk" / "new_ticket_via_api.json")),
        bot_user_id=BOT,
    )
    applied = Executor(helpdesk, example_policy).apply(event)
    assert applied.errors == []
    reply, note = (json.loads(call.request.body) for call in followups.calls)
    assert reply["public"] is True
    assert "subject line does not say" in reply["comment"]
    assert note["public"] is False
    assert note["comment"].endswith(
        # A Gold priority request runs on the 24x7 clock: closed hours are not told.
        "[ticket-warden article=1 replied=vague-subject,needs-info "
        "tags=needs-info,outside-office-hours,priority-request,sla-gold,vague-subject]"
    )
    fields = json.loads(patch.calls[0].request.body)
    assert fields["priority"] == 2 and fields["due_date"].endswith("Z")


@responses.activate
def test_retries_are_logged_under_the_helpdesks_own_name(caplog) -> None:
    client = DjangoHelpdeskClient(BASE, "bot", "pw", requests.Session(), sleep=lambda _: None)
    responses.get(f"{BASE}/api/tickets/1/", status=503, json={})
    responses.get(f"{BASE}/api/tickets/1/", json=TICKET)
    with caplog.at_level(logging.WARNING):
        client.ticket(1)
    assert "django-helpdesk GET /api/tickets/1/ failed (attempt 1)" in caplog.text
    assert "zammad" not in caplog.text.lower()


def test_the_serve_banner_names_the_helpdesk_it_writes_to() -> None:
    settings = Settings(
        helpdesk="django-helpdesk",
        django_helpdesk_url="https://desk.example",
        django_helpdesk_user="bot",
        django_helpdesk_password="pw",
        webhook_secret="s",
    )
    runtime = SimpleNamespace(dry_run=False)
    banner = describe(settings, runtime)  # type: ignore[arg-type]
    assert banner.startswith("live, writing to django-helpdesk at https://desk.example;")
