"""The admin console through Flask's test client: the credential, the session cookie,
CSRF, and what each page shows (webhooks/admin/)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from plugin.engine import evaluate
from plugin.policy import Policy
from plugin.reports.backtest import Replay, TicketFacts, build_result
from plugin.runtime import build_runtime
from plugin.store import SqliteStore
from tests.conftest import EXAMPLES, SAST, email, ticket_for
from tests.fake_zammad import FakeZammad
from tests.test_reports import month
from tests.test_webhook import ADMIN, ADMIN_TOKEN, URL, body_of, settings_for, signed
from webhooks.app import create_app

NOW = datetime(2026, 12, 1, 9, tzinfo=UTC)
PAGES = ("/admin/", "/admin/decisions", "/admin/policy", "/admin/try", "/admin/report",
         "/admin/backtest")  # fmt: skip


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    settings = settings_for(tmp_path)
    return create_app(settings, build_runtime(settings, immediate=True))


@pytest.fixture
def anonymous(app: Flask) -> FlaskClient:
    return app.test_client()


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no CSRF token"
    return found[1]


def sign_in(client: FlaskClient, token: str = ADMIN_TOKEN, **extra: str) -> tuple[int, str]:
    page = client.get("/admin/login").get_data(as_text=True)
    answer = client.post("/admin/login", data={"csrf_token": csrf_of(page), "token": token} | extra)
    return answer.status_code, answer.headers.get("Location", "")


@pytest.fixture
def admin(app: Flask) -> FlaskClient:
    client = app.test_client()
    assert sign_in(client)[0] == 302
    return client


def page(client: FlaskClient, path: str) -> str:
    answer = client.get(path)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_data(as_text=True)


def decide(client: FlaskClient, name: str, delivery: str) -> None:
    body = body_of(name)
    assert client.post(URL, data=body, headers=signed(body, delivery=delivery)).status_code == 202


# -- the credential ----------------------------------------------------------------


@pytest.mark.parametrize("path", PAGES)
def test_every_page_needs_a_session(anonymous: FlaskClient, path: str) -> None:
    decide(anonymous, "whatsapp", "d-1")
    answer = anonymous.get(path)
    assert answer.status_code == 302
    assert answer.headers["Location"].startswith("/admin/login?next=/admin")
    assert b"whatsapp" not in answer.get_data().lower()


def test_signing_in_sets_a_strict_http_only_cookie(anonymous: FlaskClient) -> None:
    status, location = sign_in(anonymous, next="/admin/policy")
    assert (status, location) == (302, "/admin/policy")
    cookie = anonymous.get_cookie("warden_admin")
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    assert not cookie.secure  # plain HTTP here; see the HTTPS test
    assert ADMIN_TOKEN not in cookie.value  # signed with a key derived from it, not it
    assert "Tiers and their clocks" in page(anonymous, "/admin/policy")


def test_a_webhook_gets_no_session_and_a_cookie_without_a_session_signs_nobody_in(
    anonymous: FlaskClient,
) -> None:
    """Requests without cookies (webhooks) skip the session's signing; a cookie that
    is not a signed session still signs nobody in."""
    body = body_of("whatsapp")
    answer = anonymous.post(URL, data=body, headers=signed(body, delivery="d-1"))
    assert answer.status_code == 202
    assert "Set-Cookie" not in answer.headers and "Cookie" not in answer.headers.get("Vary", "")
    anonymous.set_cookie("warden_admin", "forged")
    assert anonymous.get("/admin/").status_code == 302
    assert anonymous.get("/decisions").status_code == 401


def test_the_cookie_is_secure_over_https(app: Flask) -> None:
    client = app.test_client()
    login = client.get("/admin/login", base_url="https://warden.example")
    form = {"csrf_token": csrf_of(login.get_data(as_text=True)), "token": ADMIN_TOKEN}
    client.post("/admin/login", data=form, base_url="https://warden.example")
    cookie = client.get_cookie("warden_admin", domain="warden.example")
    assert cookie is not None and cookie.secure


def test_a_wrong_token_is_refused_and_repeated_tries_must_wait(anonymous: FlaskClient) -> None:
    for _ in range(5):
        assert sign_in(anonymous, token="guess")[0] == 401
    status, _ = sign_in(anonymous)  # even the right token, for a while
    assert status == 429
    assert anonymous.get("/admin/").status_code == 302


def test_forms_without_their_csrf_token_are_refused(admin: FlaskClient) -> None:
    refused = admin.post("/admin/try", data={"subject": "Help", "body": "", "time": ""})
    assert refused.status_code == 400
    assert "CSRF" in refused.get_data(as_text=True)
    assert refused.content_type.startswith("text/html")  # a console page, not JSON
    fresh = FlaskClient(admin.application)
    assert fresh.post("/admin/login", data={"token": ADMIN_TOKEN}).status_code == 400
    assert admin.post("/admin/logout").status_code == 400


def test_signing_out_ends_the_session(admin: FlaskClient) -> None:
    token = csrf_of(page(admin, "/admin/"))
    assert admin.post("/admin/logout", data={"csrf_token": token}).status_code == 302
    assert admin.get("/admin/").status_code == 302


def test_decisions_json_takes_the_bearer_token_or_the_session(
    anonymous: FlaskClient, admin: FlaskClient
) -> None:
    assert anonymous.get("/decisions").status_code == 401
    assert anonymous.get("/decisions", headers=ADMIN).status_code == 200
    assert admin.get("/decisions").status_code == 200


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/admin", "/decisions"])
def test_after_signing_in_only_console_pages_are_followed(
    anonymous: FlaskClient, target: str
) -> None:
    assert sign_in(anonymous, next=target)[1] == "/admin/"


def test_without_an_admin_token_the_console_is_off(tmp_path: Path) -> None:
    settings = settings_for(tmp_path, admin_token=None)
    client = create_app(settings, build_runtime(settings, immediate=True)).test_client()
    login = client.get("/admin/login").get_data(as_text=True)
    assert "The console is off" in login
    assert client.post("/admin/login", data={"token": ""}).status_code == 400  # no CSRF token
    assert client.get("/admin/").status_code == 302


def test_pages_forbid_scripts_and_framing(admin: FlaskClient) -> None:
    answer = admin.get("/admin/")
    assert "default-src 'none'" in answer.headers["Content-Security-Policy"]
    assert "script-src" not in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"
    assert answer.headers["Cache-Control"] == "no-store"
    assert admin.get("/admin/static/console.css").status_code == 200


# -- the pages ---------------------------------------------------------------------


def test_decisions_show_the_ticket_findings_reply_and_note(admin: FlaskClient) -> None:
    decide(admin, "vague-subject", "d-1")
    decide(admin, "whatsapp", "d-2")
    shown = page(admin, "/admin/decisions")
    assert shown.count('class="decision"') == 2
    assert "vague-subject" in shown and "non-email-channel" in shown
    assert "Reply to" in shown and "Internal note" in shown
    assert "nothing (dry run)" in shown
    only = page(admin, "/admin/decisions?tag=non-email-channel")
    assert only.count('class="decision"') == 1 and "whatsapp" in only.lower()


def test_decisions_filter_by_client_tier_and_day(admin: FlaskClient) -> None:
    decide(admin, "vague-subject", "d-1")
    entry = admin.get("/decisions", headers=ADMIN).json["decisions"][0]
    tier = entry["decision"]["tier"]
    assert page(admin, f"/admin/decisions?tier={tier}").count('class="decision"') == 1
    assert page(admin, "/admin/decisions?tier=nonesuch").count('class="decision"') == 0
    assert page(admin, "/admin/decisions?client=Nobody").count('class="decision"') == 0
    day = datetime.fromisoformat(entry["decided_at"]).date()
    assert page(admin, f"/admin/decisions?since={day}&until={day}").count('class="decision"') == 1
    assert page(admin, "/admin/decisions?until=2000-01-01").count('class="decision"') == 0
    bad = admin.get("/admin/decisions?since=yesterday")
    assert bad.status_code == 400 and "dates must be days" in bad.get_data(as_text=True)


def test_overview_counts_and_failures(app: Flask, admin: FlaskClient) -> None:
    decide(admin, "vague-subject", "d-1")
    runtime = app.extensions["ticket_warden"]
    runtime.store.accept("d-dead", b"{}")
    runtime.store.finish("d-dead", error="unreadable payload: nothing")
    runtime.store.accept("d-retrying", b"{}")
    runtime.store.count_attempt("d-retrying")
    entry = runtime.store.recent(1)[0]
    failed = entry | {"delivery": "d-9", "errors": ["tags not written: Not authorized (HTTP 401)"]}
    runtime.store.record(failed)
    shown = page(admin, "/admin/")
    assert "no helpdesk configured" in shown
    assert re.search(r"<td>dry run</td><td>1</td>", shown)
    assert re.search(r"<td>with errors</td><td>1</td>", shown)
    assert "ticket-warden requeue d-dead" in shown and "unreadable payload" in shown
    assert re.search(r'id="queue">.*?<div class="figure">1</div>', shown, re.S)
    assert re.search(r'id="retrying">.*?<div class="figure">1</div>', shown, re.S)
    assert "<td>d-retrying</td>" in shown
    assert "Not authorized (HTTP 401)" in shown and "set WARDEN_ZAMMAD_TOKEN" in shown


def test_policy_page_shows_tiers_clients_week_and_closures(
    admin: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    shown = page(admin, "/admin/policy")
    assert "Cobalt Clinics" in shown and "it@cobalt.example" in shown
    bars = re.findall(r'<rect class="open" x="([\d.]+)" y="([\d.]+)"', shown)
    assert len({y for _x, y in bars}) == 5  # Monday to Friday, each on its own row
    assert "08:00-17:00" in shown
    assert "No problems" in shown


def test_policy_page_tells_a_changed_or_broken_file(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text((EXAMPLES / "policy.yaml").read_text())
    settings = settings_for(tmp_path, policy=policy)
    client = create_app(settings, build_runtime(settings, immediate=True)).test_client()
    sign_in(client)
    policy.write_text(policy.read_text().replace("response_hours: 2 ", "response_hours: 3 "))
    assert "has changed since ticket-warden started" in page(client, "/admin/policy")
    policy.write_text(policy.read_text().replace("timezone: Africa/Johannesburg", "timezone: Mars"))
    shown = page(client, "/admin/policy")
    assert "Problems in the policy file" in shown and "Mars" in shown


def test_try_a_ticket_shows_the_decision_and_writes_nothing(app: Flask, admin: FlaskClient) -> None:
    form = page(admin, "/admin/try")
    assert 'value="support@xstore.example"' in form
    data = {
        "csrf_token": csrf_of(form),
        "subject": "Help",
        "body": "It does not work.",
        "from": "it@cobalt.example",
        "to": "support@xstore.example",
        "channel": "email",
        "time": "2026-11-30T09:15",
    }
    shown = admin.post("/admin/try", data=data).get_data(as_text=True)
    assert 'id="trial-decision"' in shown
    assert "vague-subject" in shown and "Cobalt Clinics" in shown
    assert "2026-11-30 11:15 SAST" in shown  # the client's 2 h, in office hours
    assert app.extensions["ticket_warden"].store.recent(10) == []
    refused = admin.post("/admin/try", data=data | {"time": "soon", "from": "nobody"})
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    assert "the time must be a date and time" in text and "must be an email address" in text


def test_report_page_has_both_charts_with_their_tables(app: Flask, admin: FlaskClient) -> None:
    store: SqliteStore = app.extensions["ticket_warden"].store
    for record in month():
        store.save_clock(record)
    shown = page(admin, "/admin/report?month=2026-11")
    assert shown.count("<svg") == 2
    assert "<tr><td>2026-11</td><td>3</td>\n<td>2</td></tr>" in shown
    assert "<td>Acme Storage</td><td>gold</td><td>4</td>" in shown
    assert admin.get("/admin/report?month=11-2026").status_code == 400


def test_backtest_page_before_and_after_a_backtest(
    app: Flask, admin: FlaskClient, example_policy: Policy
) -> None:
    assert "No backtest has been run yet" in page(admin, "/admin/backtest")
    vague = email(subject="Help", body="Broken.")
    replayed = [
        Replay(
            TicketFacts(7, "10007", "Help", vague.created_at, None),
            evaluate(ticket_for(vague, id=7), vague, example_policy, NOW),
        )
    ]
    result = build_result(
        replayed, window="90d", span=timedelta(days=90), made_at=NOW, zone=SAST, policy="xstore"
    )
    app.extensions["ticket_warden"].store.save_backtest(result.to_json())
    shown = page(admin, "/admin/backtest")
    assert "No backtest has been run yet" not in shown
    assert "10007" in shown and "vague-subject" in shown


def test_overview_of_a_dry_run_against_a_helpdesk_says_it_was_not_checked(
    tmp_path: Path,
) -> None:
    settings = settings_for(
        tmp_path, zammad_url="http://127.0.0.1:9", zammad_token="t", dry_run=True
    )
    client = create_app(settings, build_runtime(settings, immediate=True)).test_client()
    sign_in(client)
    shown = page(client, "/admin/")
    assert "not checked" in shown and "a dry run does not contact it" in shown


def test_policy_page_lists_what_check_finds_missing_in_zammad(
    tmp_path: Path, zammad_server: tuple[FakeZammad, str]
) -> None:
    zammad, url = zammad_server  # nothing installed yet
    settings = settings_for(tmp_path, zammad_url=url, zammad_token=zammad.token)
    client = create_app(settings, build_runtime(settings, immediate=True)).test_client()
    sign_in(client)
    shown = page(client, "/admin/policy")
    assert 'id="installation-problems"' in shown
    assert "is missing: run &#39;ticket-warden install&#39;" in shown


def sign_in_as(client: FlaskClient, address: str, token: str, **headers: str) -> int:
    login = client.get("/admin/login", headers=headers).get_data(as_text=True)
    form = {"csrf_token": csrf_of(login), "token": token}
    sent = {"X-Forwarded-For": address} | headers
    return client.post("/admin/login", data=form, headers=sent).status_code


def test_forwarded_headers_count_only_behind_a_configured_proxy(tmp_path: Path) -> None:
    direct = settings_for(tmp_path / "direct")
    client = create_app(direct, build_runtime(direct, immediate=True)).test_client()
    for number in range(5):
        assert sign_in_as(client, f"198.51.100.{number}", "guess") == 401
    # Made-up X-Forwarded-For addresses do not get around the throttle ...
    assert sign_in_as(client, "198.51.100.99", ADMIN_TOKEN) == 429

    proxied = settings_for(tmp_path / "proxied", proxy_hops=1)
    client = create_app(proxied, build_runtime(proxied, immediate=True)).test_client()
    for _ in range(5):
        assert sign_in_as(client, "198.51.100.1", "guess") == 401
    assert sign_in_as(client, "198.51.100.1", ADMIN_TOKEN) == 429
    # ... but behind the proxy each client is counted on its own, and HTTPS is seen.
    # (Over HTTPS Flask-WTF also wants the same-origin Referer a browser sends.)
    https = {"X-Forwarded-Proto": "https", "Referer": "https://localhost/admin/login"}
    assert sign_in_as(client, "198.51.100.2", ADMIN_TOKEN, **https) == 302
    cookie = client.get_cookie("warden_admin")
    assert cookie is not None and cookie.secure


def test_the_report_downloads_as_csv_and_json(app: Flask, admin: FlaskClient) -> None:
    store: SqliteStore = app.extensions["ticket_warden"].store
    for record in month():
        store.save_clock(record)
    shown = page(admin, "/admin/report?month=2026-11&client=Acme+Storage")
    assert "<option selected>Acme Storage</option>" in shown
    csv_answer = admin.get("/admin/report.csv?month=2026-11&client=Acme+Storage")
    assert csv_answer.mimetype == "text/csv"
    assert "sla-compliance-2026-11.csv" in csv_answer.headers["Content-Disposition"]
    lines = csv_answer.get_data(as_text=True).splitlines()
    assert lines[0].startswith("client,tier,tickets") and len(lines) == 2
    rows = admin.get("/admin/report.json?month=2026-11").json["rows"]
    assert [row["client"] for row in rows] == ["Acme Storage", "(no client)"]
    assert admin.get("/admin/report.xml?month=2026-11").status_code == 404
    assert admin.get("/admin/report.csv?month=soon").status_code == 400
    assert FlaskClient(app).get("/admin/report.csv?month=2026-11").status_code == 302
