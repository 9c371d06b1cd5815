"""The fake Zammad's trigger selector and webhook job, checked against Zammad's own rules."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests.fake_zammad import rails
from tests.fake_zammad.selector import InvalidCondition, matches, validate
from tests.fake_zammad.webhooks import WebhookSender, record_payload, webhook_body

NOW = datetime(2026, 3, 3, 15, 0, tzinfo=UTC)

# db/seeds/triggers.rb 'auto reply (on new tickets)', with the seeded ids
AUTO_REPLY = {
    "ticket.action": {"operator": "is", "value": "create"},
    "ticket.state_id": {"operator": "is not", "value": 4},
    "article.type_id": {"operator": "is", "value": [1, 5, 11]},
    "article.sender_id": {"operator": "is", "value": 2},
}


def ticket(**changes: Any) -> dict[str, Any]:
    base = {
        "id": 7,
        "number": "31007",
        "title": "Printer on fire",
        "group_id": 1,
        "state_id": 1,
        "priority_id": 2,
        "customer_id": 3,
        "organization_id": None,
        "owner_id": 1,
        "created_by_id": 3,
        "updated_by_id": 3,
        "created_at": NOW,
        "updated_at": NOW,
        "article_count": 1,
        "first_response_at": None,
        "pending_time": None,
        "create_article_type_id": 1,
        "create_article_sender_id": 2,
    }
    return base | changes


def article(**changes: Any) -> dict[str, Any]:
    base = {
        "id": 70,
        "ticket_id": 7,
        "type_id": 1,
        "sender_id": 2,
        "internal": False,
        "from": "Carla <carla@example.com>",
        "to": "support@example.com",
        "cc": None,
        "subject": "Printer on fire",
        "body": "It <really> burns",
        "content_type": "text/plain",
        "preferences": {},
        "created_by_id": 3,
        "updated_by_id": 3,
        "created_at": NOW,
    }
    return base | changes


def hit(
    condition: dict[str, Any],
    *,
    t: dict[str, Any] | None = None,
    a: dict[str, Any] | bool | None = True,
    tags: tuple[str, ...] = (),
    action: str = "create",
    changed: tuple[str, ...] = (),
    selective: bool = True,
) -> bool:
    return matches(
        condition,
        ticket=t if t is not None else ticket(),
        article=article() if a is True else (a or None),
        tags=tags,
        action=action,
        changed=changed,
        changes_required=selective,
        now=NOW,
    )


# -- selector -----------------------------------------------------------------------------


def test_seeded_auto_reply_trigger() -> None:
    validate(AUTO_REPLY)
    assert hit(AUTO_REPLY)
    assert hit(AUTO_REPLY, a=article(type_id=11))
    assert not hit(AUTO_REPLY, action="update", changed=("state_id",))
    assert not hit(AUTO_REPLY, t=ticket(state_id=4))
    assert not hit(AUTO_REPLY, a=article(sender_id=1))
    assert not hit(AUTO_REPLY, a=article(type_id=10))
    assert not hit(AUTO_REPLY, a=None)


@pytest.mark.parametrize("value", [2, "2", ["2"], [2], " 2 ", [1, "2"], 2.0])
def test_integer_column_coerces_like_postgresql(value: Any) -> None:
    condition = {"article.sender_id": {"operator": "is", "value": value}}
    validate(condition)
    assert hit(condition)


@pytest.mark.parametrize("value", ["abc", "", ["", 2], True, [[2]], "2.5"])
def test_literals_postgresql_cannot_cast_break_the_query(value: Any) -> None:
    condition = {"article.sender_id": {"operator": "is", "value": value}}
    with pytest.raises(InvalidCondition):
        validate(condition)
    assert not hit(condition)
    assert not hit({"article.sender_id": {"operator": "is not", "value": value}})


@pytest.mark.parametrize("value", [False, "false", "f", ["false"], "no", "0", " FALSE "])
def test_boolean_column_literals(value: Any) -> None:
    condition = {"article.internal": {"operator": "is", "value": value}}
    validate(condition)
    assert hit(condition)
    assert not hit(condition, a=article(internal=True))


def test_boolean_column_refuses_integers() -> None:
    with pytest.raises(InvalidCondition):
        validate({"article.internal": {"operator": "is", "value": 0}})


def test_is_not_matches_null_and_is_does_not() -> None:
    assert hit({"ticket.organization_id": {"operator": "is not", "value": 5}})
    assert not hit({"ticket.organization_id": {"operator": "is", "value": 5}})
    assert hit({"ticket.organization_id": {"operator": "is", "value": None}})
    # NOT(NULL) is NULL in SQL: negating an unknown comparison matches nothing.
    negated = {
        "operator": "NOT",
        "conditions": [{"name": "ticket.organization_id", "operator": "is", "value": 5}],
    }
    assert not hit(negated)
    assert hit(negated, t=ticket(organization_id=6))


def test_empty_string_in_list_also_matches_null() -> None:
    t = ticket(custom_level=None)
    assert hit({"ticket.custom_level": {"operator": "is", "value": ["", "gold"]}}, t=t)
    assert not hit({"ticket.custom_level": {"operator": "is", "value": ["gold"]}}, t=t)
    assert not hit({"ticket.custom_level": {"operator": "is not", "value": ["", "gold"]}}, t=t)
    assert hit({"ticket.custom_level": {"operator": "is not", "value": ["gold"]}}, t=t)


def test_article_conditions_are_false_without_article() -> None:
    assert not hit({"article.sender_id": {"operator": "is not", "value": 2}}, a=None)
    assert not hit({"article.sender_id": {"operator": "is", "value": 2}}, a=None)
    negated = {
        "operator": "NOT",
        "conditions": [{"name": "article.sender_id", "operator": "is", "value": 2}],
    }
    # NOT(1 = 0) holds, over the INNER JOIN on the ticket's articles: needs one.
    assert hit(negated, a=None)
    assert not hit(negated, a=None, t=ticket(article_count=0))
    assert hit({"article.action": {"operator": "is not", "value": "create"}}, a=None)


def test_tags_operators() -> None:
    tags = ("vip", "billing")

    def tag(operator: str, value: str, held: tuple[str, ...] = tags) -> bool:
        return hit({"ticket.tags": {"operator": operator, "value": value}}, tags=held)

    assert tag("contains all", "vip, billing")
    assert not tag("contains all", "vip, urgent")
    assert tag("contains one", "urgent,vip")
    assert not tag("contains one", "urgent")
    assert tag("contains all not", "vip, urgent")
    assert not tag("contains all not", "vip,billing")
    assert tag("contains one not", "urgent, spam")
    assert not tag("contains one not", "urgent, vip")
    assert tag("contains all", "vip")  # one value: rewritten to 'contains one'
    assert not tag("contains all", "VIP")  # names compare exactly
    assert not tag("contains all", "vip, vip")  # HAVING COUNT(*) = 2 never holds
    assert not tag("contains one", "vip", held=())


def test_two_contains_one_tag_conditions_share_one_joined_row() -> None:
    # Both conditions read the same LEFT JOINed tag row: AND never holds for two names.
    condition = {
        "operator": "AND",
        "conditions": [
            {"name": "ticket.tags", "operator": "contains one", "value": "vip"},
            {"name": "ticket.tags", "operator": "contains one", "value": "billing"},
        ],
    }
    assert not hit(condition, tags=("vip", "billing"))


@pytest.mark.parametrize("value", [["vip"], None, 3])
def test_tags_value_must_be_a_string(value: Any) -> None:
    condition = {"ticket.tags": {"operator": "contains one", "value": value}}
    with pytest.raises(InvalidCondition):
        validate(condition)
    assert not hit(condition, tags=("vip",))


def test_selective_update_needs_an_article_or_a_named_change() -> None:
    condition = {"ticket.priority_id": {"operator": "is", "value": 2}}
    # update without article, only an unnamed attribute changed: the static action is 1 = 0
    assert not hit(condition, a=None, action="update", changed=("state_id",))
    assert hit(condition, a=None, action="update", changed=("priority_id",))
    assert hit(condition, action="update")  # an article was created
    assert hit(condition, a=None, action="update", selective=False)
    assert hit(condition, a=None, action="create")


def test_ticket_action_conditions() -> None:
    is_update = {"ticket.action": {"operator": "is", "value": "update"}}
    assert hit(is_update, action="update")
    assert not hit(is_update, a=None, action="update")
    assert hit(is_update, a=None, action="update", selective=False)
    assert not hit(is_update, action="create")
    assert not hit({"ticket.action": {"operator": "is", "value": ["update"]}}, action="update")
    # any operator but 'is' reads as 'is not'
    assert hit({"ticket.action": {"operator": "contains", "value": "create"}}, action="update")
    # 'update' as the value blocks even 'is not' when nothing changed
    is_not_update = {"ticket.action": {"operator": "is not", "value": "update"}}
    assert hit(is_not_update, action="create")
    assert not hit(is_not_update, a=None, action="create")
    assert hit(is_not_update, a=None, action="create", selective=False)


def test_nested_or_and_has_changed() -> None:
    condition = {
        "operator": "OR",
        "conditions": [
            {"name": "ticket.title", "operator": "contains", "value": "FIRE"},
            {"name": "ticket.owner_id", "operator": "has changed"},
        ],
    }
    validate(condition)
    assert hit(condition)
    assert hit(
        condition, t=ticket(title="Paper jam"), a=None, action="update", changed=("owner_id",)
    )
    assert not hit(condition, t=ticket(title="Paper jam"), a=None, action="update")


def test_contains_and_contains_not() -> None:
    assert hit({"article.subject": {"operator": "contains", "value": "printer"}})
    assert hit({"article.cc": {"operator": "contains not", "value": "x"}})  # NULL counts
    assert not hit({"article.cc": {"operator": "contains", "value": "x"}})
    assert hit({"ticket.title": {"operator": "starts with one of", "value": ["Scanner", "print"]}})
    assert not hit({"ticket.state_id": {"operator": "contains", "value": "1"}})  # integer ILIKE


@pytest.mark.parametrize(
    "condition",
    [
        {"ticket.state_id": {"operator": "equals", "value": 1}},
        {"ticket.state_id": {"operator": "is", "value": []}},
        {"ticket.state_id": {"operator": "is", "value": [], "pre_condition": "specific"}},
        {"ticket.state_id": {"operator": "is"}},
        {"ticket.title": {"operator": "contains", "value": " "}},
        {"ticket.state_id": "open"},
        {"customer.email": {"operator": "is", "value": "carla@example.com"}},
        {"ticket.state_id": {"operator": "is", "value": 1, "pre_condition": "bogus"}},
        {
            "operator": "XOR",
            "conditions": [{"name": "ticket.id", "operator": "is", "value": 1}] * 2,
        },
        {"operator": "AND", "conditions": [{}]},
    ],
)
def test_validate_refuses(condition: dict[str, Any]) -> None:
    with pytest.raises(InvalidCondition):
        validate(condition)
    assert not hit(condition)


def test_validate_accepts() -> None:
    validate({})
    validate({"ticket.owner_id": {"operator": "is", "value": [], "pre_condition": "not_set"}})
    validate({"ticket.custom_level": {"operator": "is", "value": "gold"}})
    validate({"ticket": {"operator": "nonsense"}})  # no attribute name: skipped
    validate(
        {"ticket.created_at": {"operator": "within last (relative)", "value": 2, "range": "day"}}
    )


def test_pre_conditions_and_dates() -> None:
    assert hit({"ticket.owner_id": {"operator": "is", "pre_condition": "not_set", "value": []}})
    assert hit(
        {"ticket.customer_id": {"operator": "is", "pre_condition": "current_user.id", "value": ""}}
    )
    recent = {
        "ticket.created_at": {"operator": "within last (relative)", "value": 2, "range": "hour"}
    }
    assert hit(recent)
    assert not hit(recent, t=ticket(created_at=datetime(2026, 3, 1, tzinfo=UTC)))
    assert hit(
        {"ticket.created_at": {"operator": "before (absolute)", "value": "2026-03-03T15:00:00Z"}}
    )
    assert not hit(
        {"ticket.created_at": {"operator": "after (relative)", "value": 1, "range": "day"}}
    )


# -- webhook payload ----------------------------------------------------------------------

USERS = {
    1: {"id": 1, "login": "-", "firstname": "", "lastname": "", "email": "", "active": True},
    3: {
        "id": 3,
        "login": "carla@example.com",
        "firstname": "Carla",
        "lastname": "Customer",
        "email": "carla@example.com",
        "organization_id": 9,
        "password": "{sha2}secret",
        "preferences": {"locale": "de-de"},
        "last_login": None,
        "login_failed": 0,
        "active": True,
        "created_by_id": 1,
        "updated_by_id": 1,
    },
}
ORGS = {9: {"id": 9, "name": "Acme", "shared": True, "active": True}}
GROUPS = {1: {"id": 1, "name": "Users", "email_address_id": 1, "active": True}}


def test_webhook_body_ticket_shape() -> None:
    body = webhook_body(
        ticket=ticket(organization_id=None),
        article=article(),
        users=USERS,
        organizations=ORGS,
        groups=GROUPS,
    )
    t = body["ticket"]
    keys = list(t)
    assert keys[-1] == "organization"  # no name was shown, so the association goes last
    assert keys[:-1] == sorted(keys[:-1])
    assert t["organization"] == {}
    assert t["state"] == "new"
    assert t["state_id"] == 1
    assert t["priority"]["name"] == "2 normal"
    assert t["priority"]["id"] == 2
    assert t["group"]["name"] == "Users"
    assert t["create_article_type"] == "email"
    assert t["create_article_sender"] == "Customer"
    assert t["article_ids"] == [70]
    assert "articles" not in t
    assert t["ticket_time_accounting"] == []
    customer = t["customer"]
    assert customer["login"] == "carla@example.com"
    assert customer["organization"] == "Acme"
    for hidden in ("password", "preferences", "last_login", "login_failed"):
        assert hidden not in customer
    assert list(customer) == sorted(customer)
    assert t["owner"]["login"] == "-"
    assert "tags" not in t


def test_webhook_body_article_shape() -> None:
    attachment = {"id": 501, "filename": "fire.jpg", "size": "1024", "preferences": {}}
    a = article(attachments=[attachment], preferences={"is-auto-response": True})
    body = webhook_body(ticket=ticket(), article=a, users=USERS, organizations=ORGS, groups=GROUPS)
    payload = body["article"]
    assert payload["sender"] == "Customer"
    assert payload["type"] == "email"
    assert payload["created_by"]["login"] == "carla@example.com"
    assert "password" not in payload["created_by"]
    assert payload["preferences"] == {"is-auto-response": True}
    assert payload["attachments"][0]["url"] == (
        "https://zammad.example.com/api/v1/ticket_attachment/7/70/501"
    )
    assert list(payload)[-1] == "accounted_time"
    assert payload["accounted_time"] == 0
    assert "ticket" not in payload


def test_webhook_body_without_article() -> None:
    body = webhook_body(
        ticket=ticket(), article=None, users=USERS, organizations=ORGS, groups=GROUPS
    )
    assert body["article"] == {}
    assert body["ticket"]["article_ids"] == []
    assert body["ticket"]["articles"] == []  # no records: Rails keeps the empty list


def test_record_payload_blank_record() -> None:
    assert record_payload(None, names=lambda _a, _i: None, associations={}) == {}


# -- webhook delivery ---------------------------------------------------------------------


class Endpoint:
    """A local HTTP endpoint answering with scripted statuses (200 once they run out)."""

    def __init__(self, statuses: list[int] | None = None, *, delay_first: float = 0.0) -> None:
        self.statuses = list(statuses or [])
        self.delay_first = delay_first
        self.requests: list[tuple[dict[str, str], bytes]] = []
        self.lock = threading.Lock()
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                with endpoint.lock:
                    first = not endpoint.requests
                    endpoint.requests.append((dict(self.headers), body))
                    status = endpoint.statuses.pop(0) if endpoint.statuses else 200
                if first and endpoint.delay_first:
                    threading.Event().wait(endpoint.delay_first)
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", "/elsewhere")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:
                    pass  # the client gave up (read timeout)

            def log_message(self, *_args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def sender() -> Iterator[WebhookSender]:
    with WebhookSender(wait_scale=0.0001, open_timeout=1.0, read_timeout=1.0) as instance:
        yield instance


def deliver(
    sender: WebhookSender, endpoint: Endpoint, payload: dict[str, Any], token: str | None = "s3cret"
) -> str:
    delivery = sender.send(
        endpoint=endpoint.url, trigger_name="warden trigger", payload=payload, signature_token=token
    )
    assert sender.wait_idle(10)
    return delivery


def test_delivery_signs_the_exact_body(sender: WebhookSender) -> None:
    endpoint = Endpoint()
    try:
        payload = {"ticket": {"title": "a <b> & c"}, "article": {}}
        delivery = deliver(sender, endpoint, payload)
    finally:
        endpoint.close()
    [(headers, body)] = endpoint.requests
    assert body == rails.dumps(payload)
    assert b"\\u003cb\\u003e \\u0026 c" in body
    assert json.loads(body) == payload
    expected = hmac.new(b"s3cret", body, hashlib.sha1).hexdigest()
    assert headers["X-Hub-Signature"] == f"sha1={expected}"
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert headers["User-Agent"] == "Zammad User Agent"
    assert headers["X-Zammad-Trigger"] == "warden trigger"
    assert headers["X-Zammad-Delivery"] == delivery
    [attempt] = sender.attempts
    assert (attempt.delivery, attempt.attempt, attempt.status, attempt.error) == (
        delivery,
        1,
        200,
        None,
    )
    assert attempt.body == body


def test_blank_token_sends_no_signature(sender: WebhookSender) -> None:
    endpoint = Endpoint()
    try:
        deliver(sender, endpoint, {"ticket": {}, "article": {}}, token="  ")
    finally:
        endpoint.close()
    [(headers, _body)] = endpoint.requests
    assert "X-Hub-Signature" not in headers


def test_retry_keeps_the_delivery_id(sender: WebhookSender) -> None:
    endpoint = Endpoint([500])
    try:
        delivery = deliver(sender, endpoint, {"ticket": {}, "article": {}})
    finally:
        endpoint.close()
    assert [(a.attempt, a.status) for a in sender.attempts] == [(1, 500), (2, 200)]
    assert {a.delivery for a in sender.attempts} == {delivery}
    assert {h["X-Zammad-Delivery"] for h, _b in endpoint.requests} == {delivery}


def test_redirect_is_a_failure_and_not_followed(sender: WebhookSender) -> None:
    endpoint = Endpoint([302])
    try:
        deliver(sender, endpoint, {"ticket": {}, "article": {}})
    finally:
        endpoint.close()
    assert [a.status for a in sender.attempts] == [302, 200]
    assert sender.attempts[0].error is not None
    assert len(endpoint.requests) == 2  # nothing fetched from /elsewhere


def test_gives_up_after_five_attempts(sender: WebhookSender) -> None:
    endpoint = Endpoint([500, 404, 500, 503, 500, 500])
    try:
        deliver(sender, endpoint, {"ticket": {}, "article": {}})
    finally:
        endpoint.close()
    assert [a.attempt for a in sender.attempts] == [1, 2, 3, 4, 5]
    assert all(a.error for a in sender.attempts)
    assert len(endpoint.requests) == 5


def test_timeouts_and_refused_connections_are_failures() -> None:
    endpoint = Endpoint(delay_first=0.5)
    try:
        with WebhookSender(wait_scale=0.0001, open_timeout=0.5, read_timeout=0.1) as sender:
            deliver(sender, endpoint, {"ticket": {}, "article": {}})
            assert [a.status for a in sender.attempts] == [None, 200]
            assert "Timeout" in str(sender.attempts[0].error)
    finally:
        endpoint.close()
    closed = endpoint.url  # the server is gone now: connections are refused
    with WebhookSender(wait_scale=0.0001, open_timeout=0.5, read_timeout=0.5) as sender:
        sender.send(endpoint=closed, trigger_name="t", payload={}, signature_token=None)
        assert sender.wait_idle(10)
        assert [(a.attempt, a.status) for a in sender.attempts] == [(i, None) for i in range(1, 6)]
