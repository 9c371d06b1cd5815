"""A policy file is untrusted input to ``check``: templates run sandboxed, YAML is bounded,
and every priority name a tier sets has a django-helpdesk number."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import requests
import responses
from jinja2.exceptions import SecurityError

from plugin.cli import main
from plugin.django_helpdesk.client import DjangoHelpdeskClient
from plugin.django_helpdesk.helpdesk import DjangoHelpdesk
from plugin.errors import PolicyError
from plugin.policy import MAX_POLICY_BYTES, MAX_POLICY_VALUES, load_policy, load_policy_text
from plugin.templating import compile_templates


def problems_of(text: str) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        load_policy_text(text, "policy.yaml")
    return [str(problem) for problem in caught.value.problems]


def check(capsys: pytest.CaptureFixture[str], path: Path) -> tuple[int, list[str], float]:
    """``ticket-warden check --policy path``: exit status, stderr lines, seconds taken."""
    start = time.perf_counter()
    status = main(["check", "--policy", str(path)])
    elapsed = time.perf_counter() - start
    captured = capsys.readouterr()
    assert "Traceback" not in captured.out + captured.err
    return status, captured.err.splitlines(), elapsed


def quoted(text: str) -> str:
    """``text`` as a double-quoted YAML scalar."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


# -- templates run sandboxed ------------------------------------------------------


def exploit(marker: Path) -> str:
    return "{{ lipsum.__globals__['os'].popen('touch " + str(marker) + "') }}"


