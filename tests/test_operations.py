"""Operations: /healthz, /readyz, /metrics and structured log lines."""

from __future__ import annotations

import io
import json
import logging
import socket
import time
from pathlib import Path

import pytest
import requests

import plugin.runtime as runtime_module
from plugin.errors import HelpdeskError, HelpdeskUnavailableError
from plugin.logs import JsonFormatter, configure_logging
from plugin.metrics import Metrics, path_template
from plugin.runtime import build_runtime
from plugin.zammad.client import ZammadClient
from tests.conftest import FakeHelpdesk, example_payload
from tests.fake_zammad import FakeZammad, running
from tests.test_webhook import SECRET, body_of, settings_for, signed
from webhooks.app import create_app


def metric_value(text: str, name: str, **labels: str) -> float:
    """The value of one sample in a Prometheus text exposition (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in labels.items())
    prefix = f"{name}{{{wanted}}}" if labels else name
    for line in text.splitlines():
        if line.startswith(prefix + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_webhooks_decisions_and_queue(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    app = create_app(settings, build_runtime(settings, immediate=True))
    client = app.test_client()
    body = body_of("vague-subject")
    client.post("/webhooks/zammad", data=body, headers=signed(body))
    client.post("/webhooks/zammad", data=body, headers=signed(body))
    client.post("/webhooks/zammad", data=body, headers={"X-Hub-Signature": "sha1=00"})
    response = client.get("/metrics")
    assert response.status_code == 200 and response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert metric_value(text, "ticket_warden_webhooks_total", outcome="accepted") == 1
    assert metric_value(text, "ticket_warden_webhooks_total", outcome="duplicate") == 1
    assert metric_value(text, "ticket_warden_webhooks_total", outcome="bad_signature") == 1
    assert metric_value(text, "ticket_warden_decisions_total", outcome="applied") == 1
    assert metric_value(text, "ticket_warden_decision_tags_total", tag="vague-subject") == 1
    assert metric_value(text, "ticket_warden_queue_depth") == 0
    assert SECRET not in text


def test_health_and_readiness(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(runtime_module, "READY_FRESH_SECONDS", 0.0)  # check on every call
    settings = settings_for(tmp_path)
    dry = create_app(settings, build_runtime(settings, immediate=True)).test_client()
    assert dry.get("/healthz").json["status"] == "ok"
    assert dry.get("/readyz").json == {"status": "ready"}

    helpdesk = FakeHelpdesk()
    live_settings = settings_for(
        tmp_path, zammad_url="https://h.example", zammad_token="tok", admin_token="adm"
    )
    live = create_app(
        live_settings, build_runtime(live_settings, helpdesk=helpdesk, immediate=True)
    )
    assert live.test_client().get("/readyz").status_code == 200
    helpdesk.fail_on["ping"] = HelpdeskUnavailableError("connection refused")
    answer = live.test_client().get("/readyz", headers={"Authorization": "Bearer adm"})
    assert answer.status_code == 503
    assert answer.json == {"status": "unready", "problems": ["helpdesk: connection refused"]}


def test_readiness_answers_at_once_while_the_helpdesk_hangs(tmp_path: Path) -> None:
    """A helpdesk that accepts connections and never answers must not hold /readyz."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # accepts (in the backlog), never answers
    url = f"http://127.0.0.1:{silent.getsockname()[1]}"
    settings = settings_for(tmp_path, zammad_url=url, zammad_token="tok", admin_token="adm")
    client = create_app(settings, build_runtime(settings, immediate=True)).test_client()
    try:
        for _ in range(3):
            started = time.monotonic()
            answer = client.get("/readyz")
            assert time.monotonic() - started < 1.5
            assert answer.status_code == 503
        time.sleep(runtime_module.PROBE_TIMEOUT_SECONDS + 0.5)  # the probe has timed out
        answer = client.get("/readyz", headers={"Authorization": "Bearer adm"})
        assert answer.status_code == 503 and "helpdesk" in answer.json["problems"][0]
    finally:
        silent.close()


def test_helpdesk_calls_are_measured_by_path_template_and_status() -> None:
    fake = FakeZammad()
    fake.add_ticket_from_payload(example_payload("gold-urgent-email"))
    metrics = Metrics()
    with running(fake) as url:
        client = ZammadClient(url, fake.token, requests.Session(), on_call=metrics.observe_call)
        client.ticket_all(101)
        with pytest.raises(HelpdeskError):
            client.ticket_all(999)
    text = metrics.exposition().decode()
    count = "ticket_warden_helpdesk_call_seconds_count"
    assert metric_value(text, count, method="GET", path="/api/v1/tickets/{id}", status="200") == 1
    assert metric_value(text, count, method="GET", path="/api/v1/tickets/{id}", status="404") == 1
    assert fake.token not in text
    assert path_template("/api/v1/ticket_articles/by_ticket/81?x=1") == (
        "/api/v1/ticket_articles/by_ticket/{id}"
    )


def test_a_processed_event_logs_its_delivery_and_ticket_as_json(tmp_path: Path) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("plugin.runtime")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        settings = settings_for(tmp_path)
        app = create_app(settings, build_runtime(settings, immediate=True))
        body = body_of("gold-urgent-email")
        app.test_client().post("/webhooks/zammad", data=body, headers=signed(body, delivery="d-9"))
    finally:
        logger.removeHandler(handler)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    (entry,) = [line for line in lines if line.get("delivery") == "d-9"]
    assert entry["ticket"] == 101 and entry["level"] == "INFO"
    assert "tags priority-request,sla-gold" in entry["message"]
    assert SECRET not in stream.getvalue()


def test_configure_logging_replaces_handlers() -> None:
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        configure_logging("json")
        assert isinstance(root.handlers[0].formatter, JsonFormatter)
        configure_logging("text")
        assert not isinstance(root.handlers[0].formatter, JsonFormatter)
    finally:
        root.handlers[:], _ = saved[0], root.setLevel(saved[1])
