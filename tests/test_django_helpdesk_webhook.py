"""The django-helpdesk receiver route through Flask's test client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask

from plugin.runtime import build_runtime
from tests.conftest import SAMPLES, load_json
from tests.test_webhook import ADMIN, SECRET, settings_for
from webhooks.app import create_app

URL = "/webhooks/django-helpdesk"
BODY = json.dumps(load_json(SAMPLES / "django_helpdesk" / "new_ticket_via_api.json")).encode()


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    settings = settings_for(tmp_path, helpdesk="django-helpdesk")
    return create_app(settings, build_runtime(settings, immediate=True))


def test_a_new_ticket_is_accepted_with_the_token_and_decided(app: Flask) -> None:
    client = app.test_client()
    response = client.post(f"{URL}?token={SECRET}", data=BODY)
    assert response.status_code == 202 and response.json["status"] == "accepted"
    (entry,) = client.get("/decisions", headers=ADMIN).json["decisions"]
    assert entry["helpdesk"] == "django-helpdesk" and entry["ticket_number"] == "support-1"
    assert "vague-subject" in entry["decision"]["tags"]
    again = client.post(URL, data=BODY, headers={"X-Warden-Token": SECRET})
    assert again.status_code == 200 and again.json["status"] == "duplicate"


@pytest.mark.parametrize("query", ["", "?token=wrong", "?token="])
def test_a_missing_or_wrong_token_is_401(app: Flask, query: str) -> None:
    response = app.test_client().post(URL + query, data=BODY)
    assert response.status_code == 401 and response.json["error"] == "bad_token"


def test_bad_bodies(app: Flask) -> None:
    client = app.test_client()
    assert client.post(f"{URL}?token={SECRET}", data=b"{").status_code == 400
    shape = client.post(f"{URL}?token={SECRET}", data=b'{"ticket": {"title": 1}}')
    assert shape.status_code == 422 and "ticket.id" in shape.json["message"]


def test_a_zammad_installation_has_no_django_helpdesk_route(tmp_path: Path) -> None:
    settings = settings_for(tmp_path)
    app = create_app(settings, build_runtime(settings, immediate=True))
    response = app.test_client().post(f"{URL}?token={SECRET}", data=BODY)
    assert response.status_code == 404 and response.is_json
