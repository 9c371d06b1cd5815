"""`ticket-warden install --helpdesk django-helpdesk`: access check and settings to paste."""

from __future__ import annotations

import pytest
import responses

from plugin.cli import main

BASE = "http://helpdesk.example"


@pytest.fixture
def dh_env(monkeypatch) -> None:
    monkeypatch.setenv("WARDEN_HELPDESK", "django-helpdesk")
    monkeypatch.setenv("WARDEN_DJANGO_HELPDESK_URL", BASE)
    monkeypatch.setenv("WARDEN_DJANGO_HELPDESK_USER", "warden")
    monkeypatch.setenv("WARDEN_DJANGO_HELPDESK_PASSWORD", "pw")
    monkeypatch.setenv("WARDEN_WEBHOOK_SECRET", "s3cret")


@responses.activate
def test_install_prints_the_settings_to_paste(dh_env, capsys) -> None:
    responses.get(f"{BASE}/api/tickets/", json={"count": 0, "results": []})
    assert main(["install", "--webhook-url", "https://warden.example"]) == 0
    out = capsys.readouterr().out
    hook = "https://warden.example/webhooks/django-helpdesk?token=<WARDEN_WEBHOOK_SECRET>"
    assert f"HELPDESK_NEW_TICKET_WEBHOOK_URLS = {hook}" in out
    assert f"HELPDESK_FOLLOWUP_WEBHOOK_URLS = {hook}" in out
    assert "BasicAuthentication" in out and "WARDEN_DJANGO_HELPDESK_BOT_USER_ID" in out
    assert "s3cret" not in out and "pw" not in out.replace("WARDEN", "")


@responses.activate
@pytest.mark.parametrize(
    ("status", "message"),
    [
        (401, "rejected the bot's credentials"),
        (403, "make it staff"),
        (404, "has no django-helpdesk API"),
    ],
)
def test_access_problems_are_one_line(dh_env, capsys, status: int, message: str) -> None:
    responses.get(f"{BASE}/api/tickets/", status=status, json={"detail": "no"})
    assert main(["install", "--webhook-url", "https://warden.example"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and message in err


def test_missing_settings_are_one_line(dh_env, monkeypatch, capsys) -> None:
    monkeypatch.delenv("WARDEN_DJANGO_HELPDESK_PASSWORD")
    assert main(["install", "--helpdesk", "django-helpdesk", "--webhook-url", "https://w"]) == 2
    assert "WARDEN_DJANGO_HELPDESK_URL, _USER and _PASSWORD" in capsys.readouterr().err
