"""The receiver through Flask's test client: signatures, bad input, de-duplication."""

from __future__ import annotations

import io
import json
import logging
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import EnvironBuilder

from plugin.errors import HelpdeskUnavailableError, SettingsError
from plugin.runtime import build_runtime
from plugin.settings import Settings
from plugin.signature import sign
from tests.conftest import EXAMPLES, FakeHelpdesk, example_payload
from webhooks.app import create_app

SECRET = "webhook-secret"
URL = "/webhooks/zammad"


def signed(body: bytes, secret: str = SECRET, delivery: str | None = "d-1") -> dict[str, str]:
    """Headers Zammad sends for ``body`` (signature and delivery id)."""
    headers = {"Content-Type": "application/json", "X-Hub-Signature": sign(body, secret.encode())}
    if delivery is not None:
        headers["X-Zammad-Delivery"] = delivery
    return headers


ADMIN_TOKEN = "admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def body_of(name: str) -> bytes:
    return json.dumps(example_payload(name)).encode()


def settings_for(tmp_path: Path, **values) -> Settings:
    base = {
        "store": str(tmp_path / "store.sqlite3"),
        "webhook_secret": SECRET,
        "admin_token": ADMIN_TOKEN,
        "policy": EXAMPLES / "policy.yaml",
    }
    return Settings(**(base | values))


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    settings = settings_for(tmp_path)
    return create_app(settings, build_runtime(settings, immediate=True))


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def test_factory_builds_a_dry_run_app(app: Flask) -> None:
    runtime = app.extensions["ticket_warden"]
    assert runtime.dry_run and app.config["MAX_CONTENT_LENGTH"] == 1024 * 1024


def test_signed_payload_is_accepted_and_decided(client: FlaskClient) -> None:
    body = body_of("vague-subject")
    response = client.post(URL, data=body, headers=signed(body))
    assert response.status_code == 202
    assert response.json == {"status": "accepted", "delivery": "d-1"}
    (entry,) = client.get("/decisions", headers=ADMIN).json["decisions"]
    assert entry["delivery"] == "d-1" and entry["dry_run"] is True
    assert entry["helpdesk"] == "zammad" and entry["ticket_id"] == 107
    assert entry["decision"]["tags"] == ["needs-info", "per-incident", "vague-subject"]


def test_a_retry_with_the_same_delivery_id_is_a_duplicate(client: FlaskClient) -> None:
    body = body_of("gold-urgent-email")
    assert client.post(URL, data=body, headers=signed(body)).status_code == 202
    again = client.post(URL, data=body, headers=signed(body))
    assert again.status_code == 200 and again.json["status"] == "duplicate"
    assert len(client.get("/decisions", headers=ADMIN).json["decisions"]) == 1


def test_without_a_delivery_id_the_body_identifies_the_delivery(client: FlaskClient) -> None:
    body = body_of("gold-urgent-email")
    first = client.post(URL, data=body, headers=signed(body, delivery=None))
    assert first.json["delivery"].startswith("sha256-")
    assert client.post(URL, data=body, headers=signed(body, delivery=None)).status_code == 200


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "missing X-Hub-Signature header"),
        ({"X-Hub-Signature": "sha256=abc"}, "must start with 'sha1='"),
        ({"X-Hub-Signature": "sha1=" + "0" * 40}, "does not match"),
    ],
)
def test_unsigned_or_wrongly_signed_is_401(client: FlaskClient, headers, message) -> None:
    response = client.post(URL, data=body_of("whatsapp"), headers=headers)
    assert response.status_code == 401
    assert response.json["error"] == "bad_signature" and message in response.json["message"]


def test_signed_with_another_secret_is_401(client: FlaskClient) -> None:
    body = body_of("whatsapp")
    assert client.post(URL, data=body, headers=signed(body, "other")).status_code == 401


@pytest.mark.parametrize(
    ("body", "status", "error", "message"),
    [
        (b"{not json", 400, "bad_json", "the body is not JSON"),
        (b"\xff\xfe", 400, "bad_json", "the body is not JSON"),
        (b"[]", 422, "bad_payload", "payload must be a JSON object"),
        (b'{"ticket": {"id": "x"}}', 422, "bad_payload", "ticket.id: Input should be"),
        (b'{"article": {}}', 422, "bad_payload", "payload has no 'ticket' object"),
    ],
)
def test_bad_json_and_bad_shapes(client, body: bytes, status, error, message) -> None:
    response = client.post(URL, data=body, headers=signed(body))
    assert response.status_code == status
    assert response.json["error"] == error and message in response.json["message"]


