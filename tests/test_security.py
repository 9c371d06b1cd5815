"""Security properties: fail closed, constant-time checks, escaping, and secrets kept secret."""

from __future__ import annotations

import hmac
import json
import logging
from pathlib import Path

import pytest

from plugin import signature
from plugin.engine import evaluate
from plugin.errors import HelpdeskError, SettingsError
from plugin.runtime import build_runtime
from plugin.zammad.payload import parse_payload, to_model
from tests.conftest import FakeHelpdesk, example_payload
from tests.fake_zammad import FakeZammad, running
from tests.test_webhook import SECRET, settings_for, signed
from webhooks.app import create_app

TOKEN = "zammad-token-do-not-leak"


def test_no_secret_refuses_to_start_outside_dry_run(tmp_path: Path) -> None:
    live = settings_for(
        tmp_path, zammad_url="https://h.example", zammad_token=TOKEN, webhook_secret=None
    )
    with pytest.raises(SettingsError):
        create_app(live)
    with pytest.raises(SettingsError):
        create_app(
            settings_for(
                tmp_path, zammad_url="https://h.example", zammad_token=TOKEN, webhook_secret=""
            )
        )


def test_signatures_are_compared_in_constant_time(monkeypatch) -> None:
    calls = []
    original = hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return original(a, b)

    monkeypatch.setattr(signature.hmac, "compare_digest", spy)
    body = b'{"ticket": {}}'
    signature.verify_signature(body, signature.sign(body, b"k"), b"k")
    with pytest.raises(Exception, match="does not match"):
        signature.verify_signature(body, "sha1=" + "0" * 40, b"k")
    assert len(calls) == 2


def test_a_replayed_delivery_is_ignored(tmp_path: Path) -> None:
    helpdesk = FakeHelpdesk()
    settings = settings_for(tmp_path, zammad_url="https://h.example", zammad_token=TOKEN)
    app = create_app(settings, build_runtime(settings, helpdesk=helpdesk, immediate=True))
    payload = example_payload("gold-urgent-email")
    helpdesk.add_ticket(payload)
    body = json.dumps(payload).encode()
    client = app.test_client()
    assert (
        client.post("/webhooks/zammad", data=body, headers=signed(body, delivery="a")).status_code
        == 202
    )
    writes = list(helpdesk.writes)
    replay = client.post("/webhooks/zammad", data=body, headers=signed(body, delivery="a"))
    assert replay.json["status"] == "duplicate" and helpdesk.writes == writes


@pytest.mark.parametrize(
    "subject", ["<script>alert('x')</script>", "{{ 7*7 }} {% for x in y %}", "Help <b>me</b>"]
)
def test_hostile_subjects_come_out_escaped_and_unevaluated(example_policy, subject: str) -> None:
    # A wrong address is always answered, whatever the subject says.
    payload = example_payload("wrong-address")
    payload["ticket"]["title"] = subject
    payload["article"]["subject"] = subject
    payload["ticket"]["customer"]["firstname"] = "<img src=x onerror=alert(1)>"
    ticket, message = to_model(parse_payload(payload), example_policy)
    decision = evaluate(ticket, message, example_policy, ticket.created_at)
    (reply,) = decision.replies
    assert "<script>" not in reply.body and "<img" not in reply.body and "<b>me" not in reply.body
    assert "&lt;img src=x onerror=alert(1)&gt;" in reply.body
    assert "49" not in reply.subject  # template syntax in data is data, not code
    assert reply.subject == f"[Ticket#{ticket.number}] {subject}"


def test_token_and_secret_never_appear_in_logs_bodies_or_metrics(tmp_path: Path, caplog) -> None:
    fake = FakeZammad(token=TOKEN)
    payload = example_payload("gold-urgent-email")
    fake.add_ticket_from_payload(payload)
    fake.fail("GET", "/api/v1/tickets/101", 500, times=10)
    with running(fake) as url:
        settings = settings_for(
            tmp_path, zammad_url=url, zammad_token=TOKEN, retries=0, timeout_seconds=2
        )
        runtime = build_runtime(settings, immediate=True)
        app = create_app(settings, runtime)
        client = app.test_client()
        body = json.dumps(payload).encode()
        with caplog.at_level(logging.DEBUG):
            texts = [
                client.post("/webhooks/zammad", data=body, headers=signed(body)).get_data(
                    as_text=True
                ),
                client.post("/webhooks/zammad", data=b"{", headers=signed(b"{")).get_data(
                    as_text=True
                ),
                client.post("/webhooks/zammad", data=body).get_data(as_text=True),
                client.get("/metrics").get_data(as_text=True),
                client.get("/readyz").get_data(as_text=True),
                client.get("/decisions", headers={"Authorization": f"Bearer {SECRET}"}).get_data(
                    as_text=True
                ),
                client.get("/decisions", headers={"Authorization": "Bearer wrong"}).get_data(
                    as_text=True
                ),
            ]
        assert "failed for good" in caplog.text  # the failure was logged...
        texts.append(caplog.text)
        texts.append(repr(settings))
        for text in texts:
            assert TOKEN not in text and SECRET not in text  # ...without the token or secret


def test_helpdesk_errors_carry_no_credentials() -> None:
    error = HelpdeskError(401, "authentication failed", method="GET", path="/api/v1/users/me")
    assert TOKEN not in str(error)
