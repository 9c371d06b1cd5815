"""`ticket-warden install`, `uninstall` and `check` against the fake Zammad, across a socket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
import requests

from plugin.cli import main
from plugin.manifest import load_manifest
from plugin.names import Clock
from plugin.policy import load_policy, load_policy_text
from plugin.settings import Settings
from plugin.zammad.client import ZammadClient
from plugin.zammad.installer import Installer
from plugin.zammad.provision import (
    INSTALL_ORDER,
    Desired,
    desired_calendars,
    desired_slas,
    desired_tags,
    step_for,
    webhook_endpoint,
)
from tests.conftest import EXAMPLES, ROOT, example_payload
from tests.fake_zammad import ADMIN_COLLECTIONS, FakeZammad, running

TODAY = date(2026, 11, 26)
SECRET = "install-secret"
WEBHOOK_URL = "https://warden.xstore.example"
TRIGGERS, CALENDARS, SLAS = "/api/v1/triggers", "/api/v1/calendars", "/api/v1/slas"
# Every tag the example policy may write is created too (tag_new may be off).
TAGS = len(desired_tags(load_policy(EXAMPLES / "policy.yaml")))
# The attribute, the webhook, two triggers, two calendars, four SLAs, the overview.
OBJECTS = 11 + TAGS


@pytest.fixture
def fake() -> Iterator[tuple[FakeZammad, str]]:
    zammad = FakeZammad()
    # An admin's own objects, which ticket-warden must leave alone.
    zammad.admin[TRIGGERS].append(
        {"id": 1, "name": "auto reply (on new tickets)", "condition": {}, "perform": {}}
    )
    zammad.admin[CALENDARS].append({"id": 2, "name": "Default", "timezone": "UTC"})
    with running(zammad) as url:
        yield zammad, url


def installer(url: str, token: str = "test-token", policy_path: Path | None = None) -> Installer:
    client = ZammadClient(url, token, requests.Session(), max_attempts=1)
    policy = load_policy(policy_path or EXAMPLES / "policy.yaml")
    return Installer(
        client, load_manifest(), policy, today=TODAY, webhook_url=WEBHOOK_URL, secret=SECRET
    )


def names(zammad: FakeZammad, path: str) -> list[str]:
    return [str(item["name"]) for item in zammad.admin[path]]


# -- the manifest and the pure plan --------------------------------------------------------


def test_the_packaged_manifest_is_the_root_manifest() -> None:
    packaged = (ROOT / "plugin" / "manifest.yaml").read_text()
    assert packaged == (ROOT / "manifest.yaml").read_text()
    manifest = load_manifest()
    assert manifest.name == "ticket-warden" and manifest.zammad.marker == "ticket-warden"
    assert "admin.webhook" in manifest.zammad.permissions
    assert {"WARDEN_ZAMMAD_URL", "WARDEN_WEBHOOK_SECRET", "WARDEN_STORE"} <= set(manifest.settings)


def test_the_manifest_lists_every_setting_the_code_reads() -> None:
    listed = set(load_manifest().settings)
    assert {f"WARDEN_{name.upper()}" for name in Settings.model_fields} <= listed


def test_calendars_carry_office_hours_and_holidays() -> None:
    policy = load_policy(EXAMPLES / "policy.yaml")
    calendars = desired_calendars(load_manifest(), policy, TODAY)
    office = calendars[Clock.OFFICE_HOURS].payload
    assert office["timezone"] == "Africa/Johannesburg"
    assert office["business_hours"]["mon"] == {"active": True, "timeframes": [["08:00", "17:00"]]}
    assert office["business_hours"]["sat"]["active"] is False
    holidays = office["public_holidays"]
    assert holidays["2026-04-27"] == {"active": True, "summary": "Freedom Day"}
    assert holidays["2026-12-24"]["summary"] == "Office closed"  # the policy's own closure
    assert "2028-12-25" in holidays and "2029-01-01" not in holidays  # this year and two more
    always = calendars[Clock.ALWAYS].payload
    assert always["public_holidays"] == {}
    assert all(
        day["timeframes"] == [["00:00", "23:59"]] for day in always["business_hours"].values()
    )


def test_slas_follow_the_tiers_in_the_order_the_policy_decides() -> None:
    policy = load_policy(EXAMPLES / "policy.yaml")
    slas = desired_slas(load_manifest(), policy, {Clock.ALWAYS: 7, Clock.OFFICE_HOURS: 8})
    table = [
        (
            s.name,
            s.payload["calendar_id"],
            s.payload["first_response_time"],
            s.payload["condition"]["ticket.tags"],
        )
        for s in slas
    ]
    assert table == [
        (
            "ticket-warden 01 gold priority",
            7,
            240,
            {"operator": "contains all", "value": "sla-gold, priority-request"},
        ),
        ("ticket-warden 02 gold normal", 8, 240, {"operator": "contains one", "value": "sla-gold"}),
        (
            "ticket-warden 03 silver priority",
            7,
            480,
            {"operator": "contains all", "value": "sla-silver, priority-request"},
        ),
        (
            "ticket-warden 04 silver normal",
            8,
            480,
            {"operator": "contains one", "value": "sla-silver"},
        ),
    ]
    assert [s.name for s in slas] == sorted(s.name for s in slas)


def test_webhook_endpoint_gets_the_receiver_path_only_when_it_has_none() -> None:
    manifest = load_manifest()
    assert webhook_endpoint(manifest, "https://w.example/") == "https://w.example/webhooks/zammad"
    assert webhook_endpoint(manifest, "https://w.example/tw/hook") == "https://w.example/tw/hook"


def test_secrets_are_not_compared_but_can_be_forced() -> None:
    desired = Desired("webhook", "w", {"name": "w", "signature_token": "s", "ssl_verify": True})
    held = {"id": 3, "name": "w", "signature_token": "**********", "ssl_verify": True}
    assert step_for(desired, held).action == "unchanged"
    forced = step_for(desired, held, force_secrets=True)
    assert forced.action == "update" and forced.changes == ("signature_token",)
    assert step_for(desired, held | {"ssl_verify": False}).changes == ("ssl_verify",)


# -- install, again, dry run, uninstall --------------------------------------------------------


def test_first_install_creates_every_object_and_the_second_changes_nothing(fake) -> None:
    zammad, url = fake
    outcome = installer(url).install()
    created = [(step.kind, step.name) for step in outcome.steps]
    assert [step.action for step in outcome.steps] == ["create"] * OBJECTS
    assert created[0] == ("attribute", "sla_due_at")
    tags = [name for kind, name in created if kind == "tag"]
    assert {"sla-gold", "per-incident", "vague-subject", "meeting-confirmed"} <= set(tags)
    assert sorted(zammad.tag_items) == sorted(tags)
    assert created[1 + TAGS : 4 + TAGS] == [
        ("webhook", "ticket-warden"),
        ("trigger", "ticket-warden: customer articles"),
        ("trigger", "ticket-warden: agent emails (meeting confirmations)"),
    ]
    assert zammad.migrations_run == 1
    assert "restart Zammad" in outcome.notes[0]

    (webhook,) = zammad.admin["/api/v1/webhooks"]
    assert webhook["endpoint"] == "https://warden.xstore.example/webhooks/zammad"
    assert webhook["ssl_verify"] is True
    assert zammad.writes_to("POST", "/api/v1/webhooks")[0]["signature_token"] == SECRET
    customer_trigger = zammad.admin[TRIGGERS][1]
    assert customer_trigger["perform"] == {"notification.webhook": {"webhook_id": webhook["id"]}}
    assert customer_trigger["condition"] == {"article.sender_id": {"operator": "is", "value": 2}}
    gold_priority = zammad.admin[SLAS][0]
    always = next(c for c in zammad.admin[CALENDARS] if c["name"] == "ticket-warden 24x7")
    assert (gold_priority["first_response_time"], gold_priority["calendar_id"]) == (
        240,
        always["id"],
    )
    silver_normal = zammad.admin[SLAS][3]
    office = next(c for c in zammad.admin[CALENDARS] if c["name"] == "ticket-warden office hours")
    assert (silver_normal["first_response_time"], silver_normal["calendar_id"]) == (
        480,
        office["id"],
    )

    writes = len(zammad.writes)
    again = installer(url).install()
    assert {step.action for step in again.steps} == {"unchanged"}
    assert len(zammad.writes) == writes and zammad.migrations_run == 1 and again.notes == []


def test_dry_run_plans_and_writes_nothing(fake) -> None:
    zammad, url = fake
    plan = installer(url).install(dry_run=True)
    assert [step.action for step in plan.steps] == ["create"] * OBJECTS
    assert zammad.writes == [] and zammad.migrations_run == 0
    installer(url).install()
    policy_text = (EXAMPLES / "policy.yaml").read_text() + (
        "tiers:\n  gold:\n    label: Gold SLA\n    guaranteed: true\n"
        "    priority: {hours: 2, clock: 24x7}\n    normal: {hours: 4, clock: office-hours}\n"
    )
    stricter = installer(url)
    stricter._policy = load_policy_text(policy_text)
    writes = len(zammad.writes)
    plan = stricter.install(dry_run=True)
    (update,) = [step for step in plan.steps if step.action == "update"]
    assert (update.name, update.changes) == (
        "ticket-warden 01 gold priority",
        ("first_response_time",),
    )
    assert len(zammad.writes) == writes


def test_zammad_keeps_every_key_install_sends(fake) -> None:
    """param_cleanup drops keys that are not columns (and answers 200): what install
    sends must be what Zammad stores, or every check would report drift."""
    zammad, url = fake
    installer(url).install()
    for method, path, body in zammad.writes:
        if method == "POST" and path in ADMIN_COLLECTIONS and path != "/api/v1/overviews":
            held = next(i for i in zammad.admin[path] if i["name"] == body["name"])
            assert set(body) - {"signature_token"} <= set(held), (path, set(body) - set(held))


def test_check_tells_an_attribute_awaiting_migration_then_a_restart(
    fake, capsys, admin_env
) -> None:
    zammad, url = fake
    zammad.fail("POST", "/api/v1/object_manager_attributes_execute_migrations", 500)
    with pytest.raises(Exception, match="HTTP 500"):
        installer(url).install()
    zammad.add_ticket_from_payload(example_payload("gold-urgent-email"))
    status, _, err = run(capsys, "check", "--url", url, "--token", zammad.token)
    assert status == 2 and "attribute 'sla_due_at' awaits Zammad's database migration" in err

    installer(url).install()  # finishes the migration, as the check said
    assert zammad.migrations_run == 1
    status, _, err = run(capsys, "check", "--url", url, "--token", zammad.token)
    assert status == 2
    assert "attribute 'sla_due_at' is migrated but Zammad does not use it yet: restart" in err
    zammad.restart()
    status, _out, err = run(capsys, "check", "--url", url, "--token", zammad.token)
    assert status == 0, err


def test_check_names_each_active_group_without_an_email_address(
    fake, capsys, admin_env, monkeypatch
) -> None:
    """Zammad refuses email replies on such a group (adds_metadata_email.rb), and tells a
    bot token without admin rights only an error id: check says so before it happens."""
    zammad, url = fake
    installer(url).install()
    zammad.restart()
    monkeypatch.setattr("plugin.zammad.installer.GROUPS_PER_PAGE", 2)  # read past a page
    for ident, name, address, active in (
        (2, "Sales", 1, True),
        (3, "Billing", None, True),
        (4, "Archive", None, False),
        (5, "Field service", None, True),
    ):
        zammad.groups[ident] = {
            "id": ident,
            "name": name,
            "email_address_id": address,
            "active": active,
        }
    status, _, err = run(capsys, "check", "--url", url, "--token", zammad.token)
    assert status == 2
    missing = [line for line in err.splitlines() if "has no email address" in line]
    assert [line.split("'")[1] for line in missing] == ["Billing", "Field service"]
    assert "Admin > Groups" in missing[0]

    zammad.groups[3]["email_address_id"] = zammad.groups[5]["email_address_id"] = 1
    status, _, err = run(capsys, "check", "--url", url, "--token", zammad.token)
    assert status == 0, err


def test_check_needs_the_groups_permission(fake, capsys, admin_env) -> None:
    zammad, url = fake
    zammad.permissions = zammad.permissions - {"admin.group"}
    status, _, err = run(capsys, "check", "--url", url, "--token", zammad.token)
    assert status == 2 and "lacks the permission(s) admin.group" in err


def test_the_datetime_attribute_passes_the_strictest_zammad(fake) -> None:
    """Zammad up to 2021 refuses a datetime attribute whose data_option.diff is null."""
    zammad, url = fake
    assert zammad.legacy_attribute_validation
    installer(url).install()
    sent, _migrations = zammad.writes_to("POST", "/api/v1/object_manager_attributes")
    assert isinstance(sent["data_option"]["diff"], int)


def test_uninstall_removes_exactly_what_install_made(fake) -> None:
    zammad, url = fake
    before = {path: list(names(zammad, path)) for path in ADMIN_COLLECTIONS}
    zammad.tags[5] = ["sla-gold", "needs-info"]
    installer(url).install()
    listed = installer(url).uninstall(dry_run=True)
    assert len(listed.steps) == 11 and {s.action for s in listed.steps} == {"delete"}
    assert len(zammad.admin[SLAS]) == 4  # a dry run deletes nothing
    outcome = installer(url).uninstall()
    assert [step.kind for step in outcome.steps] == (
        ["overview"] + ["sla"] * 4 + ["calendar"] * 2 + ["trigger"] * 2 + ["webhook", "attribute"]
    )
    assert {path: names(zammad, path) for path in ADMIN_COLLECTIONS} == before
    assert zammad.tags[5] == ["sla-gold", "needs-info"]  # tickets and their tags stay
    assert zammad.migrations_run == 2
    assert installer(url).uninstall().steps == []


def test_uninstall_can_keep_the_due_dates(fake) -> None:
    zammad, url = fake
    installer(url).install()
    outcome = installer(url).uninstall(keep_attribute=True)
    assert "attribute" not in {step.kind for step in outcome.steps}
    assert "sla_due_at" in names(zammad, "/api/v1/object_manager_attributes")


# -- the command line ----------------------------------------------------------------------------


def run(capsys, *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.fixture
def admin_env(monkeypatch) -> None:
    monkeypatch.setenv("WARDEN_WEBHOOK_SECRET", SECRET)
    monkeypatch.setenv("WARDEN_POLICY", str(EXAMPLES / "policy.yaml"))
    for name in ("WARDEN_ZAMMAD_URL", "WARDEN_ZAMMAD_TOKEN", "WARDEN_WEBHOOK_URL"):
        monkeypatch.delenv(name, raising=False)


def test_cli_install_dry_run_install_and_check(fake, capsys, admin_env) -> None:
    zammad, url = fake
    common = ["--url", url, "--token", zammad.token]
    status, out, _ = run(capsys, "install", *common, "--webhook-url", WEBHOOK_URL, "--dry-run")
    assert status == 0 and out.splitlines()[-1] == f"dry run, nothing written: {OBJECTS} create"
    assert zammad.writes == []
    status, out, _ = run(capsys, "check", *common)
    assert status == 2
    status, out, _ = run(capsys, "install", *common, "--webhook-url", WEBHOOK_URL)
    assert status == 0 and f"{OBJECTS} create" in out and "restart Zammad" in out
    status, out, err = run(capsys, "check", *common)
    assert status == 0, err
    assert "match the policy" in out
    status, out, _ = run(capsys, "install", *common, "--webhook-url", WEBHOOK_URL)
    assert out.splitlines()[-1] == f"{OBJECTS} unchanged"


def test_check_names_what_differs_and_what_to_do(fake, capsys, admin_env) -> None:
    zammad, url = fake
    installer(url).install()
    zammad.admin[TRIGGERS][1]["active"] = False
    zammad.admin[SLAS].append({"id": 900, "name": "Default SLA", "condition": {}})
    status, _, err = run(capsys, "check", "--url", url, "--token", zammad.token)
    assert status == 2
    assert (
        "trigger 'ticket-warden: customer articles' differs from the policy in active: "
        "run 'ticket-warden install'" in err
    )
    assert "SLA 'Default SLA' sorts before ticket-warden's" in err
    assert err.splitlines()[-1] == "2 problems found"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("token", "rejected the token (HTTP 401"),
        ("url", "cannot reach Zammad at http://127.0.0.1:9"),
        ("permissions", "lacks the permission(s) admin.webhook, admin.trigger"),
        ("not-zammad", "does not answer like Zammad"),
    ],
)
def test_admin_mistakes_are_one_clear_line(fake, capsys, admin_env, change, message) -> None:
    zammad, url = fake
    token = "wrong" if change == "token" else zammad.token
    if change == "url":
        url = "http://127.0.0.1:9"
    if change == "not-zammad":
        url += "/not-zammad"
    if change == "permissions":
        zammad.permissions = frozenset(
            {"ticket.agent", "admin.object", "admin.calendar", "admin.sla"}
        )
    status, out, err = run(
        capsys, "install", "--url", url, "--token", token, "--webhook-url", WEBHOOK_URL
    )
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and message in err and "Traceback" not in err
    assert zammad.writes == []


def test_a_422_from_zammad_names_the_object_and_its_error_human(fake, capsys, admin_env) -> None:
    zammad, url = fake
    zammad.fail("POST", TRIGGERS, 422, body={"error": "x", "error_human": "Condition is invalid"})
    status, _, err = run(
        capsys, "install", "--url", url, "--token", zammad.token, "--webhook-url", WEBHOOK_URL
    )
    assert status == 2 and err.count("\n") == 1
    assert (
        "Zammad refused to create trigger 'ticket-warden: customer articles' (HTTP 422): "
        "Condition is invalid" in err
    )


def test_install_needs_a_secret_and_a_webhook_url(fake, capsys, admin_env, monkeypatch) -> None:
    zammad, url = fake
    status, _, err = run(capsys, "install", "--url", url, "--token", zammad.token)
    assert status == 2 and "no webhook URL: pass --webhook-url" in err
    monkeypatch.delenv("WARDEN_WEBHOOK_SECRET")
    status, _, err = run(
        capsys, "install", "--url", url, "--token", zammad.token, "--webhook-url", WEBHOOK_URL
    )
    assert status == 2 and "no webhook secret" in err
    status, _, err = run(capsys, "uninstall")
    assert status == 2 and "pass --url and --token" in err


def test_every_kind_is_provisioned_in_dependency_order() -> None:
    assert INSTALL_ORDER.index("webhook") < INSTALL_ORDER.index("trigger")
    assert INSTALL_ORDER.index("calendar") < INSTALL_ORDER.index("sla")


def test_install_adds_the_sla_at_risk_overview_for_agents(fake) -> None:
    """Issue 12: tickets the SLA clock warned about or that breached, soonest due first."""
    zammad, url = fake
    installer(url).install()
    overview = next(
        o for o in zammad.admin["/api/v1/overviews"] if o["name"] == "SLA at risk (ticket-warden)"
    )
    assert overview["role_ids"] == [2]  # db/seeds/roles.rb: Agent
    assert overview["condition"]["ticket.tags"] == {
        "operator": "contains one",
        "value": "sla-warning, sla-breached",
    }
    assert overview["order"] == {"by": "sla_due_at", "direction": "ASC"}
    assert {"sla-warning", "sla-breached"} <= set(zammad.tag_items)
