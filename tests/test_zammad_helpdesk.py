"""The Helpdesk on Zammad's API, across a real socket to the fake Zammad server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import requests

from plugin.decision import Reply
from plugin.errors import HelpdeskError, HelpdeskRefusedError
from plugin.helpdesk import note_trailer
from plugin.moments import parse_api_time
from plugin.zammad.client import ZammadClient
from plugin.zammad.helpdesk import ZammadHelpdesk
from tests.conftest import example_payload
from tests.fake_zammad import BOT, FakeZammad, running


@pytest.fixture
def zammad() -> Iterator[tuple[FakeZammad, ZammadHelpdesk]]:
    fake = FakeZammad()
    fake.add_column("sla_due_at")
    fake.add_ticket_from_payload(example_payload("vague-subject"))
    with running(fake) as url:
        client = ZammadClient(url, fake.token, requests.Session(), timeout=5, sleep=lambda _: None)
        yield fake, ZammadHelpdesk(client, due_attribute="sla_due_at")


def test_ticket_state_is_one_read_of_ticket_tags_and_articles(zammad) -> None:
    fake, helpdesk = zammad
    fake.tags[107] = ["per-incident"]
    fake.tickets[107]["sla_due_at"] = datetime(2026, 3, 6, 10, tzinfo=UTC)
    note = "x\n" + note_trailer(907, ("needs-info",))
    helpdesk.update_ticket(107, {}, note)
    helpdesk.bot_login  # noqa: B018 - the one-time look-ups, before counting
    helpdesk.ticket_state(107)
    before = len(fake.requests)
    state = helpdesk.ticket_state(107)
    assert fake.requests[before:] == [("GET", "/api/v1/tickets/107")]
    assert state.tags == {"per-incident"}
    assert state.priority == "2 normal" and state.state == "new"
    assert state.due_at == datetime(2026, 3, 6, 10, tzinfo=UTC) and state.due_attribute_known
    customer, bot_note = state.articles
    assert customer.from_customer and not customer.by_bot
    assert bot_note.by_bot and bot_note.internal
    assert state.has_note_for(907) and state.replied_reasons(950) == {"needs-info"}
    assert helpdesk.bot_login == BOT["login"]


def test_an_attribute_zammad_does_not_know_yet_is_seen(zammad) -> None:
    fake, helpdesk = zammad
    fake.loaded_columns.clear()  # migrated, but Zammad not restarted
    assert not helpdesk.ticket_state(107).due_attribute_known
    assert helpdesk.ping() == [
        "due date not written: the helpdesk has no ticket field 'sla_due_at' yet (run "
        "'ticket-warden install', then restart Zammad; 'ticket-warden check' tells)"
    ]
    # Zammad drops the unknown key and answers 200: the answer tells it did not stick.
    assert helpdesk.update_ticket(107, {"sla_due_at": "2026-03-06T10:00:00Z"}, None) is None
    fake.restart()
    assert helpdesk.ping() == []
    stored = helpdesk.update_ticket(107, {"sla_due_at": "2026-03-06T10:00:00Z"}, None)
    assert stored == datetime(2026, 3, 6, 10, tzinfo=UTC)


def test_writes_use_zammads_shapes(zammad) -> None:
    fake, helpdesk = zammad
    helpdesk.add_tag(107, "needs-info")
    helpdesk.remove_tag(107, "needs-info")
    helpdesk.update_ticket(107, {"priority": "3 high", "sla_due_at": "2026-03-06T10:00:00Z"}, "n")
    email = Reply("email", "sam@x.example", "[Ticket#10107] Help", "<p>Hi <b>Sam</b></p>", ("a",))
    helpdesk.post_reply(107, email)
    whatsapp = Reply(
        "whatsapp message", "+2782", "s", '<p>See <a href="https://x/g">the guide</a></p>', ("b",)
    )
    helpdesk.post_reply(107, whatsapp)
    assert fake.tags[107] == []
    assert fake.ticket(107)["priority"] == "3 high"
    (update,) = fake.writes_to("PUT", "/api/v1/tickets/107")
    assert update["article"] == {
        "type": "note",
        "sender": "Agent",
        "internal": True,
        "subject": "ticket-warden",
        "content_type": "text/plain",
        "body": "n",
    }
    mail, chat = fake.writes_to("POST", "/api/v1/ticket_articles")
    assert (mail["type"], mail["sender"], mail["to"], mail["content_type"], mail["internal"]) == (
        "email",
        "System",
        "sam@x.example",
        "text/html",
        False,
    )
    assert chat["content_type"] == "text/plain" and chat["sender"] == "System"
    assert chat["body"] == "See the guide (https://x/g)"
    assert all(article["created_by_id"] == BOT["id"] for article in fake.bot_articles(107))
    assert fake.ticket(107)["first_response_at"] is None  # System replies are no answer


def test_a_group_without_an_email_address_refuses_replies_for_good(zammad) -> None:
    fake, helpdesk = zammad
    fake.groups[1]["email_address_id"] = None
    fake.permissions = fake.permissions | {"admin"}  # admins see Zammad's message
    reply = Reply("email", "sam@x.example", "s", "<p>Hi</p>", ("a",))
    with pytest.raises(HelpdeskRefusedError, match="No email address found for group 'Users'"):
        helpdesk.post_reply(107, reply)
    fake.permissions = fake.permissions - {"admin"}
    with pytest.raises(HelpdeskError) as raised:
        helpdesk.post_reply(107, reply)
    assert raised.value.status == 500 and not isinstance(raised.value, HelpdeskRefusedError)
    assert fake.bot_articles(107) == []


def test_a_configured_login_needs_no_lookup() -> None:
    client = ZammadClient("http://127.0.0.1:9", "t", requests.Session(), max_attempts=1)
    assert ZammadHelpdesk(client, due_attribute="x", bot_login="me").bot_login == "me"


def test_parse_api_time() -> None:
    assert parse_api_time("2026-03-03T17:00:00.000Z") == datetime(2026, 3, 3, 17, tzinfo=UTC)
    assert parse_api_time("2026-03-03T17:00:00") == datetime(2026, 3, 3, 17, tzinfo=UTC)
    assert parse_api_time(None) is None and parse_api_time("soon") is None


def test_with_tag_new_off_an_unknown_tag_is_refused(zammad) -> None:
    """Tag.tag_allowed? (app/models/tag.rb): why install creates the policy's tags."""
    fake, helpdesk = zammad
    fake.tag_new = False
    fake.permissions = frozenset({"ticket.agent"})
    with pytest.raises(HelpdeskError) as refused:
        helpdesk.add_tag(107, "needs-info")
    assert (refused.value.status, refused.value.message) == (403, "Not authorized")
    fake.tag_items.append("needs-info")  # what ticket-warden install does
    helpdesk.add_tag(107, "needs-info")
    assert fake.tags[107] == ["needs-info"]
