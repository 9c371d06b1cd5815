"""The Zammad client against ``responses``: success, retries, rate limits and errors."""

from __future__ import annotations

import json
import logging

import pytest
import requests
import responses
from responses import matchers

from plugin.errors import HelpdeskError, HelpdeskRateLimitError, HelpdeskUnavailableError
from plugin.zammad.client import ZammadClient

BASE = "https://helpdesk.example"
TOKEN = "s3cr3t-token-value"


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def client(sleeps: list[float]) -> ZammadClient:
    return ZammadClient(BASE, TOKEN, requests.Session(), timeout=3, sleep=sleeps.append)


@responses.activate
def test_token_header_timeout_and_json(client: ZammadClient) -> None:
    responses.get(
        f"{BASE}/api/v1/tags",
        json={"tags": ["sla-gold", "vip"]},
        match=[
            matchers.header_matcher({"Authorization": f"Token token={TOKEN}"}),
            matchers.query_param_matcher({"object": "Ticket", "o_id": "81"}),
        ],
    )
    assert client.tags(81) == ["sla-gold", "vip"]


@responses.activate
def test_every_call_has_a_timeout(client: ZammadClient, monkeypatch) -> None:
    seen = []
    original = requests.Session.request

    def spy(self, method, url, **kwargs):
        seen.append(kwargs.get("timeout"))
        return original(self, method, url, **kwargs)

    monkeypatch.setattr(requests.Session, "request", spy)
    responses.get(f"{BASE}/api/v1/users/me", json={"id": 99, "login": "bot"})
    responses.put(f"{BASE}/api/v1/tickets/81", json={"id": 81})
    client.me()
    client.update_ticket(81, {"priority": "3 high"})
    assert seen == [3, 3]


@responses.activate
def test_writes_send_the_documented_bodies(client: ZammadClient) -> None:
    tag = {"item": "sla-gold", "object": "Ticket", "o_id": 81}
    responses.post(
        f"{BASE}/api/v1/tags/add", json=True, status=201, match=[matchers.json_params_matcher(tag)]
    )
    responses.delete(
        f"{BASE}/api/v1/tags/remove",
        json=True,
        status=201,
        match=[matchers.json_params_matcher(tag)],
    )
    responses.put(
        f"{BASE}/api/v1/tickets/81",
        json={"id": 81, "priority": "3 high"},
        match=[matchers.json_params_matcher({"priority": "3 high", "state": "closed"})],
    )
    article = {"ticket_id": 81, "type": "note", "internal": True, "body": "x"}
    responses.post(
        f"{BASE}/api/v1/ticket_articles",
        json={"id": 5} | article,
        status=201,
        match=[matchers.json_params_matcher(article)],
    )
    client.add_tag(81, "sla-gold")
    client.remove_tag(81, "sla-gold")
    assert (
        client.update_ticket(81, {"priority": "3 high", "state": "closed"})["priority"] == "3 high"
    )
    assert client.create_article(article)["id"] == 5


@responses.activate
def test_503_then_200_is_retried_with_backoff(client: ZammadClient, sleeps: list[float]) -> None:
    url = f"{BASE}/api/v1/ticket_articles/by_ticket/81"
    responses.get(url, status=503, json={"error": "maintenance"})
    responses.get(url, status=502, body="Bad Gateway")
    responses.get(url, json=[{"id": 1}, {"id": 2}])
    assert [a["id"] for a in client.articles(81)] == [1, 2]
    assert len(responses.calls) == 3
    assert len(sleeps) == 2 and all(0 <= s <= 10 for s in sleeps)


@responses.activate
def test_429_honours_retry_after(client: ZammadClient, sleeps: list[float]) -> None:
    url = f"{BASE}/api/v1/ticket_articles"
    responses.post(url, status=429, headers={"Retry-After": "7"}, json={"error": "slow down"})
    responses.post(url, status=201, json={"id": 9})
    assert client.create_article({"ticket_id": 1, "body": "x"})["id"] == 9
    assert sleeps == [7.0]


@responses.activate
def test_429_forever_gives_up_with_a_rate_limit_error(client: ZammadClient) -> None:
    responses.get(f"{BASE}/api/v1/users/me", status=429, headers={"Retry-After": "1"})
    with pytest.raises(HelpdeskRateLimitError) as caught:
        client.me()
    assert caught.value.status == 429 and caught.value.retry_after == 1.0
    assert len(responses.calls) == 5


