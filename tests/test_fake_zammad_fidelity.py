"""The fake Zammad against Zammad's source, one behaviour an audit found it got wrong each."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.fake_zammad import AGENT, FakeZammad
from tests.fake_zammad.core import ALL_PERMISSIONS
from tests.test_fake_zammad_engine import Endpoint

T0 = datetime(2026, 3, 3, 9, 0, tzinfo=UTC)
CUSTOMER = "carla@example.com"
HIDDEN = {"error": "Error ID fake01: Please contact your administrator."}


@pytest.fixture
def zammad() -> Iterator[FakeZammad]:
    fake = FakeZammad()
    try:
        yield fake
    finally:
        fake.close()


def call(zammad: FakeZammad, method: str, path: str, body: Any = None) -> tuple[int, Any]:
    raw = json.dumps(body).encode() if body is not None else b""
    headers = {"authorization": f"Token token={zammad.token}"}
    status, payload, _headers = zammad.handle(method, f"http://zammad.test{path}", headers, raw)
    return status, payload


def new_ticket(zammad: FakeZammad, at: datetime = T0) -> int:
    ticket_id, _article = zammad.receive_mail(
        sender=CUSTOMER, name="Carla Diaz", subject="Printer", body="It burns.", at=at
    )
    return ticket_id


def test_last_contact_customer_at_keeps_the_thread_start(zammad: FakeZammad) -> None:
    """app/models/ticket/article/has_ticket_contact_attributes_impact.rb with the default
    ticket_last_contact_behaviour 'check_if_agent_already_replied' (db/seeds/settings.rb)."""
    ticket_id = new_ticket(zammad)
    ticket = zammad.tickets[ticket_id]
    assert ticket["last_contact_customer_at"] == ticket["last_contact_at"] == T0

    # The customer writes again before any agent reply: the thread's start stays.
    again = T0 + timedelta(hours=1)
    zammad.receive_mail(sender=CUSTOMER, subject="Re", body="Still.", ticket_id=ticket_id, at=again)
    assert ticket["last_contact_customer_at"] == ticket["last_contact_at"] == T0

    # After an agent's reply the customer's next article starts a new thread.
    zammad.agent_reply(ticket_id, body="On it", to=CUSTOMER, at=T0 + timedelta(hours=2))
    later = T0 + timedelta(hours=3)
    zammad.receive_mail(sender=CUSTOMER, subject="Re", body="Thanks", ticket_id=ticket_id, at=later)
    assert ticket["last_contact_customer_at"] == ticket["last_contact_at"] == later

    # An agent reply within the same second is not later (``.to_i``).
    other = new_ticket(zammad, at=T0.replace(microsecond=100_000))
    zammad.agent_reply(other, body="Hi", to=CUSTOMER, at=T0.replace(microsecond=700_000))
    soon = T0 + timedelta(seconds=5)
    zammad.receive_mail(sender=CUSTOMER, subject="Re", body="Hm", ticket_id=other, at=soon)
    assert zammad.tickets[other]["last_contact_customer_at"] == T0.replace(microsecond=100_000)

    # The other setting moves it on every customer article.
    zammad.ticket_last_contact_behaviour = "based_on_customer_reaction"
    last = T0 + timedelta(hours=4)
    zammad.receive_mail(sender=CUSTOMER, subject="Re", body="And?", ticket_id=ticket_id, at=last)
    assert ticket["last_contact_customer_at"] == last


def test_invalid_email_recipient_is_an_internal_error(zammad: FakeZammad) -> None:
    """app/models/ticket/article.rb#check_email_recipient_validity raises
    Exceptions::InvalidAttribute (lib/exceptions.rb: a StandardError), which
    app/controllers/application_controller/handles_errors.rb answers 500, the message for
    admins only."""
    ticket_id = new_ticket(zammad)
    article = {"ticket_id": ticket_id, "body": "Hi", "type": "email", "to": "nobody"}
    assert call(zammad, "POST", "/api/v1/ticket_articles", article) == (500, HIDDEN)
    assert len(zammad.articles[ticket_id]) == 1

    zammad.permissions = ALL_PERMISSIONS | {"admin"}
    message = "Sending an email without a valid recipient is not possible."
    assert call(zammad, "POST", "/api/v1/ticket_articles", article) == (500, {"error": message})
    # Every address of the list must be valid, not just one of them.
    mixed = article | {"to": "Ann <ann@example.com>, nobody"}
    assert call(zammad, "POST", "/api/v1/ticket_articles", mixed) == (500, {"error": message})
    assert len(zammad.articles[ticket_id]) == 1


def test_unknown_reference_ids_are_refused(zammad: FakeZammad) -> None:
    """app/models/application_model/can_cleanup_param.rb: an unknown id of a belongs_to with
    a class_name (app/models/ticket.rb, app/models/ticket/article.rb) raises
    Exceptions::UnprocessableEntity, a 422 with error_human."""
    ticket_id = new_ticket(zammad)
    ticket = zammad.tickets[ticket_id]

    def refused(name: str, shown: str) -> tuple[int, dict[str, str]]:
        message = f"Invalid value for param '{name}': {shown}"
        return 422, {"error": message, "error_human": message}

    path = f"/api/v1/tickets/{ticket_id}"
    assert call(zammad, "PUT", path, {"state_id": 999}) == refused("state_id", "999")
    assert call(zammad, "PUT", path, {"owner_id": "42"}) == refused("owner_id", '"42"')
    assert call(zammad, "PUT", path, {"create_article_sender_id": 9}) == refused(
        "create_article_sender_id", "9"
    )
    assert ticket["state_id"] == 1 and ticket["owner_id"] == 1
    # Known ids pass, the system user (1) too; blank ones are not looked up.
    known = {"owner_id": 1, "priority_id": 3, "customer_id": None}
    assert call(zammad, "PUT", path, known)[0] == 200

    articles = "/api/v1/ticket_articles"
    note = {"ticket_id": ticket_id, "body": "x"}
    assert call(zammad, "POST", articles, note | {"type_id": 99}) == refused("type_id", "99")
    assert call(zammad, "POST", articles, note | {"origin_by_id": 4242}) == refused(
        "origin_by_id", "4242"
    )
    # The article's refusal rolls the ticket update back with it.
    body = {"title": "Renamed", "article": note | {"sender_id": 77}}
    assert call(zammad, "PUT", path, body) == refused("sender_id", "77")
    assert ticket["title"] == "Printer" and len(zammad.articles[ticket_id]) == 1


def test_update_merges_preferences(zammad: FakeZammad) -> None:
    """app/controllers/tickets_controller.rb#update calls param_preferences_merge
    (app/models/application_model/can_cleanup_param.rb): Hash#merge, one level deep."""
    ticket_id = new_ticket(zammad)
    ticket = zammad.tickets[ticket_id]
    ticket["preferences"] = {"channel_id": 3, "escalation_calculation": {"sla_id": 1}}
    path = f"/api/v1/tickets/{ticket_id}"

    assert call(zammad, "PUT", path, {"preferences": {"warden": {"seen": True}}})[0] == 200
    assert ticket["preferences"] == {
        "channel_id": 3,
        "escalation_calculation": {"sla_id": 1},
        "warden": {"seen": True},
    }
    assert call(zammad, "PUT", path, {"preferences": {"escalation_calculation": {}}})[0] == 200
    assert ticket["preferences"]["escalation_calculation"] == {}  # replaced, not deep-merged
    assert call(zammad, "PUT", path, {"title": "Other"})[0] == 200
    assert ticket["preferences"]["channel_id"] == 3


