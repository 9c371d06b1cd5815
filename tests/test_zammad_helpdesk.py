"""The Helpdesk on Zammad's API, across a real socket to the fake Zammad server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from plugin.decision import Reply
from plugin.helpdesk import note_trailer
from plugin.moments import parse_api_time
from plugin.zammad.client import ZammadClient
from plugin.zammad.helpdesk import ZammadHelpdesk
from tests.conftest import example_payload
from tests.fake_zammad import BOT, FakeZammad, running


@pytest.fixture
def zammad() -> Iterator[tuple[FakeZammad, ZammadHelpdesk]]:
    fake = FakeZammad()
    fake.add_ticket_from_payload(example_payload("vague-subject"))
    with running(fake) as url:
        client = ZammadClient(url, fake.token, requests.Session(), timeout=5, sleep=lambda _: None)
        yield fake, ZammadHelpdesk(client, due_attribute="sla_due_at")


def test_ticket_state_reads_ticket_tags_and_articles(zammad) -> None:
    fake, helpdesk = zammad
    fake.tags[107] = ["per-incident"]
    fake.tickets[107]["sla_due_at"] = "2026-03-06T10:00:00.000Z"
    note = "x\n" + note_trailer(907, ("needs-info",))
    fake.articles[107].append(
        {"id": 908, "sender": "Agent", "internal": True, "body": note, "created_by_id": BOT["id"]}
    )
    state = helpdesk.ticket_state(107)
    assert state.tags == {"per-incident"}
    assert state.priority == "2 normal" and state.state == "new"
    assert state.due_at == datetime(2026, 3, 6, 10, tzinfo=UTC)
    customer, bot_note = state.articles
    assert customer.from_customer and not customer.by_bot
    assert bot_note.by_bot and bot_note.internal
    assert state.has_note_for(907) and state.replied_reasons(950) == {"needs-info"}
    assert helpdesk.bot_login == BOT["login"]


def test_writes_use_the_documented_shapes(zammad) -> None:
    fake, helpdesk = zammad
    helpdesk.add_tag(107, "needs-info")
    helpdesk.remove_tag(107, "needs-info")
    helpdesk.update_ticket(107, {"priority": "3 high", "sla_due_at": "2026-03-06T10:00:00Z"})
    helpdesk.post_note(107, "a note")
    email = Reply("email", "sam@x.example", "[Ticket#10107] Help", "<p>Hi <b>Sam</b></p>", ("a",))
    helpdesk.post_reply(107, email)
    whatsapp = Reply(
        "whatsapp message", "+2782", "s", '<p>See <a href="https://x/g">the guide</a></p>', ("b",)
    )
    helpdesk.post_reply(107, whatsapp)
    assert fake.tags[107] == []
    assert fake.tickets[107]["priority"] == "3 high"
    note, mail, chat = fake.writes_to("POST", "/api/v1/ticket_articles")
    assert note | {"body": None} == {
        "ticket_id": 107,
        "type": "note",
        "sender": "Agent",
        "internal": True,
        "subject": "ticket-warden",
        "content_type": "text/plain",
        "body": None,
    }
    assert (mail["type"], mail["to"], mail["content_type"], mail["internal"]) == (
        "email",
        "sam@x.example",
        "text/html",
        False,
    )
    assert chat["content_type"] == "text/plain"
    assert chat["body"] == "See the guide (https://x/g)"
    assert all(article["created_by_id"] == BOT["id"] for article in fake.bot_articles(107))


def test_a_configured_login_needs_no_lookup() -> None:
    client = ZammadClient("http://127.0.0.1:9", "t", requests.Session(), max_attempts=1)
    assert ZammadHelpdesk(client, due_attribute="x", bot_login="me").bot_login == "me"


def test_parse_api_time() -> None:
    assert parse_api_time("2026-03-03T17:00:00.000Z") == datetime(2026, 3, 3, 17, tzinfo=UTC)
    assert parse_api_time("2026-03-03T17:00:00") == datetime(2026, 3, 3, 17, tzinfo=UTC)
    assert parse_api_time(None) is None and parse_api_time("soon") is None
