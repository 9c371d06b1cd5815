"""The Zammad payload adapter, on the recorded example from Zammad's docs and variants."""

from __future__ import annotations

import copy
from datetime import UTC, datetime

import pytest

from plugin.errors import PayloadError
from plugin.names import Sender
from plugin.zammad.payload import OWN_ARTICLE_PREFERENCE, parse_payload, to_model
from tests.conftest import example_payload, zammad_sample

DOCS_EXAMPLE = zammad_sample("docs_example_phone_ticket")


def test_docs_example_maps_to_the_neutral_model(builtin_policy) -> None:
    ticket, message = to_model(parse_payload(DOCS_EXAMPLE), builtin_policy)
    assert (ticket.id, ticket.number, ticket.title) == (81, "10081", "Webhook-Test")
    assert ticket.customer.email == "emily@example.com"
    assert ticket.customer.name == "Emily Adams"
    assert ticket.customer.organization == "Awesome Customer Inc."
    assert ticket.created_at == datetime(2020, 11, 13, 14, 34, 35, 282000, tzinfo=UTC)
    assert ticket.is_new and ticket.priority == "2 normal" and ticket.state == "open"
    assert message is not None
    assert (message.channel, message.sender, message.internal) == ("phone", Sender.CUSTOMER, False)
    assert message.content_type == "text/html" and message.attachment_count == 1
    assert message.to == ("Service Desk",)


def test_empty_article_means_no_message(builtin_policy) -> None:
    payload = copy.deepcopy(DOCS_EXAMPLE) | {"article": {}}
    _ticket, message = to_model(parse_payload(payload), builtin_policy)
    assert message is None
    del payload["article"]
    assert to_model(parse_payload(payload), builtin_policy)[1] is None


def test_follow_ups_tags_due_date_and_organization_tier(builtin_policy) -> None:
    policy = builtin_policy.model_copy(update={"organization_tier_attribute": "support_tier"})
    payload = example_payload("agent-reply")
    payload["ticket"]["sla_due_at"] = "2026-03-09T08:00:00Z"
    payload["ticket"]["tags"] = "sla-gold, needs-info"
    payload["ticket"]["organization"]["support_tier"] = "gold"
    ticket, message = to_model(parse_payload(payload), policy, replied_reasons=["needs-info"])
    assert not ticket.is_new
    assert ticket.due_at == datetime(2026, 3, 9, 8, tzinfo=UTC)
    assert ticket.tags == {"sla-gold", "needs-info"}
    assert ticket.replied_reasons == {"needs-info"}
    assert ticket.customer.organization_tier == "gold"
    assert message is not None and message.sender is Sender.AGENT
    # Tags the helpdesk API returned win over anything in the payload.
    ticket, _ = to_model(parse_payload(payload), policy, tags=["x"])
    assert ticket.tags == {"x"}


def test_garbage_due_date_is_ignored(builtin_policy) -> None:
    payload = example_payload("gold-urgent-email")
    payload["ticket"]["sla_due_at"] = "next tuesday"
    assert to_model(parse_payload(payload), builtin_policy)[0].due_at is None


def test_own_articles_are_recognised(builtin_policy) -> None:
    payload = example_payload("gold-urgent-email")
    payload["article"]["preferences"] = {OWN_ARTICLE_PREFERENCE: True}
    assert to_model(parse_payload(payload), builtin_policy)[1].written_by_bot
    payload["article"]["preferences"] = {}
    payload["article"]["created_by"] = {"login": "Warden-Bot"}
    _ticket, message = to_model(parse_payload(payload), builtin_policy, bot_login="warden-bot")
    assert message.written_by_bot


def test_auto_response_is_zammads_own_verdict(builtin_policy) -> None:
    """Zammad judges the mail's headers on arrival (channel/filter/auto_response_check.rb)
    and keeps only its verdict in the article's preferences, which the payload carries."""
    payload = example_payload("auto-reply")
    assert to_model(parse_payload(payload), builtin_policy)[1].is_auto_response
    payload["article"]["preferences"] = {}
    assert not to_model(parse_payload(payload), builtin_policy)[1].is_auto_response


def test_naive_times_are_taken_as_utc(builtin_policy) -> None:
    payload = example_payload("gold-urgent-email")
    payload["ticket"]["created_at"] = "2026-03-03T13:00:00"
    assert to_model(parse_payload(payload), builtin_policy)[0].created_at == datetime(
        2026, 3, 3, 13, tzinfo=UTC
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ([], "payload must be a JSON object, not list"),
        ({"article": {}}, "payload has no 'ticket' object"),
        ({"ticket": {"number": "1"}}, "ticket.id: Field required"),
        ({"ticket": {"id": "x", "number": "1"}}, "ticket.id: Input should be a valid integer"),
        ({"ticket": {"id": 1, "number": "1"}, "article": "hi"}, "article: Input should be"),
        (
            {"ticket": {"id": 1, "number": "1", "created_at": "soon"}, "article": {}},
            "ticket.created_at: Input should be a valid datetime",
        ),
    ],
)
def test_bad_payloads_say_what_is_wrong_in_one_line(data, message: str) -> None:
    with pytest.raises(PayloadError) as caught:
        parse_payload(data)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
