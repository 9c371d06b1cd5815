"""``ticket-warden install`` / ``uninstall`` / ``check`` against Zammad: the I/O half.

The desired objects and the comparison are pure (``provision``); this module
reads what Zammad holds, checks the token before touching anything, and
creates, updates or deletes in dependency order. Running it twice changes
nothing the second time; a dry run reads only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from plugin.errors import HelpdeskError, HelpdeskUnavailableError, WardenError
from plugin.manifest import Manifest
from plugin.names import Clock
from plugin.policy import Policy
from plugin.zammad.client import ZammadClient
from plugin.zammad.provision import (
    INSTALL_ORDER,
    NEW_ID,
    PATHS,
    Desired,
    Kind,
    Step,
    awaits_migration,
    desired_attribute,
    desired_calendars,
    desired_overview,
    desired_slas,
    desired_tags,
    desired_triggers,
    desired_webhook,
    find,
    owned,
    step_for,
    webhook_endpoint,
)

MIGRATIONS_PATH = "/api/v1/object_manager_attributes_execute_migrations"
# Zammad's default page of groups (model_index_render's paginate_with(default: 500)).
GROUPS_PER_PAGE = 500
RESTART_NOTE = (
    "Zammad ran its database migrations for the due-date attribute: restart Zammad "
    "(e.g. 'systemctl restart zammad'; hosted instances restart by themselves)."
)


class InstallError(WardenError):
    """Something an admin must fix before install can go on; the message says what."""


@dataclass
class Outcome:
    """What install or uninstall did (or, in a dry run, would do)."""

    steps: list[Step] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def explain(exc: HelpdeskError | HelpdeskUnavailableError, url: str) -> str:
    """One line an admin can act on for a failed Zammad call."""
    if isinstance(exc, HelpdeskUnavailableError):
        return f"cannot reach Zammad at {url}: check the URL and that Zammad is running ({exc})"
    if exc.status == 401:
        return (
            f"Zammad at {url} rejected the token (HTTP 401: {exc.message}); create an API token "
            "for the bot's user in Zammad (Profile > Token Access) and pass it with --token"
        )
    if exc.status == 404 and exc.path == "/api/v1/users/me":
        return f"{url} does not answer like Zammad (HTTP 404 for /api/v1/users/me): check the URL"
    return f"Zammad answered HTTP {exc.status} to {exc.method} {exc.path}: {exc.message}"


class Installer:
    """Provisions the manifest's objects for a policy in one Zammad instance."""

    def __init__(
        self,
        client: ZammadClient,
        manifest: Manifest,
        policy: Policy,
        *,
        today: date,
        webhook_url: str | None = None,
        secret: str | None = None,
    ) -> None:
        self._client = client
        self._manifest = manifest
        self._policy = policy
        self._today = today
        self._webhook_url = webhook_url
        self._secret = secret

    # -- checks ------------------------------------------------------------------------

    def preflight(self) -> None:
        """The URL answers, the token is valid and has every permission; else InstallError."""
        url = self._client.base_url
        try:
            self._client.me()
        except (HelpdeskError, HelpdeskUnavailableError) as exc:
            raise InstallError(explain(exc, url)) from exc
        missing = []
        for permission, path in self._manifest.zammad.permissions.items():
            try:
                self._client.get(path)
            except HelpdeskError as exc:
                if exc.status in (401, 403):
                    missing.append(permission)
                    continue
                raise InstallError(explain(exc, url)) from exc
            except HelpdeskUnavailableError as exc:
                raise InstallError(explain(exc, url)) from exc
        if missing:
            raise InstallError(
                f"the token's user lacks the permission(s) {', '.join(missing)}: give it a role "
                "with them in Zammad (Admin > Roles), e.g. Admin and Agent"
            )

    def problems(self) -> list[str]:
        """What differs between Zammad and the policy, one line each with what to do."""
        self.preflight()
        lines = []
        for step in self.install(dry_run=True, checking=True).steps:
            if step.action == "create":
                lines.append(f"{step.kind} '{step.name}' is missing: run 'ticket-warden install'")
            elif step.action == "update":
                lines.append(
                    f"{step.kind} '{step.name}' differs from the policy in "
                    f"{', '.join(step.changes)}: run 'ticket-warden install'"
                )
        lines += self._sla_order_problems()
        lines += self._attribute_problems()
        lines += self._group_problems()
        return lines

    def _group_problems(self) -> list[str]:
        """Active groups without an email address. Zammad refuses every email reply on
        their tickets, and tells a bot token without admin rights no more than an error
        id, so ticket-warden would retry each reply there until it gives up."""
        lines = []
        page = 1
        while True:
            body = self._call("GET", f"/api/v1/groups?per_page={GROUPS_PER_PAGE}&page={page}")
            groups = body if isinstance(body, list) else []
            lines += [
                f"group '{group.get('name')}' has no email address: Zammad refuses "
                "ticket-warden's email replies on its tickets; give it one in Admin > Groups "
                "(addresses come from Admin > Channels > Email)"
                for group in groups
                if group.get("active", True) and not group.get("email_address_id")
            ]
            if len(groups) < GROUPS_PER_PAGE:
                return lines
            page += 1

    def _attribute_problems(self) -> list[str]:
        """A due-date attribute that Zammad would still drop from ticket updates."""
        name = self._policy.due_date_attribute
        held = find(self._list("attribute"), name)
        if held is None:
            return []  # Reported as missing above.
        if awaits_migration(held):
            return [
                f"attribute '{name}' awaits Zammad's database migration: run 'ticket-warden "
                "install' (or Admin > Objects > Update database), then restart Zammad"
            ]
        tickets = self._call("GET", "/api/v1/tickets?per_page=1&page=1")
        if isinstance(tickets, list) and tickets and name not in tickets[0]:
            return [
                f"attribute '{name}' is migrated but Zammad does not use it yet: restart "
                "Zammad (e.g. 'systemctl restart zammad'); until then due dates are dropped"
            ]
        return []

    def _sla_order_problems(self) -> list[str]:
        marker = self._manifest.zammad.marker
        slas = self._list("sla")
        ours = sorted(str(sla["name"]) for sla in owned("sla", slas, self._manifest, self._policy))
        if not ours:
            return []
        return [
            f"SLA '{sla['name']}' sorts before ticket-warden's and Zammad uses the first match "
            f"by name: rename it so that it sorts after '{marker}'"
            for sla in slas
            if not str(sla.get("name", "")).startswith(marker) and str(sla.get("name")) < ours[0]
        ]

    # -- install -------------------------------------------------------------------------

    def install(
        self, *, dry_run: bool = False, checking: bool = False, force_secrets: bool = False
    ) -> Outcome:
        """Create or update every object; a dry run only plans.

        ``checking`` plans without a secret or webhook URL: the webhook's endpoint is
        then taken as Zammad holds it.
        """
        if not checking and not self._secret:
            raise InstallError(
                "no webhook secret: set WARDEN_WEBHOOK_SECRET "
                "(the receiver must use the same value)"
            )
        outcome = Outcome()
        webhook_url = self._webhook_url
        webhook_id = NEW_ID
        calendar_ids: dict[Clock, int] = {}
        pending_migration = False
        for kind in INSTALL_ORDER:
            existing = self._list(kind)
            if kind == "attribute":
                pending_migration = awaits_migration(
                    find(existing, self._policy.due_date_attribute)
                )
            if kind == "webhook" and checking and not webhook_url:
                held = find(existing, self._manifest.zammad.objects.webhook.name)
                webhook_url = str(held["endpoint"]) if held else "https://unknown"
            for desired in self._desired(kind, webhook_id, calendar_ids, webhook_url):
                step = step_for(desired, find(existing, desired.name), force_secrets=force_secrets)
                object_id = step.existing_id if step.existing_id is not None else NEW_ID
                if not dry_run and step.action != "unchanged":
                    object_id = self._write(step)
                outcome.steps.append(step)
                if kind == "webhook":
                    webhook_id = object_id
                if kind == "calendar":
                    clock = next(c for c, d in self._calendars().items() if d.name == desired.name)
                    calendar_ids[clock] = object_id
        attribute_changed = any(
            step.kind == "attribute" and step.action != "unchanged" for step in outcome.steps
        )
        if (attribute_changed or pending_migration) and not dry_run:
            self._call("POST", MIGRATIONS_PATH)
            outcome.notes.append(RESTART_NOTE)
        return outcome

    def _calendars(self) -> dict[Clock, Desired]:
        return desired_calendars(self._manifest, self._policy, self._today)

    def _desired(
        self,
        kind: Kind,
        webhook_id: int,
        calendar_ids: Mapping[Clock, int],
        webhook_url: str | None,
    ) -> list[Desired]:
        if kind == "attribute":
            return [desired_attribute(self._manifest, self._policy)]
        if kind == "tag":
            return desired_tags(self._policy)
        if kind == "webhook":
            if not webhook_url:
                raise InstallError(
                    "no webhook URL: pass --webhook-url (or set WARDEN_WEBHOOK_URL), the address "
                    "at which Zammad reaches ticket-warden"
                )
            endpoint = webhook_endpoint(self._manifest, webhook_url)
            return [desired_webhook(self._manifest, endpoint, self._secret or "")]
        if kind == "trigger":
            return desired_triggers(self._manifest, webhook_id)
        if kind == "calendar":
            return list(self._calendars().values())
        if kind == "overview":
            return [desired_overview(self._manifest, self._policy)]
        return desired_slas(self._manifest, self._policy, calendar_ids)

    # -- uninstall -----------------------------------------------------------------------

    def uninstall(self, *, dry_run: bool = False, keep_attribute: bool = False) -> Outcome:
        """Delete exactly the objects ticket-warden made, dependants first."""
        outcome = Outcome()
        for kind in reversed(INSTALL_ORDER):
            if kind == "attribute" and keep_attribute:
                continue
            for obj in owned(kind, self._list(kind), self._manifest, self._policy):
                step = Step("delete", kind, str(obj["name"]), existing_id=int(obj["id"]))
                if not dry_run:
                    self._call("DELETE", f"{PATHS[kind]}/{step.existing_id}")
                outcome.steps.append(step)
        if not dry_run and any(step.kind == "attribute" for step in outcome.steps):
            self._call("POST", MIGRATIONS_PATH)
            outcome.notes.append(RESTART_NOTE)
        return outcome

    # -- I/O helpers -----------------------------------------------------------------------

    def _list(self, kind: Kind) -> list[Mapping[str, Any]]:
        body = self._call("GET", PATHS[kind])
        objects = body if isinstance(body, list) else []
        if kind == "attribute":
            return [obj for obj in objects if obj.get("object", "Ticket") == "Ticket"]
        return objects

    def _write(self, step: Step) -> int:
        path = PATHS[step.kind]
        try:
            if step.action == "create":
                written = self._client.call("POST", path, step.payload)
            else:
                written = self._client.call("PUT", f"{path}/{step.existing_id}", step.payload)
        except HelpdeskError as exc:
            if exc.status in (401, 403, 404) or exc.status >= 500:
                raise InstallError(explain(exc, self._client.base_url)) from exc
            raise InstallError(
                f"Zammad refused to {step.action} {step.kind} '{step.name}' "
                f"(HTTP {exc.status}): {exc.message}"
            ) from exc
        except HelpdeskUnavailableError as exc:
            raise InstallError(explain(exc, self._client.base_url)) from exc
        return int(written["id"]) if isinstance(written, Mapping) and "id" in written else NEW_ID

    def _call(self, method: str, path: str, body: Mapping[str, Any] | None = None) -> Any:
        try:
            return self._client.call(method, path, body)
        except (HelpdeskError, HelpdeskUnavailableError) as exc:
            raise InstallError(explain(exc, self._client.base_url)) from exc
