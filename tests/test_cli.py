"""The command line: evaluate and check, their output and exit codes."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from plugin.cli import main
from plugin.names import Clock
from plugin.runtime import build_runtime
from plugin.settings import Settings
from plugin.sla.clock import pause, start_clock
from plugin.store import SqliteStore
from tests.conftest import EXAMPLES, SAMPLES
from tests.test_policy import FIVE_MISTAKES
from webhooks.app import create_app

POLICY = str(EXAMPLES / "policy.yaml")
PAYLOADS = EXAMPLES / "payloads"

# Expected decision for every example payload under the example policy.
EXPECTED = {
    "gold-urgent-email": ("2026-03-03T19:00:00+02:00", ["priority-request", "sla-gold"], []),
    "gold-normal-friday": ("2026-03-09T10:00:00+02:00", ["sla-gold"], []),
    "silver-before-freedom-day": ("2026-04-28T13:00:00+02:00", ["sla-silver"], []),
    "per-incident-email": ("2026-03-09T08:00:00+02:00", ["per-incident"], []),
    "whatsapp": (None, ["non-email-channel", "per-incident"], ["non-email-channel"]),
    "wrong-address": (None, ["sla-gold", "wrong-address"], ["wrong-address"]),
    "vague-subject": (
        "2026-03-06T12:00:00+02:00",
        ["needs-info", "per-incident", "vague-subject"],
        ["vague-subject", "needs-info"],
    ),
    "meeting-request": (
        "2026-03-05T12:00:00+02:00",
        ["meeting-request", "meeting-unconfirmed", "sla-silver"],
        ["meeting-request"],
    ),
    "outside-hours": (
        "2026-03-10T08:00:00+02:00",
        ["outside-office-hours", "per-incident"],
        ["outside-office-hours"],
    ),
    "project-task": (None, ["project-task", "sla-gold"], []),
    "agent-reply": (None, [], []),
    "auto-reply": (None, [], []),
}


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_every_example_payload_is_covered() -> None:
    assert {path.stem for path in PAYLOADS.glob("*.json")} == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_evaluate_examples(capsys, name: str) -> None:
    status, out, err = run(capsys, "evaluate", str(PAYLOADS / f"{name}.json"), "--policy", POLICY)
    assert (status, err) == (0, "")
    decision = json.loads(out)
    due, tags, reasons = EXPECTED[name]
    assert decision["due_at"] == due
    assert decision["tags"] == tags
    assert [r for reply in decision["replies"] for r in reply["reasons"]] == reasons
    assert set(decision) >= {
        "tier",
        "client",
        "priority_request",
        "priority",
        "due_at",
        "guaranteed",
        "tags",
        "replies",
        "note",
        "close",
        "skipped",
    }
    assert (decision["skipped"] is not None) == (name in {"agent-reply", "auto-reply"})


def test_evaluate_the_zammad_docs_example_on_the_builtin_policy(capsys) -> None:
    path = SAMPLES / "zammad" / "docs_example_phone_ticket.json"
    status, out, _ = run(capsys, "evaluate", str(path))
    decision = json.loads(out)
    assert status == 0
    assert decision["tier"] == "per-incident" and decision["close"] is True
    assert decision["replies"][0]["to"] == "emily@example.com"


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{not json", "is not valid JSON: Expecting property name enclosed in double quotes"),
        ('{"hello": 1}', "is not a Zammad ticket payload: payload has no 'ticket' object"),
        ('{"ticket": {"id": 1}}', "is not a Zammad ticket payload: ticket.number: Field required"),
        ("[1, 2]", "payload must be a JSON object, not list"),
        (
            '{"ticket": {"id": 1, "number": "1", "created_at": "9999-12-31T23:59:59Z"}}',
            "ticket.created_at: Value error, 9999-12-31T23:59:59+00:00 is not a plausible time",
        ),
    ],
)
def test_evaluate_bad_payload_exits_2_with_one_line(
    capsys, tmp_path: Path, content, message
) -> None:
    path = tmp_path / "payload.json"
    path.write_text(content)
    status, out, err = run(capsys, "evaluate", str(path))
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and message in err
    assert err.startswith("ticket-warden: error: ")


def test_evaluate_missing_file_and_bad_policy(capsys, tmp_path: Path) -> None:
    status, _, err = run(capsys, "evaluate", str(tmp_path / "missing.json"))
    assert status == 2 and "cannot read" in err and err.count("\n") == 1
    bad_policy = tmp_path / "policy.yaml"
    bad_policy.write_text(FIVE_MISTAKES)
    payload = str(PAYLOADS / "gold-urgent-email.json")
    status, _, err = run(capsys, "evaluate", payload, "--policy", str(bad_policy))
    assert status == 2 and err.count("\n") == 1 and "policy:" in err and "timezone" in err


def test_evaluate_reads_stdin(monkeypatch, capsys) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO((PAYLOADS / "whatsapp.json").read_text()))
    status, out, _ = run(capsys, "evaluate", "-")
    assert status == 0 and json.loads(out)["close"] is True


def test_check_reports_all_five_mistakes_with_locations(capsys, tmp_path: Path) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(FIVE_MISTAKES)
    status, out, err = run(capsys, "check", "--policy", str(path))
    assert status == 2 and out == ""
    lines = err.splitlines()
    assert lines[-1] == "5 problems found"
    assert [line.split(": ")[0].rsplit(":", 1)[1] for line in lines[:-1]] == [
        "1",
        "4",
        "5",
        "7",
        "10",
    ]
    for key in (
        "timezone",
        "office_hours.tue[0]",
        "office_hours.wed",
        "holidays.country",
        "clients[0].tier",
    ):
        assert any(f": {key}: " in line for line in lines), key


def test_check_prints_a_summary(capsys) -> None:
    status, out, err = run(capsys, "check", "--policy", POLICY)
    assert status == 0 and err == ""
    assert "policy 'xstore' for xstore: OK" in out
    assert "clients: 3" in out
    status, out, _ = run(capsys, "check")
    assert status == 0 and "Africa/Johannesburg" in out


def test_console_script_runs_as_a_process() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "plugin.cli",
            "evaluate",
            str(PAYLOADS / "gold-urgent-email.json"),
            "--policy",
            POLICY,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["due_at"] == "2026-03-03T19:00:00+02:00"
    usage = subprocess.run(
        [sys.executable, "-m", "plugin.cli", "frobnicate"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert usage.returncode == 2 and "Traceback" not in usage.stderr


# -- serve, worker and send -----------------------------------------------------------


def test_serve_refuses_live_mode_without_a_secret(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WARDEN_ZAMMAD_URL", "https://helpdesk.example")
    monkeypatch.setenv("WARDEN_ZAMMAD_TOKEN", "t")
    monkeypatch.delenv("WARDEN_WEBHOOK_SECRET", raising=False)
    monkeypatch.setenv("WARDEN_STORE", str(tmp_path / "s.sqlite3"))
    status, _, err = run(capsys, "serve", "--port", "0")
    assert status == 2 and err.count("\n") == 1
    assert "WARDEN_WEBHOOK_SECRET is not set" in err


def test_bad_settings_are_one_line(capsys, monkeypatch) -> None:
    monkeypatch.setenv("WARDEN_ZAMMAD_URL", "ftp://helpdesk.example")
    status, _, err = run(capsys, "worker")
    assert status == 2 and err.count("\n") == 1
    assert "WARDEN_ZAMMAD_URL" in err


def test_bad_policy_stops_serve_with_one_line(capsys, monkeypatch, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(FIVE_MISTAKES)
    monkeypatch.setenv("WARDEN_POLICY", str(policy))
    monkeypatch.setenv("WARDEN_STORE", str(tmp_path / "s.sqlite3"))
    status, _, err = run(capsys, "serve", "--port", "0")
    assert status == 2 and err.count("\n") == 1 and "timezone" in err


def test_send_to_nowhere_is_one_line(capsys) -> None:
    payload = str(PAYLOADS / "whatsapp.json")
    status, _, err = run(capsys, "send", payload, "--url", "http://127.0.0.1:9/webhooks/zammad")
    assert status == 2 and err.count("\n") == 1 and "cannot reach" in err
    status, _, err = run(capsys, "send", "/nonexistent.json")
    assert status == 2 and "cannot read" in err


def test_send_signs_with_the_configured_secret(capsys, monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("WARDEN_WEBHOOK_SECRET", "shh")
    settings = Settings(store=str(tmp_path / "s.sqlite3"))
    app = create_app(settings, build_runtime(settings, immediate=True))
    sent = {}

    class Answer:
        status_code = 202
        text = '{"status": "accepted"}'

    def post(url, data, headers, timeout, allow_redirects):
        sent.update(url=url, headers=headers)
        response = app.test_client().post("/webhooks/zammad", data=data, headers=headers)
        Answer.status_code = response.status_code
        return Answer()

    monkeypatch.setattr("plugin.cli.requests.post", post)
    status, out, _ = run(capsys, "send", str(PAYLOADS / "whatsapp.json"), "--delivery", "x1")
    assert status == 0 and out.startswith("202 ")
    assert sent["headers"]["X-Zammad-Delivery"] == "x1"
    assert sent["headers"]["X-Hub-Signature"].startswith("sha1=")
    assert sent["url"] == "http://127.0.0.1:8000/webhooks/zammad"  # the default, a base URL
    run(capsys, "send", str(PAYLOADS / "whatsapp.json"), "--url", "http://h.example:9000/")
    assert sent["url"] == "http://h.example:9000/webhooks/zammad"
    run(capsys, "send", str(PAYLOADS / "whatsapp.json"), "--url", "http://h.example/tw/hook")
    assert sent["url"] == "http://h.example/tw/hook"
    monkeypatch.setenv("WARDEN_HELPDESK", "django-helpdesk")
    run(capsys, "send", str(PAYLOADS / "whatsapp.json"), "--url", "http://h.example")
    assert sent["url"] == "http://h.example/webhooks/django-helpdesk"
    assert sent["headers"]["X-Warden-Token"] == "shh"


def test_sla_prints_a_tickets_clock_record(monkeypatch, capsys, tmp_path: Path) -> None:
    store_path = tmp_path / "warden.sqlite3"
    monkeypatch.setenv("WARDEN_STORE", str(store_path))
    zone = ZoneInfo("Africa/Johannesburg")
    start = datetime(2026, 3, 2, 9, tzinfo=zone)
    record = start_clock(
        "42",
        tier="gold",
        clock=Clock.OFFICE_HOURS,
        target=timedelta(hours=4),
        started_at=start,
        due_at=start + timedelta(hours=4),
    )
    record = pause(record, start, "a guidance reply asked for needs-info")
    SqliteStore(store_path).save_clock(record)
    status, out, _ = run(capsys, "sla", "42")
    assert status == 0
    assert out.splitlines()[:2] == [
        "ticket 42: gold, 4 h on the office-hours clock",
        "due Mon 2026-03-02 13:00 SAST; waiting for the client since Mon 2026-03-02 09:00 SAST",
    ]
    assert "paused         a guidance reply asked for needs-info" in out
    status, _, err = run(capsys, "sla", "7")
    assert status == 2
    assert err.strip() == (
        f"ticket-warden: error: no SLA clock recorded for ticket 7 in {store_path}"
    )