@responses.activate
def test_a_5xx_on_create_is_not_repeated(client: ZammadClient) -> None:
    """The article may exist already: the executor re-reads before trying again."""
    responses.post(f"{BASE}/api/v1/ticket_articles", status=500, json={"error": "boom"})
    with pytest.raises(HelpdeskError) as caught:
        client.create_article({"ticket_id": 1, "body": "x"})
    assert caught.value.status == 500
    assert len(responses.calls) == 1


@responses.activate
@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (401, {"error": "authentication failed"}, "authentication failed"),
        (
            403,
            {"error": "Not authorized", "error_human": "You are not allowed"},
            "You are not allowed",
        ),
        (404, {"error": "Couldn't find Ticket with 'id'=81"}, "Couldn't find Ticket with 'id'=81"),
        (422, {"error": "x", "error_human": "Invalid email address"}, "Invalid email address"),
    ],
)
def test_4xx_is_not_retried_and_keeps_status_and_message(client, status, body, message) -> None:
    responses.get(f"{BASE}/api/v1/tickets/81", status=status, json=body)
    with pytest.raises(HelpdeskError) as caught:
        client.ticket_all(81)
    assert (caught.value.status, caught.value.message) == (status, message)
    assert len(responses.calls) == 1
    assert TOKEN not in str(caught.value)


@responses.activate
def test_redirects_are_errors_not_followed(client: ZammadClient) -> None:
    responses.get(f"{BASE}/api/v1/users/me", status=302, headers={"Location": "/login"})
    with pytest.raises(HelpdeskError) as caught:
        client.me()
    assert caught.value.status == 302


@responses.activate
def test_timeouts_and_refused_connections(client: ZammadClient, sleeps, caplog) -> None:
    url = f"{BASE}/api/v1/tickets/81"
    responses.get(url, body=requests.ReadTimeout("read timed out"))
    responses.get(url, json={"id": 81, "state": "open"})
    with caplog.at_level(logging.WARNING):
        assert client.ticket_all(81)["state"] == "open"
    responses.replace(responses.GET, url, body=requests.ConnectionError("refused"))
    with pytest.raises(HelpdeskUnavailableError) as caught:
        client.ticket_all(81)
    assert "unreachable (ConnectionError)" in str(caught.value)
    for text in [str(caught.value), caplog.text, repr(client)]:
        assert TOKEN not in text


@responses.activate
def test_a_read_timeout_on_create_is_not_repeated(client: ZammadClient) -> None:
    responses.post(f"{BASE}/api/v1/ticket_articles", body=requests.ReadTimeout("slow"))
    with pytest.raises(HelpdeskUnavailableError):
        client.create_article({"ticket_id": 1, "body": "x"})
    assert len(responses.calls) == 1


@responses.activate
def test_total_retry_time_is_bounded(sleeps: list[float]) -> None:
    client = ZammadClient(
        BASE, TOKEN, requests.Session(), max_total_seconds=0.0, sleep=sleeps.append
    )
    responses.get(f"{BASE}/api/v1/users/me", status=503)
    with pytest.raises(HelpdeskError):
        client.me()
    assert len(responses.calls) == 1


@responses.activate
def test_non_json_success_is_an_error(client: ZammadClient) -> None:
    responses.get(f"{BASE}/api/v1/users/me", body="<html>proxy login</html>")
    with pytest.raises(HelpdeskError, match="not JSON"):
        client.me()
    responses.replace(responses.GET, f"{BASE}/api/v1/users/me", body=json.dumps({"id": 1}))
    assert client.me() == {"id": 1}


@responses.activate
def test_a_write_whose_answer_never_came_is_uncertain(client: ZammadClient) -> None:
    url = f"{BASE}/api/v1/ticket_articles"
    responses.post(url, body=requests.ReadTimeout("read timed out"))
    with pytest.raises(HelpdeskUnavailableError) as caught:
        client.create_article({"ticket_id": 1, "body": "x"})
    assert caught.value.uncertain is True
    responses.replace(responses.POST, url, body=requests.ConnectTimeout("connect timed out"))
    with pytest.raises(HelpdeskUnavailableError) as caught:
        client.create_article({"ticket_id": 1, "body": "x"})
    assert caught.value.uncertain is False  # never reached the server
    responses.get(f"{BASE}/api/v1/users/me", body=requests.ReadTimeout("slow"))
    with pytest.raises(HelpdeskUnavailableError) as caught:
        client.me()
    assert caught.value.uncertain is False  # a read changes nothing
