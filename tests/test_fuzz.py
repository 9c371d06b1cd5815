"""Fuzzing with hypothesis: garbage in gives a clear 4xx or CLI error, never a 500 or traceback."""

from __future__ import annotations

import copy
import json
import logging
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from plugin.cli import main
from plugin.errors import PolicyError
from plugin.policy import load_policy_text
from plugin.runtime import build_runtime
from tests.conftest import example_payload
from tests.test_webhook import settings_for, signed
from webhooks.app import create_app

EXAMPLES = [
    "gold-urgent-email", "vague-subject", "whatsapp", "meeting-request", "agent-reply",
    "auto-reply", "project-task",
]  # fmt: skip
ALLOWED = {200, 202, 400, 401, 413, 422}
FUZZ = settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ODD_STRINGS = ["<script>alert(1)</script>", "{{ 7*7 }}", "{% raw %}", "=?UTF-8?B?SGk=?="]
odd_characters = st.characters(blacklist_categories=["Cs"]) | st.sampled_from(
    ["\u202e", "\u200b", "\ufeff", "\x00", "💥", "ﬃ"]
)
odd_text = st.text(alphabet=odd_characters, max_size=60) | st.sampled_from(ODD_STRINGS)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | odd_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(odd_text, children, max_size=4)
    ),
    max_leaves=20,
)


@st.composite
def mutated_payloads(draw: st.DrawFn) -> Any:
    """An example payload with a few keys removed, retyped, blown up or nested deeply."""
    payload = copy.deepcopy(example_payload(draw(st.sampled_from(EXAMPLES))))
    for _ in range(draw(st.integers(1, 4))):
        part = payload[draw(st.sampled_from(["ticket", "article"]))]
        if not isinstance(part, dict) or not part:
            continue
        key = draw(st.sampled_from(sorted(part)))
        action = draw(st.sampled_from(["delete", "retype", "huge", "deep", "odd"]))
        if action == "delete":
            del part[key]
        elif action == "retype":
            part[key] = draw(json_values)
        elif action == "huge":
            part[key] = "x" * draw(st.integers(10_000, 200_000))
        elif action == "deep":
            nested: Any = "bottom"
            for _ in range(draw(st.integers(50, 3000))):
                nested = [nested]
            part[key] = nested
        else:
            part[key] = draw(odd_text)
    return payload


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Flask:
    folder = tmp_path_factory.mktemp("fuzz")
    app_settings = settings_for(folder, max_body_bytes=256 * 1024)
    return create_app(app_settings, build_runtime(app_settings, immediate=True))


def post(app: Flask, body: bytes) -> int:
    response = app.test_client().post("/webhooks/zammad", data=body, headers=signed(body))
    assert response.is_json, response.data[:200]
    assert set(response.json) >= (
        {"status"} if response.status_code < 300 else {"error", "message"}
    )
    return response.status_code


def encode(value: Any) -> bytes:
    try:
        return json.dumps(value).encode()
    except RecursionError:
        return b"[" * 5000 + b"]" * 5000


@FUZZ
@given(payload=mutated_payloads())
def test_mutated_payloads_never_give_a_500(app: Flask, payload: Any, caplog) -> None:
    with caplog.at_level(logging.WARNING):
        assert post(app, encode(payload)) in ALLOWED
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


@FUZZ
@given(value=json_values)
def test_random_json_never_gives_a_500(app: Flask, value: Any) -> None:
    assert post(app, encode(value)) in ALLOWED


@FUZZ
@given(body=st.binary(max_size=2000))
def test_random_bytes_never_give_a_500(app: Flask, body: bytes) -> None:
    assert post(app, body) in ALLOWED


def test_deeply_nested_policies_are_a_policy_error() -> None:
    with pytest.raises(PolicyError, match="nested too deeply"):
        load_policy_text("tiers: " + "[" * 5000 + "]" * 5000)


def test_deep_nesting_is_a_clear_400(app: Flask) -> None:
    body = b"[" * 100_000 + b"]" * 100_000
    response = app.test_client().post(
        "/webhooks/zammad", data=body[:200_000], headers=signed(body[:200_000])
    )
    assert response.status_code == 400 and response.json["error"] == "bad_json"


POLICY_KEYS = [
    "timezone", "office_hours", "holidays", "ticket_addresses", "tiers", "clients", "tags",
    "templates", "links", "default_tier", "needs_info", "turn_away", "priority_markers", "colour",
]  # fmt: skip


@st.composite
def policy_texts(draw: st.DrawFn) -> str:
    document = {
        draw(st.sampled_from(POLICY_KEYS)): draw(json_values)
        for _ in range(draw(st.integers(0, 5)))
    }
    if draw(st.booleans()):
        return yaml.safe_dump(document, allow_unicode=True)
    return draw(odd_text)  # not even YAML, often


@FUZZ
@given(text=policy_texts())
def test_random_policies_load_or_say_what_is_wrong(text: str) -> None:
    try:
        load_policy_text(text, "fuzz.yaml")
    except PolicyError as exc:
        assert exc.problems and all(str(problem) for problem in exc.problems)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=policy_texts())
def test_check_on_random_policies_exits_0_or_2_without_traceback(
    text: str, tmp_path: Path, capsys
) -> None:
    path = tmp_path / "policy.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["check", "--policy", str(path)]) in (0, 2)
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err + captured.out