def test_oversized_body_is_413_with_json(client: FlaskClient) -> None:
    body = b'{"padding": "' + b"x" * (1024 * 1024) + b'"}'
    response = client.post(URL, data=body, headers=signed(body))
    assert response.status_code == 413
    assert response.json["error"] == "request_entity_too_large"


def test_an_empty_article_is_valid_and_skipped(client: FlaskClient) -> None:
    payload = example_payload("gold-urgent-email") | {"article": {}}
    body = json.dumps(payload).encode()
    response = client.post(URL, data=body, headers=signed(body))
    assert response.status_code == 200 and response.json["status"] == "skipped"
    assert client.get("/decisions", headers=ADMIN).json["decisions"] == []


def test_never_a_redirect(client: FlaskClient) -> None:
    body = body_of("whatsapp")
    response = client.post(URL + "/", data=body, headers=signed(body))
    assert response.status_code == 404 and response.json["error"] == "not_found"
    assert client.get(URL).status_code == 405


def test_unexpected_errors_are_500_json_without_details(app: Flask, caplog) -> None:
    runtime = app.extensions["ticket_warden"]

    def broken(delivery: str, body: bytes) -> bool:
        raise RuntimeError("database on fire")

    runtime.submit = broken
    body = body_of("whatsapp")
    with caplog.at_level(logging.ERROR):
        response = app.test_client().post(URL, data=body, headers=signed(body))
    assert response.status_code == 500
    assert response.json == {
        "error": "internal_error",
        "message": "internal error; the server log has the details",
    }
    assert "database on fire" in caplog.text  # logged for the admin, not sent to the client


def test_decisions_limit_and_health(client: FlaskClient) -> None:
    assert client.get("/decisions?limit=0", headers=ADMIN).status_code == 400
    assert client.get("/decisions?limit=abc", headers=ADMIN).json["error"] == "bad_limit"
    health = client.get("/healthz").json
    assert health == {"status": "ok", "dry_run": True, "pending": 0, "dead": 0}


# -- live mode ----------------------------------------------------------------------------


def live_settings(tmp_path: Path, **values) -> Settings:
    return settings_for(tmp_path, zammad_url="https://helpdesk.example", zammad_token="t", **values)


def test_live_mode_refuses_to_start_without_a_secret(tmp_path: Path) -> None:
    settings = live_settings(tmp_path, webhook_secret="")
    with pytest.raises(SettingsError, match="WARDEN_WEBHOOK_SECRET is not set"):
        create_app(settings)


def test_only_the_loopback_demo_without_a_helpdesk_runs_open(tmp_path: Path) -> None:
    demo = settings_for(tmp_path, webhook_secret=None, admin_token=None)
    assert demo.is_open_demo("127.0.0.1") and demo.is_open_demo("::1")
    assert not demo.is_open_demo("0.0.0.0") and not demo.is_open_demo("10.1.2.3")
    app = create_app(demo, build_runtime(demo, immediate=True), open_demo=True)
    client = app.test_client()
    assert client.post(URL, data=body_of("whatsapp")).status_code == 202
    # Decisions still need the admin token: the demo made one, readable by its owner only.
    assert client.get("/decisions").status_code == 401
    token_file = tmp_path / "admin-token"
    assert token_file.stat().st_mode & 0o777 == 0o600
    made = {"Authorization": f"Bearer {token_file.read_text().strip()}"}
    assert len(client.get("/decisions", headers=made).json["decisions"]) == 1
    # The next start keeps the same token.
    create_app(demo, build_runtime(demo, immediate=True), open_demo=True)
    assert client.get("/decisions", headers=made).status_code == 200
    # The same demo on every interface needs the secret to start at all.
    with pytest.raises(SettingsError, match="WARDEN_WEBHOOK_SECRET is not set"):
        create_app(demo, open_demo=demo.is_open_demo("0.0.0.0"))


def test_a_dry_run_against_a_real_helpdesk_publishes_nothing(tmp_path: Path) -> None:
    """Decisions name customers and quote replies, dry run or not."""
    dry = live_settings(tmp_path, dry_run=True, webhook_secret=None)
    assert dry.is_dry_run and not dry.is_open_demo("127.0.0.1")
    with pytest.raises(SettingsError, match="WARDEN_WEBHOOK_SECRET is not set"):
        create_app(dry, open_demo=dry.is_open_demo("127.0.0.1"))
    settings = live_settings(tmp_path, dry_run=True, admin_token=None)
    client = create_app(settings, build_runtime(settings, immediate=True)).test_client()
    assert client.post(URL, data=body_of("whatsapp")).status_code == 401  # unsigned
    answer = client.get("/decisions", headers={"Authorization": f"Bearer {SECRET}"})
    assert answer.status_code == 403 and "WARDEN_ADMIN_TOKEN" in answer.json["message"]