def test_tags_ignore_case_on_add_and_remove_creates_the_item(zammad: FakeZammad) -> None:
    """app/models/tag.rb (2026): Tag.tag_add skips a tag Tag.tags_include? finds with
    LOWER(name) = LOWER(?); Tag.tag_remove goes through Tag::Item.lookup_by_name_and_create
    (app/models/tag/item.rb)."""
    ticket_id = new_ticket(zammad)

    def tag(method: str, action: str, item: str) -> int:
        body = {"object": "Ticket", "o_id": ticket_id, "item": item}
        return call(zammad, method, f"/api/v1/tags/{action}", body)[0]

    assert tag("POST", "add", "Urgent") == 201
    assert tag("POST", "add", " urgent ") == 201
    assert zammad.tags[ticket_id] == ["Urgent"]

    assert tag("DELETE", "remove", "vip") == 200
    assert tag("DELETE", "remove", "urgent") == 200  # not the same item: the tag stays
    assert zammad.tags[ticket_id] == ["Urgent"]
    _status, items = call(zammad, "GET", "/api/v1/tag_list")
    assert [(i["name"], i["count"]) for i in items] == [("Urgent", 1), ("vip", 0)]

    assert tag("DELETE", "remove", "Urgent") == 200
    assert zammad.tags[ticket_id] == []