def test_check_refuses_a_template_that_runs_a_command(capsys, tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    policy = tmp_path / "policy.yaml"
    policy.write_text(f"company: Example\ntemplates:\n  reply_body: {quoted(exploit(marker))}\n")
    status, err, _ = check(capsys, policy)
    assert status == 2
    assert err == [
        f"{policy}:2: templates: reply_body: line 1: '__globals__' is not allowed "
        "(a template may not use names that start with '_')",
        "1 problem found",
    ]
    assert not marker.exists()


def test_load_policy_text_refuses_it_too(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    problems = problems_of(f"templates:\n  note: {quoted(exploit(marker))}\n")
    assert problems == [
        "policy.yaml:1: templates: note: line 1: '__globals__' is not allowed "
        "(a template may not use names that start with '_')"
    ]
    assert not marker.exists()


@pytest.mark.parametrize(
    "text",
    [
        "{{ ''.__class__.__mro__[1].__subclasses__() }}",
        "{{ cycler.__init__.__globals__.os }}",
        "{{ self.__init__.__globals__ }}",
        "{{ joiner['__init__'] }}",
        "{{ namespace|attr('__init__') }}",
        # Not dry-rendered (the sample is guaranteed): refused all the same.
        "{% if not guaranteed %}{{ lipsum.__globals__ }}{% endif %}",
    ],
)
def test_the_classic_escapes_are_refused_before_rendering(text: str) -> None:
    (problem,) = problems_of(f"templates:\n  reasons:\n    needs-info: {quoted(text)}\n")
    assert problem.startswith("policy.yaml:1: templates: reasons.needs-info: line 1: '__")
    assert problem.endswith("is not allowed (a template may not use names that start with '_')")


@pytest.mark.parametrize("key", ["reply_subject", "reply_body", "note", "reasons"])
def test_every_text_is_sandboxed_when_rendered(key: str, tmp_path: Path) -> None:
    """A name built at render time gets past the static check; the sandbox refuses it."""
    marker = tmp_path / "pwned"
    text = "{{ (lipsum|attr('__glo' ~ 'bals__'))['os'].popen('touch " + str(marker) + "') }}"
    if key == "reasons":
        setting = f"reasons:\n    vague-subject: {quoted(text)}"
    else:
        setting = f"{key}: {quoted(text)}"
    (problem,) = problems_of(f"templates:\n  {setting}\n")
    shown = "reasons.vague-subject" if key == "reasons" else key
    assert problem == (
        f"policy.yaml:1: templates: {shown}: "
        "access to attribute '__globals__' of 'function' object is unsafe."
    )
    assert not marker.exists()


def test_a_sandboxed_refusal_at_reply_time_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = (
        "{% if not guaranteed %}{{ (lipsum|attr('__glo' ~ 'bals__'))['os']"
        ".popen('touch " + str(marker) + "') }}{% endif %}ok"
    )
    templates = compile_templates("s", text, {}, "n")  # The dry render takes the other branch.
    with pytest.raises(SecurityError, match="unsafe"):
        templates.reply([], {"guaranteed": False})
    assert not marker.exists()


def test_a_template_that_fails_to_render_is_a_located_error() -> None:
    assert problems_of("templates:\n  note: '{{ 1 / 0 }}'\n") == [
        "policy.yaml:1: templates: note: the sample render fails: "
        "ZeroDivisionError: division by zero"
    ]


# -- YAML that expands beyond reason ----------------------------------------------


def laughs(levels: int = 9, width: int = 9) -> str:
    """The "billion laughs": each level an alias list of the one before."""
    lines = ["a0: &a0 [" + ",".join(['"lol"'] * width) + "]"]
    for level in range(1, levels):
        lines.append(f"a{level}: &a{level} [" + ",".join([f"*a{level - 1}"] * width) + "]")
    return "\n".join(lines) + "\n"


def test_the_billion_laughs_fail_fast_with_the_line_of_the_alias() -> None:
    assert len(laughs()) < 450
    start = time.perf_counter()
    problems = problems_of(laughs())
    assert time.perf_counter() - start < 1
    # 9**5 values by line 5; the first alias of line 6 takes the count past the limit.
    assert problems == [
        f"policy.yaml:6: this alias brings the policy past {MAX_POLICY_VALUES:,} values, "
        "counting each alias as all the values it repeats (a policy has a few hundred)"
    ]


def test_check_refuses_the_billion_laughs_in_one_line(capsys, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    policy.write_text(laughs())
    status, err, elapsed = check(capsys, policy)
    assert status == 2 and elapsed < 1
    assert len(err) == 2 and err[0].startswith(f"{policy}:6: this alias brings the policy past")
    assert err[1] == "1 problem found"


def test_counting_stays_linear_however_deep_the_bomb() -> None:
    start = time.perf_counter()
    problems_of(laughs(levels=60, width=2))  # 2**60 values from about 1 KB
    assert time.perf_counter() - start < 1


def test_merge_keys_cannot_multiply_either() -> None:
    lines = ["a: &a {k0: 1, k1: 1, k2: 1, k3: 1, k4: 1, k5: 1, k6: 1, k7: 1, k8: 1}"]
    for level in range(1, 9):
        previous = "a" if level == 1 else f"l{level - 1}"
        lines.append(f"l{level}: &l{level} {{<<: [" + ",".join([f"*{previous}"] * 9) + "]}")
    start = time.perf_counter()
    (problem,) = problems_of("\n".join(lines) + "\n")
    assert time.perf_counter() - start < 1
    assert problem.startswith("policy.yaml:5: this alias brings the policy past")


def test_an_alias_inside_its_own_node_is_refused() -> None:
    assert problems_of("tiers: &t\n  gold: *t\n") == [
        "policy.yaml:2: an alias inside the node it names repeats it forever"
    ]


def test_many_values_without_aliases_are_refused_too() -> None:
    (problem,) = problems_of("priority_markers: [" + ",".join(["x"] * 200_000) + "]\n")
    assert problem.startswith("policy.yaml:1: this line brings the policy past 100,000 values")


def test_sensible_anchors_and_aliases_keep_working() -> None:
    policy = load_policy_text(
        "office_hours:\n"
        '  mon: &day ["08:00-12:00", "13:00-17:00"]\n'
        "  tue: *day\n"
        "tiers:\n"
        "  gold: &gold\n"
        "    label: Gold SLA\n"
        "    guaranteed: true\n"
        "    priority: {hours: 4, clock: 24x7}\n"
        "    normal: {hours: 4, clock: office-hours}\n"
        "  platinum:\n"
        "    <<: *gold\n"
        "    label: Platinum SLA\n"
    )
    assert policy.office_hours["tue"] == policy.office_hours["mon"] == [(480, 720), (780, 1020)]
    assert policy.tiers["platinum"].label == "Platinum SLA"
    assert policy.tiers["platinum"].priority == policy.tiers["gold"].priority


def test_a_large_aliased_client_list_under_the_limit_loads() -> None:
    client = "{name: C, tier: gold, domains: [c.example], emails: [it@c.example]}"
    text = f"clients:\n  - &c {client}\n" + "  - *c\n" * 8_999  # 11 values each
    assert len(load_policy_text(text).clients) == 9_000


# -- files too large to be a policy -------------------------------------------------


def test_an_oversized_file_is_refused_before_it_is_read(tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    with policy.open("wb") as file:
        file.truncate(50 * 1024 * 1024)  # 50 MB, sparse: nothing to write
    start = time.perf_counter()
    with pytest.raises(PolicyError) as caught:
        load_policy(policy)
    assert time.perf_counter() - start < 0.5
    assert str(caught.value) == (
        f"{policy}: the file is 52,428,800 bytes; a policy may be at most 1 MiB"
    )


def test_check_refuses_an_oversized_policy_fast(capsys, tmp_path: Path) -> None:
    policy = tmp_path / "policy.yaml"
    lines = ["priority_markers:"] + [f"  - word{n}" for n in range(200_000)]
    policy.write_text("\n".join(lines) + "\n")  # Valid YAML, 2.3 MB
    status, err, elapsed = check(capsys, policy)
    assert status == 2 and elapsed < 1
    size = policy.stat().st_size
    assert err == [
        f"{policy}: the file is {size:,} bytes; a policy may be at most 1 MiB",
        "1 problem found",
    ]


def test_oversized_text_is_refused_before_parsing() -> None:
    text = "#" * MAX_POLICY_BYTES + "\n"
    start = time.perf_counter()
    assert problems_of(text) == [
        f"policy.yaml: the file is {MAX_POLICY_BYTES + 1:,} bytes; a policy may be at most 1 MiB"
    ]
    assert time.perf_counter() - start < 0.2


def test_a_file_of_exactly_the_limit_is_parsed() -> None:
    assert load_policy_text("#" * (MAX_POLICY_BYTES - 1) + "\n").name == "xstore"


# -- priority names django-helpdesk can store -----------------------------------------

INVENTED = (
    "tiers:\n"
    "  gold:\n"
    "    label: Gold SLA\n"
    "    guaranteed: true\n"
    "    priority: {hours: 4, clock: 24x7}\n"
    "    normal: {hours: 4, clock: office-hours}\n"
    '    priorities: {priority_request: "4 urgent"}\n'
)


def test_a_priority_name_without_a_django_helpdesk_number_is_refused() -> None:
    assert problems_of(INVENTED) == [
        "policy.yaml:7: tiers.gold.priorities.priority_request: priority '4 urgent' has no "
        "number in django_helpdesk_priorities (django-helpdesk's 1 critical to 5 very low); "
        "add it there"
    ]


def test_a_mapped_invented_name_loads() -> None:
    policy = load_policy_text(
        INVENTED + 'django_helpdesk_priorities: {"4 urgent": 1, "3 high": 2, '
        '"2 normal": 3, "1 low": 4}\n'
    )
    assert policy.tiers["gold"].priorities.priority_request == "4 urgent"
    assert policy.django_helpdesk_priorities["4 urgent"] == 1


def test_the_builtin_names_need_no_mapping_from_zammad_users() -> None:
    policy = load_policy_text("")
    for tier in policy.tiers.values():
        names = tier.priorities
        assert {names.priority_request, names.normal, names.project} <= set(
            policy.django_helpdesk_priorities
        )


def test_a_replaced_mapping_that_drops_builtin_names_points_at_itself() -> None:
    problems = problems_of('company: X\ndjango_helpdesk_priorities: {"3 high": 2, "2 normal": 3}\n')
    assert problems == [
        f"policy.yaml:2: tiers.{tier}.priorities.project: priority '1 low' has no number in "
        "django_helpdesk_priorities (django-helpdesk's 1 critical to 5 very low); add it there"
        for tier in ("gold", "silver", "per-incident")
    ]


@responses.activate
def test_django_helpdesk_never_writes_a_number_nobody_chose() -> None:
    client = DjangoHelpdeskClient(
        "http://helpdesk.example", "warden", "pw", requests.Session(), sleep=lambda _: None
    )
    helpdesk = DjangoHelpdesk(client, bot_user_id=7, due_attribute="sla_due_at")
    with pytest.raises(KeyError):
        helpdesk.update_ticket(1, {"priority": "4 urgent"}, None)
    assert len(responses.calls) == 0