def test_readiness_details_are_for_the_admin(tmp_path: Path) -> None:
    helpdesk = FakeHelpdesk()
    helpdesk.fail_on["ping"] = HelpdeskUnavailableError("cannot reach http://10.9.8.7:3000")
    settings = live_settings(tmp_path)
    client = create_app(
        settings, build_runtime(settings, helpdesk=helpdesk, immediate=True)
    ).test_client()
    anonymous = client.get("/readyz")
    assert anonymous.status_code == 503
    assert anonymous.json == {"status": "unready", "problems": ["helpdesk: not ready"]}
    assert "10.9.8.7" not in anonymous.get_data(as_text=True)
    admin = client.get("/readyz", headers=ADMIN)
    assert admin.json["problems"] == ["helpdesk: cannot reach http://10.9.8.7:3000"]


def test_a_limit_must_be_ascii_digits(client: FlaskClient) -> None:
    for limit in ("²", "٣", "1e3", "-1"):
        answer = client.get(f"/decisions?limit={limit}", headers=ADMIN)
        assert answer.status_code == 400 and answer.json["error"] == "bad_limit"


def test_live_mode_writes_through_the_helpdesk(tmp_path: Path) -> None:
    helpdesk = FakeHelpdesk()
    settings = live_settings(tmp_path)
    app = create_app(settings, build_runtime(settings, helpdesk=helpdesk, immediate=True))
    payload = example_payload("gold-urgent-email")
    helpdesk.add_ticket(payload)
    body = json.dumps(payload).encode()
    client = app.test_client()
    assert client.post(URL, data=body, headers=signed(body)).status_code == 202
    assert helpdesk.tag_sets[101] == {"priority-request", "sla-gold"}
    assert client.get("/decisions").status_code == 401
    # The webhook secret opens nothing but webhooks, with or without "Bearer ".
    assert (
        client.get("/decisions", headers={"Authorization": f"Bearer {SECRET}"}).status_code == 401
    )
    assert client.get("/decisions", headers={"Authorization": SECRET}).status_code == 401
    assert client.get("/decisions", headers={"Authorization": ADMIN_TOKEN}).status_code == 401
    listed = client.get("/decisions", headers=ADMIN)
    (entry,) = listed.json["decisions"]
    assert entry["dry_run"] is False and "internal note" in entry["writes"]


@pytest.mark.parametrize("where", ["ticket", "article"])
def test_a_time_out_of_range_is_refused_at_the_door(client: FlaskClient, where: str) -> None:
    """Year 9999 would overflow the calendar in the worker, on every retry."""
    payload = example_payload("gold-urgent-email")
    payload[where]["created_at"] = "9999-12-31T23:59:59Z"
    body = json.dumps(payload).encode()
    answer = client.post(URL, data=body, headers=signed(body))
    assert answer.status_code == 422 and "is not a plausible time" in answer.json["message"]


def call_streamed(app: Flask, body: bytes, headers: dict[str, str]) -> tuple[int, bytes]:
    """POST ``body`` as gunicorn passes a chunked one: no length, input terminated."""
    environ = EnvironBuilder(
        path=URL, method="POST", input_stream=io.BytesIO(body), headers=headers
    ).get_environ()
    environ.pop("CONTENT_LENGTH", None)
    environ["wsgi.input_terminated"] = True
    statuses: list[str] = []
    answer = b"".join(app(environ, lambda status, _headers: statuses.append(status)))
    return int(statuses[0].split()[0]), answer


def test_a_streamed_body_over_the_limit_is_413_not_cut(tmp_path: Path) -> None:
    """gunicorn hands chunked bodies over with no length; Werkzeug stops at the limit
    silently, and a cut body would fail its signature (401) instead."""
    settings = settings_for(tmp_path, max_body_bytes=2048)
    app = create_app(settings, build_runtime(settings, immediate=True))
    big = b'{"x": "' + b"y" * 5000 + b'"}'
    status, answer = call_streamed(app, big, signed(big))
    assert status == 413 and json.loads(answer)["error"] == "request_entity_too_large"
    small = json.dumps(example_payload("gold-urgent-email")).encode()
    assert len(small) < 2048
    status, _answer = call_streamed(app, small, signed(small))
    assert status == 202