def test_webhook_attempts_reread_the_webhook_and_rerender_the_payload(
    zammad: FakeZammad,
) -> None:
    """app/jobs/trigger_webhook_job.rb: each attempt reloads trigger, ticket and article,
    finds the active webhook again and posts a payload rendered then, with the webhook's
    signature token and basic auth (lib/user_agent.rb set_basic_auth)."""
    first, second = Endpoint([500]), Endpoint()
    zammad.webhook_wait_scale = 0.1  # the retry waits 1 s
    try:
        status, webhook = call(
            zammad,
            "POST",
            "/api/v1/webhooks",
            {"name": "warden", "endpoint": first.url, "signature_token": "one"},
        )
        assert status == 201
        trigger = {
            "name": "on create",
            "condition": {"ticket.action": {"operator": "is", "value": "create"}},
            "perform": {"notification.webhook": {"webhook_id": webhook["id"]}},
        }
        assert call(zammad, "POST", "/api/v1/triggers", trigger)[0] == 201
        ticket_id = new_ticket(zammad)

        deadline = time.monotonic() + 10
        while not zammad.webhooks_sent.attempts and time.monotonic() < deadline:
            time.sleep(0.01)
        with zammad.lock:  # before the retry: the records change
            zammad.tickets[ticket_id]["title"] = "Renamed"
        changes = {
            "endpoint": second.url,
            "signature_token": "two",
            "basic_auth_username": "warden",
            "basic_auth_password": "s3cret",
        }
        assert call(zammad, "PUT", f"/api/v1/webhooks/{webhook['id']}", changes)[0] == 200
        assert zammad.webhooks_sent.wait_idle(15)

        attempts = zammad.webhooks_sent.attempts
        assert [(a.attempt, a.status) for a in attempts] == [(1, 500), (2, 200)]
        [(_headers, old_body)] = first.requests
        [(headers, body)] = second.requests
        assert json.loads(old_body)["ticket"]["title"] == "Printer"
        assert json.loads(body)["ticket"]["title"] == "Renamed"
        digest = hmac.new(b"two", body, hashlib.sha1).hexdigest()
        assert headers["X-Hub-Signature"] == f"sha1={digest}"
        assert headers["Authorization"] == "Basic " + base64.b64encode(b"warden:s3cret").decode()

        # A webhook inactive when the job runs: no request (TriggerWebhookJob#abort?).
        call(zammad, "PUT", f"/api/v1/webhooks/{webhook['id']}", {"active": False})
        new_ticket(zammad)
        assert zammad.webhooks_sent.wait_idle(15)
        assert len(zammad.webhooks_sent.attempts) == 2
        assert len(zammad.webhooks_sent.aborted) == 1
    finally:
        first.close()
        second.close()


def test_missing_pending_time_is_a_422_without_error_human(zammad: FakeZammad) -> None:
    """app/models/concerns/checks_core_workflow.rb raises Exceptions::ApplicationModel
    (lib/exceptions.rb, a subclass of UnprocessableEntity): 422, and
    app/controllers/application_controller/handles_errors.rb#humanize_error gives no
    error_human, so a non-admin sees only an error id."""
    ticket_id = new_ticket(zammad)
    path = f"/api/v1/tickets/{ticket_id}"
    assert call(zammad, "PUT", path, {"state": "pending reminder"}) == (422, HIDDEN)

    zammad.permissions = ALL_PERMISSIONS | {"admin"}
    message = {"error": "Missing required value for field 'pending_time'!"}
    assert call(zammad, "PUT", path, {"state": "pending reminder"}) == (422, message)
    assert zammad.tickets[ticket_id]["state_id"] != 3


def test_agent_email_from_names_the_agent_via_the_group_address(zammad: FakeZammad) -> None:
    """app/models/ticket/article/adds_metadata_email.rb#recipient_name with the default
    ticket_define_email_from 'AgentNameSystemAddressName' and separator 'via'
    (db/seeds/settings.rb), quoted by Channel::EmailBuild.recipient_line
    (app/models/channel/email_build.rb)."""
    ticket_id = new_ticket(zammad)
    article = {"ticket_id": ticket_id, "body": "Hi", "type": "email", "to": CUSTOMER}
    status, created = call(zammad, "POST", "/api/v1/ticket_articles", article)
    assert status == 201
    assert created["from"] == '"ticket warden via Support" <support@xstore.example>'

    reply_id = zammad.agent_reply(ticket_id, body="Hello", to=CUSTOMER)
    reply = next(a for a in zammad.article_views(ticket_id) if a["id"] == reply_id)
    agent = f"{AGENT['firstname']} {AGENT['lastname']}"
    assert reply["from"] == f'"{agent} via Support" <support@xstore.example>'

    zammad.ticket_define_email_from = "SystemAddressName"
    status, created = call(zammad, "POST", "/api/v1/ticket_articles", article)
    assert created["from"] == "Support <support@xstore.example>"  # letters only: unquoted
