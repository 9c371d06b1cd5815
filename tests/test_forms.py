"""A form's own lines are not what the client wrote (plugin/language/forms.py)."""

from __future__ import annotations

from plugin.language.forms import without_form_scaffolding
from plugin.rules.info import needs_info_finding
from tests.conftest import email

# Made up in the style of a web form's mail and of a bug-report form.
WEB_FORM = """Subject: Not working
Description:
Not working

Backend version: develop-c9c96ec6
User Agent: Mozilla/5.0 (X11; Linux x86_64; rv:145.0) Gecko/20100101 Firefox/145.0
Screen resolution: 1920x1080
Page: https://portal.example/login
Request ID: REQ-48213
"""
ISSUE_FORM = """## What's the problem?
The VPN drops every ten minutes.
## What did you try?

- [ ] Restarted the client
- [x] Reinstalled the client
---
1. Logs:
"""


def test_the_fields_a_form_fills_in_are_dropped() -> None:
    kept = without_form_scaffolding(WEB_FORM)
    assert kept.split() == ["Not", "working"]  # the subject line repeats the subject


def test_headings_unticked_boxes_rules_and_empty_fields_are_dropped() -> None:
    kept = without_form_scaffolding(ISSUE_FORM).splitlines()
    assert [line for line in kept if line.strip()] == [
        "The VPN drops every ten minutes.",
        "- [x] Reinstalled the client",
    ]


def test_a_filled_field_keeps_its_value() -> None:
    text = "Server: mail02.acme.example\nError: 550 5.7.1 relaying denied"
    assert without_form_scaffolding(text).splitlines() == [
        "mail02.acme.example",
        "550 5.7.1 relaying denied",
    ]


def test_ordinary_text_is_kept_whole() -> None:
    text = "Hi,\n\nthe printer on floor 2 prints blank pages: since this morning.\n\nThanks"
    assert without_form_scaffolding(text) == text


def test_a_form_with_nothing_but_its_own_fields_needs_info(builtin_policy) -> None:
    finding = needs_info_finding(email("Not working", body=WEB_FORM), builtin_policy)
    assert finding is not None and finding.sure
