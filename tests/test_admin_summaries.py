"""The console's pure parts: summaries of recorded decisions, the office week, closures
ahead, the trial form and the login throttle (webhooks/admin/)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from plugin.engine import evaluate
from plugin.policy import Policy
from tests.conftest import SAST
from webhooks.admin.auth import LoginThrottle, session_key
from webhooks.admin.summaries import (
    OUTCOMES,
    DecisionFilter,
    advice,
    choices,
    closures_ahead,
    office_week,
    outcome_of,
    outcomes_since,
    parse_day,
)
from webhooks.admin.trial import Trial, read_trial

NOW = datetime(2026, 12, 1, 10, tzinfo=UTC)


def entry(
    *,
    at: datetime = NOW,
    tags: tuple[str, ...] = ("sla-gold",),
    client: str | None = "Acme Storage",
    tier: str = "gold",
    **fields: Any,
) -> dict[str, Any]:
    decision = {"tags": list(tags), "client": client, "tier": tier, "skipped": None}
    decision |= fields.pop("decision", {})
    return {"decided_at": at.isoformat(), "decision": decision, "writes": [], "errors": []} | fields


def test_outcomes_of_recorded_decisions() -> None:
    assert outcome_of(entry(writes=["tag +sla-gold"])) == "written"
    assert outcome_of(entry()) == "nothing to write"
    assert outcome_of(entry(dry_run=True)) == "dry run"
    assert outcome_of(entry(decision={"skipped": "the bot's own article"})) == "skipped"
    assert outcome_of(entry(errors=["reply not written: no address (HTTP 422)"])) == "with errors"


def test_outcomes_of_the_last_day_list_every_outcome() -> None:
    counted = outcomes_since(
        [entry(writes=["x"]), entry(dry_run=True), entry(at=NOW - timedelta(days=2))],
        NOW - timedelta(hours=24),
    )
    assert list(counted) == list(OUTCOMES)
    assert counted == {
        "written": 1,
        "nothing to write": 0,
        "skipped": 0,
        "dry run": 1,
        "with errors": 0,
    }


def test_filters_by_tag_client_tier_and_day_in_the_office_zone() -> None:
    late_evening = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # already 1 December in SAST
    kept = entry(at=late_evening, tags=("sla-gold", "vague-subject"))
    assert DecisionFilter(tag="vague-subject").keeps(kept, SAST)
    assert not DecisionFilter(tag="needs-info").keeps(kept, SAST)
    assert DecisionFilter(client="Acme Storage", tier="gold").keeps(kept, SAST)
    assert not DecisionFilter(client="Bright Logistics").keeps(kept, SAST)
    december = DecisionFilter(since=date(2026, 12, 1), until=date(2026, 12, 1))
    assert december.keeps(kept, SAST)
    assert not december.keeps(kept, ZoneInfo("UTC"))
    assert not december.keeps({"decision": {}}, SAST)  # no time: no day to match


def test_days_and_choices() -> None:
    assert parse_day(" 2026-11-30 ") == date(2026, 11, 30)
    assert parse_day("") is None and parse_day(None) is None
    found = choices([entry(tags=("b", "a")), entry(client=None, tier="silver", tags=("a",))])
    assert found == {"tag": ["a", "b"], "client": ["Acme Storage"], "tier": ["gold", "silver"]}


def test_advice_for_the_errors_decisions_record() -> None:
    assert "WARDEN_ZAMMAD_TOKEN" in advice("tags not written: Not authorized (HTTP 401)")
    assert "ticket-warden check" in advice("ticket update not written: forbidden (HTTP 403)")
    assert "nothing to do" in advice("reply not written: not found (HTTP 404)")
    assert "email address" in advice("reply not written: invalid (HTTP 422)")
    assert advice("due date not written: ... (run 'ticket-warden install', ...)").startswith("do")
    assert "server log" in advice("something else")


def test_the_office_week_monday_first(example_policy: Policy) -> None:
    week = office_week(example_policy)
    assert [day for day, _spans in week][:2] == ["Monday", "Tuesday"]
    monday = week[0][1]
    assert [(span.start, span.end, span.label) for span in monday] == [(480, 1020, "08:00-17:00")]
    assert week[5][1] == [] and week[6][1] == []


def test_closures_ahead_are_holidays_and_closures_on_open_weekdays(
    example_policy: Policy,
) -> None:
    # examples/policy.yaml: South Africa, plus its own closure on 24 December 2026.
    ahead = closures_ahead(example_policy, date(2026, 12, 1), limit=4)
    assert ahead == [
        (date(2026, 12, 16), "Day of Reconciliation"),
        (date(2026, 12, 24), "office closed (policy)"),
        (date(2026, 12, 25), "Christmas Day"),
        (date(2027, 1, 1), "New Year's Day"),
    ]  # 26 December is a Saturday: the office is closed anyway


def test_a_trial_ticket_is_decided_like_a_first_message(example_policy: Policy) -> None:
    form = {
        "subject": "Help",
        "body": "It does not work.",
        "from": "it@cobalt.example",
        "channel": "email",
        "time": "2026-11-30T09:15",
    }
    trial = read_trial(form, SAST, "support@xstore.example")
    assert isinstance(trial, Trial)
    assert trial.at == datetime(2026, 11, 30, 9, 15, tzinfo=SAST)
    assert trial.message.to == ("support@xstore.example",)
    decision = evaluate(trial.ticket, trial.message, example_policy, trial.at)
    assert decision.client == "Cobalt Clinics"
    assert decision.due_at == datetime(2026, 11, 30, 11, 15, tzinfo=SAST)
    by_whatsapp = read_trial(form | {"channel": "whatsapp message"}, SAST, "")
    assert isinstance(by_whatsapp, Trial)
    turned = evaluate(by_whatsapp.ticket, by_whatsapp.message, example_policy, by_whatsapp.at)
    assert "non-email-channel" in turned.tags


def test_a_trial_form_with_mistakes_says_each() -> None:
    problems = read_trial(
        {"subject": "x" * 501, "from": "nobody", "channel": "pigeon", "time": "tomorrow"}, SAST, ""
    )
    assert problems == [
        "the subject is longer than 500 characters",
        "'from' must be an email address",
        "unknown channel 'pigeon'",
        "the time must be a date and time such as 2026-11-30T09:15",
    ]


def test_the_login_throttle_waits_out_its_window() -> None:
    throttle = LoginThrottle(failures=3, window=60.0)
    for second in (0.0, 1.0, 2.0):
        assert throttle.wait_for("10.0.0.1", now=second) == 0.0
        throttle.failed("10.0.0.1", now=second)
    assert throttle.wait_for("10.0.0.1", now=3.0) == 57.0
    assert throttle.wait_for("10.0.0.2", now=3.0) == 0.0  # others are not held up
    assert throttle.wait_for("10.0.0.1", now=60.5) == 0.0  # the first failure has expired


def test_the_session_key_is_derived_from_the_token_not_the_token() -> None:
    key = session_key(b"admin-token")
    assert b"admin-token" not in key and len(key) == 32
    assert key == session_key(b"admin-token") != session_key(b"another token")
