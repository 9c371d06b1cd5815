"""The policy file: the built-in policy, merging, and every mistake with its location."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugin.errors import PolicyError
from plugin.names import Clock, Flag
from plugin.policy import load_policy, load_policy_text, merge_over
from tests.conftest import EXAMPLES

FIVE_MISTAKES = """\
timezone: Africa/Jo'burg
office_hours:
  mon: ["08:00-17:00"]
  tue: ["25:00-17:00"]
  wed: ["08:00-12:00", "11:30-17:00"]
holidays:
  country: ZZ
clients:
  - name: Acme Storage
    tier: platinum
    domains: [acme.example]
"""


def problems_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text, "policy.yaml")
    return [str(problem) for problem in caught.value.problems]


def test_builtin_policy_is_the_xstore_policy(builtin_policy) -> None:
    assert builtin_policy.name == "xstore"
    assert builtin_policy.timezone == "Africa/Johannesburg"
    gold = builtin_policy.tiers["gold"]
    assert (gold.priority.hours, gold.priority.clock) == (4, Clock.ALWAYS)
    assert (gold.normal.hours, gold.normal.clock) == (4, Clock.OFFICE_HOURS)
    assert builtin_policy.tiers["silver"].priority.hours == 8
    assert builtin_policy.default_tier == "per-incident"
    assert builtin_policy.tier_tag("gold") == "sla-gold"
    assert builtin_policy.tier_tag("per-incident") == "per-incident"
    assert set(builtin_policy.priority_markers) >= {"urgent", "outage", "down"}


def test_example_policy_checks_clean(example_policy) -> None:
    assert [client.name for client in example_policy.clients][:2] == [
        "Acme Storage",
        "Bright Logistics",
    ]
    assert "OK" in example_policy.summary()


def test_a_partial_policy_takes_the_rest_from_the_builtin() -> None:
    policy = load_policy_text(
        "timezone: Europe/London\n"
        "holidays: {country: GB, subdivision: ENG}\n"
        "tiers:\n  platinum:\n    label: Platinum\n    guaranteed: true\n"
        "    priority: {hours: 1, clock: 24x7}\n    normal: {hours: 2, clock: office-hours}\n"
        "tags: {needs-info: waiting-for-details}\n"
        "templates:\n  reasons:\n    needs-info: 'Tell us more, please.'\n"
    )
    assert policy.timezone == "Europe/London"
    assert set(policy.tiers) == {"gold", "silver", "per-incident", "platinum"}
    assert policy.tag(Flag.NEEDS_INFO) == "waiting-for-details"
    assert policy.tag(Flag.VAGUE_SUBJECT) == "vague-subject"
    assert policy.templates.reasons[Flag.NEEDS_INFO] == "Tell us more, please."
    assert Flag.VAGUE_SUBJECT in policy.templates.reasons
    assert policy.holidays.add == []  # holidays replace the built-in section as a whole


def test_merge_replaces_lists_and_merges_named_sections() -> None:
    merged = merge_over(
        {"clients": [1], "links": {"a": 1, "b": 2}, "office_hours": {"mon": [], "tue": []}},
        {"clients": [2], "links": {"b": 3}, "office_hours": {"mon": ["08:00-12:00"]}},
    )
    assert merged == {
        "clients": [2],
        "links": {"a": 1, "b": 3},
        "office_hours": {"mon": ["08:00-12:00"]},
    }


def test_five_mistakes_are_all_reported_with_their_lines() -> None:
    assert problems_of(FIVE_MISTAKES) == [
        "policy.yaml:1: timezone: 'Africa/Jo'burg' is not an IANA time zone",
        "policy.yaml:4: office_hours.tue[0]: '25:00' is not a valid time (00:00 to 24:00)",
        "policy.yaml:5: office_hours.wed: intervals overlap: 08:00-12:00, 11:30-17:00",
        "policy.yaml:7: holidays.country: 'ZZ' is not a country code the holidays package knows",
        "policy.yaml:10: clients[0].tier: tier 'platinum' is not defined "
        "(tiers: gold, per-incident, silver)",
    ]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("colour: blue\n", "policy.yaml:1: colour: unknown key"),
        (
            "tiers:\n  gold:\n    label: G\n    guaranteed: true\n    speed: fast\n"
            "    priority: {hours: 4, clock: 24x7}\n    normal: {hours: 4, clock: 24x7}\n",
            "policy.yaml:5: tiers.gold.speed: unknown key",
        ),
        (
            'office_hours:\n  mon: ["17:00-08:00"]\n',
            "policy.yaml:2: office_hours.mon[0]: '17:00-08:00' ends before it starts "
            "(an interval cannot cross midnight)",
        ),
        ('office_hours:\n  mon: ["8-17"]\n', "policy.yaml:2: office_hours.mon[0]: '8' is not"),
        (
            'office_hours:\n  mnd: ["08:00-17:00"]\n',
            "policy.yaml:2: office_hours.mnd: Input should be",
        ),
        ("office_hours: {}\n", "policy.yaml:1: office_hours: office hours must have at least one"),
        ("default_tier: bronze\n", "policy.yaml:1: default_tier: tier 'bronze' is not defined"),
        (
            "holidays: {country: ZA, subdivision: XX}\n",
            "policy.yaml:1: holidays.subdivision: 'XX' is not a subdivision of ZA",
        ),
        ("holidays: {add: [2026-12-24]}\n", "policy.yaml:1: holidays.country: required key"),
        ("holidays: {country: ZA, add: [not-a-date]}\n", "policy.yaml:1: holidays.add[0]:"),
        (
            "links: {terms: ftp://x}\n",
            "policy.yaml:1: links.terms: 'ftp://x' is not an http(s) URL",
        ),
        (
            "clients:\n  - name: Ghost\n    tier: gold\n",
            "policy.yaml:2: clients[0]: client 'Ghost' has no organizations, domains or emails",
        ),
        (
            "templates:\n  note: '{{ due_at'\n",
            "policy.yaml:1: templates: note: line 1: unexpected end of template",
        ),
        (
            "templates:\n  note: '{{ undefined_name }}'\n",
            "policy.yaml:1: templates: note: 'undefined_name' is undefined",
        ),
        ("timezone: UTC\ntimezone: UTC\n", "policy.yaml:2: timezone: duplicate key"),
        ("timezone: [\n", "policy.yaml:2: not valid YAML"),
        ("- just\n- a list\n", "policy.yaml:1: a policy must be a mapping"),
    ],
)
def test_each_mistake_names_where_and_what(text: str, expected: str) -> None:
    problems = problems_of(text)
    assert any(problem.startswith(expected) for problem in problems), problems


def test_an_empty_file_is_the_builtin_policy() -> None:
    assert load_policy_text("").name == "xstore"


def test_missing_file_is_a_policy_error(tmp_path: Path) -> None:
    with pytest.raises(PolicyError, match="cannot read the file"):
        load_policy(tmp_path / "nope.yaml")


def test_load_policy_reads_a_file(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text((EXAMPLES / "policy.yaml").read_text() + "company: Example Co\n")
    assert load_policy(path).company == "Example Co"


def test_django_helpdesk_priorities_are_on_its_1_to_5_scale() -> None:
    assert load_policy_text("").django_helpdesk_priorities["3 high"] == 2
    problems = problems_of("django_helpdesk_priorities: {'3 high': 9}\n")
    assert problems[0].startswith("policy.yaml:1: django_helpdesk_priorities.3 high:")
