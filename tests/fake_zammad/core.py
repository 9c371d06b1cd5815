"""The fake Zammad's state and REST routes, each behaviour following Zammad's source.

Paths in comments are files of ``zammad/zammad`` (read at the 2021-2026 commits
the search index holds); "guess" marks what the source could not settle. The
fake stores what Zammad stores (columns with ids, not names), drops what
``param_cleanup`` drops, refuses what Zammad refuses, and has Zammad's side
effects: ticket attributes set by articles, triggers run after every request
that creates an article, webhooks posted from them.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import getaddresses
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.fake_zammad import rails, seeds
from tests.fake_zammad.selector import InvalidCondition, matches, validate
from tests.fake_zammad.webhooks import JobRequest, WebhookSender, webhook_body

Answer = tuple[int, Any, dict[str, str]]

# Admin collections: path -> the permission their controller policy demands
# (app/policies/controllers/*_controller_policy.rb, default_permit!).
ADMIN_COLLECTIONS = {
    "/api/v1/object_manager_attributes": "admin.object",
    "/api/v1/webhooks": "admin.webhook",
    "/api/v1/triggers": "admin.trigger",
    "/api/v1/calendars": "admin.calendar",
    "/api/v1/slas": "admin.sla",
    "/api/v1/overviews": "admin.overview",
}
ALL_PERMISSIONS = frozenset(
    {"ticket.agent", "admin.tag", "admin.setting", "admin.group", *ADMIN_COLLECTIONS.values()}
)
# Columns of each admin table (db/migrate/20120101000001_create_base.rb and
# 20120101000010_create_ticket.rb); param_cleanup keeps only these
# (app/models/application_model/can_cleanup_param.rb). Calendars and SLAs have no
# ``note``; webhooks have no ``http_method``.
ADMIN_COLUMNS = {
    "/api/v1/webhooks": {
        "name",
        "endpoint",
        "signature_token",
        "ssl_verify",
        "basic_auth_username",
        "basic_auth_password",
        "note",
        "pre_defined_webhook_type",
        "customized_payload",
        "custom_payload",
        "preferences",
        "active",
    },
    "/api/v1/triggers": {
        "name",
        "condition",
        "perform",
        "disable_notification",
        "localization",
        "timezone",
        "note",
        "activator",
        "execution_condition_mode",
        "active",
    },
    "/api/v1/calendars": {
        "name",
        "timezone",
        "business_hours",
        "default",
        "ical_url",
        "public_holidays",
        "last_log",
        "last_sync",
    },
    "/api/v1/slas": {
        "calendar_id",
        "name",
        "first_response_time",
        "response_time",
        "update_time",
        "solution_time",
        "condition",
    },
    "/api/v1/overviews": {
        "name",
        "link",
        "prio",
        "condition",
        "order",
        "group_by",
        "group_direction",
        "organization_shared",
        "out_of_office",
        "view",
        "active",
        "role_ids",
        "user_ids",
    },
}
# Column defaults the migrations give (same files).
ADMIN_DEFAULTS: dict[str, dict[str, Any]] = {
    "/api/v1/webhooks": {"ssl_verify": True, "customized_payload": False, "active": True},
    "/api/v1/triggers": {
        "disable_notification": True,
        "activator": "action",
        "execution_condition_mode": "selective",
        "active": True,
    },
    "/api/v1/calendars": {"default": False},
    "/api/v1/slas": {},
    "/api/v1/overviews": {"active": True},
}
# param_cleanup's filter_unused_params, plus ``id`` on create and update.
NEVER_WRITTEN = {"id", "created_at", "updated_at", "created_by_id", "updated_by_id"}
# The ticket table's columns (db/migrate/20120101000010_create_ticket.rb), a subset
# that covers every column ticket-warden or the tests touch.
TICKET_COLUMNS = (
    "id", "group_id", "priority_id", "state_id", "organization_id", "number", "title",
    "owner_id", "customer_id", "note", "first_response_at", "first_response_escalation_at",
    "close_at", "last_contact_at", "last_contact_agent_at", "last_contact_customer_at",
    "last_owner_update_at", "create_article_type_id", "create_article_sender_id",
    "article_count", "escalation_at", "pending_time", "type", "time_unit", "preferences",
    "updated_by_id", "created_by_id", "created_at", "updated_at",
)  # fmt: skip
ARTICLE_COLUMNS = (
    "id", "ticket_id", "type_id", "sender_id", "from", "to", "cc", "subject", "reply_to",
    "message_id", "message_id_md5", "in_reply_to", "content_type", "references", "body",
    "internal", "preferences", "updated_by_id", "created_by_id", "origin_by_id",
    "created_at", "updated_at",
)  # fmt: skip
# Ticket associations resolved from names (association_name_to_id_convert,
# app/models/application_model/can_associations.rb).
TICKET_NAMED = {"priority": "priority_id", "state": "state_id", "group": "group_id"}
# The belongs_to associations declared with a class_name, whose ids param_cleanup
# looks up (app/models/application_model/can_cleanup_param.rb), in declaration order:
# app/models/ticket.rb (group and organization have no class_name, so go unchecked), and
# app/models/ticket/article.rb after HasDefaultModelUserRelations' created_by/updated_by
# (app/models/concerns/has_default_model_user_relations.rb; ticket has no class_name).
TICKET_CHECKED_IDS = {
    "state_id": "Ticket::State",
    "priority_id": "Ticket::Priority",
    "owner_id": "User",
    "customer_id": "User",
    "created_by_id": "User",
    "updated_by_id": "User",
    "create_article_type_id": "Ticket::Article::Type",
    "create_article_sender_id": "Ticket::Article::Sender",
}
ARTICLE_CHECKED_IDS = {
    "created_by_id": "User",
    "updated_by_id": "User",
    "type_id": "Ticket::Article::Type",
    "sender_id": "Ticket::Article::Sender",
    "origin_by_id": "User",
}
SYSTEM_USER_ID = 1  # db/seeds/users.rb: the system user "-", id 1, owner of unassigned tickets
CHAOS_FAULTS = ("500", "503", "429", "timeout", "drop_before", "drop_after")
DROPPED = -1  # status meaning: close the connection without an answer
BOT: dict[str, Any] = {  # the token's user: the bot, an agent
    "id": 99,
    "login": "ticket-warden@xstore.example",
    "firstname": "ticket",
    "lastname": "warden",
    "email": "ticket-warden@xstore.example",
    "organization_id": None,
    "active": True,
}
AGENT: dict[str, Any] = {  # a person answering in Zammad's UI
    "id": 3,
    "login": "nomsa@xstore.example",
    "firstname": "Nomsa",
    "lastname": "Dlamini",
    "email": "nomsa@xstore.example",
    "organization_id": None,
    "active": True,
}
DEFAULT_GROUP: dict[str, Any] = {"id": 1, "name": "Users", "email_address_id": 1, "active": True}
GROUP_ADDRESS = ("Support", "support@xstore.example")
_EMAIL = re.compile(r"[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;]+")


class ZammadError(Exception):
    """A request Zammad answers with an error status and body."""

    def __init__(self, status: int, error: str, *, human: bool = True) -> None:
        super().__init__(error)
        self.status = status
        # handles_errors.rb#humanize_error: known errors carry error_human too.
        self.body = {"error": error, "error_human": error} if human else {"error": error}


def unprocessable(message: str) -> ZammadError:
    return ZammadError(422, message)


def without_details(status: int, message: str, permissions: frozenset[str]) -> ZammadError:
    """An error humanize_error gives no error_human (handles_errors.rb): its message only
    for a user ExceptionsPolicy#view_details? lets see it (app/policies/exceptions_policy.rb:
    ``permissions?('admin')``), for others an error id (guess: a fixed id; Zammad draws
    SecureRandom.urlsafe_base64(6))."""
    if "admin" not in permissions:
        message = "Error ID fake01: Please contact your administrator."
    return ZammadError(status, message, human=False)


def not_authorized(message: str = "Not authorized") -> ZammadError:
    return ZammadError(403, message)


@dataclass
class Failure:
    """Answer the next ``times`` matching requests with ``status`` (and headers)."""

    method: str
    path: str
    status: int
    times: int
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None


@dataclass
class FakeZammad:
    """State of the fake Zammad and the log of what was asked of it."""

    token: str = "test-token"
    permissions: frozenset[str] = ALL_PERMISSIONS
    # Settings (db/seeds/settings.rb): es_url blank means no Elasticsearch.
    elasticsearch: bool = False
    tag_new: bool = True
    ticket_last_contact_behaviour: str = "check_if_agent_already_replied"
    ticket_define_email_from: str = "AgentNameSystemAddressName"
    ticket_define_email_from_separator: str = "via"
    # The strictest supported object-manager validation: Zammad up to 2021 refused a
    # datetime attribute whose data_option.diff is nil (object_manager/attribute.rb).
    legacy_attribute_validation: bool = True
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    articles: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    tags: dict[int, list[str]] = field(default_factory=dict)
    tag_items: list[str] = field(default_factory=list)
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    organizations: dict[int, dict[str, Any]] = field(default_factory=dict)
    groups: dict[int, dict[str, Any]] = field(default_factory=dict)
    admin: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # Custom ticket columns in the database, and those the running Zammad knows.
    db_columns: set[str] = field(default_factory=set)
    loaded_columns: set[str] = field(default_factory=set)
    column_types: dict[str, str] = field(default_factory=dict)
    migrations_run: int = 0
    outbox: list[dict[str, Any]] = field(default_factory=list)
    writes: list[tuple[str, str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    held: threading.Event = field(default_factory=threading.Event)
    hold_path: str | None = None
    lock: threading.RLock = field(default_factory=threading.RLock)
    next_ids: dict[str, int] = field(default_factory=dict)
    # "now" for relative search conditions: the current time, from which
    # lib/selector/sql.rb measures 'within last (relative)', unless a test pins it to its
    # payloads' time.
    now: datetime | None = None
    chaos_rate: float = 0.0
    chaos_random: random.Random = field(default_factory=random.Random)
    chaos_timeout: float = 1.5
    chaos_faults: dict[str, int] = field(default_factory=dict)
    # Seconds every answer waits, outside the lock so that requests wait side by side:
    # not Zammad's, the network's and a busy server's delay, for benchmarks.
    latency: float = 0.0
    webhook_wait_scale: float = 0.01
    webhook_timeouts: tuple[float, float] = (4.0, 30.0)
    # Webhooks' signature tokens as stored (the API shows them masked).
    webhook_secrets: dict[int, str | None] = field(default_factory=dict)
    _sender: WebhookSender | None = None

    def __post_init__(self) -> None:
        self.held.set()  # Not holding anything until told to.
        self.admin = {path: [] for path in ADMIN_COLLECTIONS}
        self.users[BOT["id"]] = dict(BOT)
        self.groups[DEFAULT_GROUP["id"]] = dict(DEFAULT_GROUP)
        self.next_ids = {"ticket": 100, "article": 5000, "user": 200, "admin": 100, "tag": 0}
        # Zammad's own ticket attributes, so the list is not only ours
        # (db/seeds/object_manager_attributes.rb).
        self.admin["/api/v1/object_manager_attributes"] = [
            self._attribute_row(1, "title", "Title", "input", editable=False),
            self._attribute_row(7, "pending_time", "Pending till", "datetime", editable=False),
        ]

    # -- test set-up ------------------------------------------------------------------

    def _next(self, kind: str, at_least: int = 0) -> int:
        self.next_ids[kind] = max(self.next_ids[kind] + 1, at_least)
        return self.next_ids[kind]

    def add_user(self, user: Mapping[str, Any]) -> int:
        """A user as Zammad's users table holds it; returns its id."""
        with self.lock:
            user_id = int(user.get("id") or self._next("user"))
            organization = user.get("organization")
            organization_id = user.get("organization_id")
            if isinstance(organization, str) and organization_id is None:
                organization_id = self._organization_named(organization)
            self.users[user_id] = {
                "id": user_id,
                "login": user.get("login") or user.get("email"),
                "firstname": user.get("firstname") or "",
                "lastname": user.get("lastname") or "",
                "email": user.get("email"),
                "organization_id": organization_id,
                "active": True,
            }
            return user_id

    def _organization_named(self, name: str) -> int:
        for organization in self.organizations.values():
            if organization["name"] == name:
                return int(organization["id"])
        organization_id = self._next("admin")
        self.organizations[organization_id] = {"id": organization_id, "name": name}
        return organization_id

    def add_ticket_from_payload(self, payload: Mapping[str, Any]) -> None:
        """Make the ticket and article of a webhook payload exist, fire no trigger."""
        ticket = payload["ticket"]
        article = payload.get("article") or {}
        with self.lock:
            customer = ticket.get("customer") or {}
            customer_id = self.add_user(customer) if customer.get("id") else None
            organization = ticket.get("organization") or {}
            if organization.get("id"):
                self.organizations[organization["id"]] = dict(organization)
            priority = ticket.get("priority")
            priority_name = priority.get("name") if isinstance(priority, dict) else priority
            created = rails.parse_time(ticket.get("created_at") or rails.time(self.current_time()))
            row = self._new_ticket_row(
                int(ticket["id"]),
                title=ticket.get("title", ""),
                customer_id=customer_id,
                organization_id=organization.get("id"),
                created_at=created,
            )
            row["number"] = str(ticket["number"])
            row["priority_id"] = seeds.priority_id(priority_name or "") or seeds.DEFAULT_PRIORITY
            row["state_id"] = seeds.state_id(ticket.get("state") or "new") or 1
            self.tickets[row["id"]] = row
            self.tags.setdefault(row["id"], [])
            self.next_ids["ticket"] = max(self.next_ids["ticket"], row["id"])
            if article:
                self._store_article(
                    row,
                    {
                        "id": int(article["id"]),
                        "type_id": seeds.type_id(article.get("type") or "email") or 1,
                        "sender_id": seeds.sender_id(article.get("sender") or "Customer") or 2,
                        "internal": bool(article.get("internal")),
                        "from": article.get("from"),
                        "to": article.get("to"),
                        "cc": article.get("cc"),
                        "subject": article.get("subject"),
                        "body": article.get("body") or "",
                        "content_type": article.get("content_type") or "text/plain",
                        "preferences": dict(article.get("preferences") or {}),
                        "created_by_id": customer_id,
                        "created_at": rails.parse_time(
                            article.get("created_at") or rails.time(created)
                        ),
                    },
                )

    def current_time(self) -> datetime:
        """The pinned ``now``, else the real time."""
        return self.now or datetime.now(UTC)

    def receive_mail(
        self,
        *,
        sender: str,
        subject: str,
        body: str,
        to: str = GROUP_ADDRESS[1],
        ticket_id: int | None = None,
        name: str = "",
        organization: str | None = None,
        preferences: Mapping[str, Any] | None = None,
        at: datetime | None = None,
    ) -> tuple[int, int]:
        """A customer's mail through Zammad's postmaster: a new ticket or a follow-up.

        Like Channel::EmailParser#_process, the mail is one transaction at whose end
        the triggers run ('create' for a new ticket, 'update' for a follow-up).
        Returns the ticket and article ids.
        """
        moment = at or datetime.now(UTC)
        with self.lock:
            user_id = next(
                (uid for uid, user in self.users.items() if user.get("email") == sender), None
            )
            if user_id is None:
                first, _, last = name.partition(" ")
                user_id = self.add_user(
                    {
                        "email": sender,
                        "firstname": first,
                        "lastname": last,
                        "organization": organization,
                    }
                )
            action = "update"
            if ticket_id is None:
                action = "create"
                row = self._new_ticket_row(
                    self._next("ticket"),
                    title=subject,
                    customer_id=user_id,
                    organization_id=self.users[user_id]["organization_id"],
                    created_at=moment,
                )
                row["created_by_id"] = user_id
                self.tickets[row["id"]] = row
                self.tags.setdefault(row["id"], [])
            row = self.tickets[ticket_id or row["id"]]
            changed = set()
            if action == "update" and row["state_id"] != seeds.DEFAULT_CREATE_STATE:
                # Channel::EmailParser#_process: a follow-up to a ticket that is not new
                # goes to the default_follow_up state ("open"), pending or not, and
                # Ticket#reset_pending_time clears its pending_time.
                if row["state_id"] != seeds.DEFAULT_FOLLOW_UP_STATE:
                    changed.add("state_id")
                row["state_id"] = seeds.DEFAULT_FOLLOW_UP_STATE
                self._state_callbacks(row, state_changed="state_id" in changed)
            display = f"{name} <{sender}>" if name else sender
            article = self._store_article(
                row,
                {
                    "id": self._next("article"),
                    "type_id": seeds.type_id("email"),
                    "sender_id": seeds.sender_id("Customer"),
                    "internal": False,
                    "from": display,
                    "to": to,
                    "subject": subject,
                    "body": body,
                    "content_type": "text/plain",
                    "preferences": dict(preferences or {}),
                    "created_by_id": user_id,
                    "created_at": moment,
                },
            )
            self._run_triggers(row["id"], article["id"], action, changed=changed)
            return row["id"], article["id"]

    def agent_reply(
        self,
        ticket_id: int,
        *,
        body: str,
        to: str,
        internal: bool = False,
        at: datetime | None = None,
    ) -> int:
        """A person (agent ``AGENT``) answers by email in Zammad's UI (at ``at``, default
        now): the same article creation as the API's, then the triggers ('update').
        Returns the article id."""
        with self.lock:
            self.users.setdefault(AGENT["id"], dict(AGENT))
            ticket = self.tickets[ticket_id]
            article = self._store_article(
                ticket,
                {
                    "id": self._next("article"),
                    "type_id": seeds.type_id("email"),
                    "sender_id": seeds.sender_id("Agent"),
                    "internal": internal,
                    "from": self._email_from(AGENT["id"]),
                    "to": to,
                    "subject": ticket["title"],
                    "body": body,
                    "content_type": "text/html",
                    "preferences": {},
                    "created_by_id": AGENT["id"],
                    "created_at": at or datetime.now(UTC),
                },
            )
            self._run_triggers(ticket_id, article["id"], "update", changed=set())
            return int(article["id"])

    def add_column(self, name: str = "sla_due_at") -> None:
        """A custom ticket column already migrated and known to the running Zammad, as
        after ``ticket-warden install`` and a restart (its object-manager row aside)."""
        with self.lock:
            self.db_columns.add(name)
            self.loaded_columns.add(name)
            self.column_types[name] = "datetime"
            for ticket in self.tickets.values():
                ticket.setdefault(name, None)

    def restart(self) -> None:
        """Restart Zammad: every process now knows the migrated columns (guess: the
        web workers keep their column cache until then; migration_execute only resets
        it in the process that ran it, object_manager/attribute.rb#reset_database_info)."""
        with self.lock:
            self.loaded_columns = set(self.db_columns)

    def fail(self, method: str, path: str, status: int, times: int = 1, **extra: Any) -> None:
        with self.lock:
            self.failures.append(Failure(method, path, status, times, **extra))

    @contextmanager
    def holding(self, path: str) -> Iterator[None]:
        """Requests whose path starts with ``path`` wait until the block ends."""
        self.hold_path = path
        self.held.clear()
        try:
            yield
        finally:
            self.held.set()
            self.hold_path = None

    def chaos(self, rate: float, *, seed: int = 7, timeout: float = 1.5) -> None:
        """Fail about ``rate`` of the calls with 500, 503, 429, a slow answer or a dropped
        connection (before or after doing the work); ``rate`` 0 turns it off."""
        with self.lock:
            self.chaos_rate = rate
            self.chaos_random = random.Random(seed)
            self.chaos_timeout = timeout

    # -- what tests read -----------------------------------------------------------------

    def writes_to(self, method: str, prefix: str) -> list[Any]:
        return [body for m, path, body in self.writes if m == method and path.startswith(prefix)]

    def ticket(self, ticket_id: int) -> dict[str, Any]:
        """The ticket as ``GET /tickets/ID?expand=true`` shows it (names, JSON times)."""
        with self.lock:
            return _json_ready(self._expanded_ticket(self.tickets[ticket_id]))

    def article_views(self, ticket_id: int) -> list[dict[str, Any]]:
        """The ticket's articles as ``by_ticket`` shows them (names, JSON times)."""
        with self.lock:
            return [_json_ready(self._named_article(a)) for a in self.articles.get(ticket_id, [])]

    def bot_articles(self, ticket_id: int) -> list[dict[str, Any]]:
        return [a for a in self.article_views(ticket_id) if a["created_by_id"] == BOT["id"]]

    @property
    def webhooks_sent(self) -> WebhookSender:
        """The trigger engine's webhook sender (its ``attempts`` and ``wait_idle``)."""
        with self.lock:
            if self._sender is None:
                open_timeout, read_timeout = self.webhook_timeouts
                self._sender = WebhookSender(
                    wait_scale=self.webhook_wait_scale,
                    open_timeout=open_timeout,
                    read_timeout=read_timeout,
                )
            return self._sender

    def close(self) -> None:
        if self._sender is not None:
            self._sender.close()

    # -- request handling ------------------------------------------------------------------

    def handle(self, method: str, url: str, headers: dict[str, str], raw: bytes) -> Answer:
        parsed = urlparse(url)
        path, query = parsed.path, parse_qs(parsed.query)
        with self.lock:
            self.requests.append((method, path))
        if self.latency:
            time.sleep(self.latency)
        if self.hold_path and path.startswith(self.hold_path):
            self.held.wait(timeout=60)
        auth = headers.get("authorization", "")
        if auth not in (f"Token token={self.token}", f"Bearer {self.token}"):
            # handles_errors.rb: Exceptions::NotAuthorized -> 401 "Authorization failed" (guess
            # for the exact text of an unknown token).
            return (
                401,
                {"error": "Authentication required", "error_human": "Authentication required"},
                {},
            )
        with self.lock:
            for failure in self.failures:
                if failure.times > 0 and failure.method == method and path.startswith(failure.path):
                    failure.times -= 1
                    body = failure.body or {
                        "error": f"fake failure {failure.status}",
                        "error_human": f"Fake failure {failure.status}",
                    }
                    return failure.status, body, failure.headers
        try:
            body = rails_loads(raw)
        except ValueError:
            return 400, {"error": "JSON parse error"}, {}
        fault = self._chaos_fault()
        if fault in ("500", "503"):
            return int(fault), {"error": f"chaos {fault}", "error_human": "Chaos"}, {}
        if fault == "429":
            return 429, {"error": "Too many requests"}, {"Retry-After": "1"}
        if fault == "drop_before":
            return DROPPED, None, {}
        if fault == "timeout":
            time.sleep(self.chaos_timeout)  # The client gives up; the work is still done.
        try:
            with self.lock:
                answer = self._route(method, path, query, body)
        except ZammadError as exc:
            answer = exc.status, exc.body, {}
        if fault == "drop_after":
            return DROPPED, None, {}  # Done, but the answer never reaches the client.
        return answer

    def _chaos_fault(self) -> str | None:
        with self.lock:
            if not self.chaos_rate or self.chaos_random.random() >= self.chaos_rate:
                return None
            fault = self.chaos_random.choice(CHAOS_FAULTS)
            self.chaos_faults[fault] = self.chaos_faults.get(fault, 0) + 1
            return fault

    def _need(self, permission: str, message: str = "Not authorized (user)!") -> None:
        # application_controller_policy.rb: user.permissions!(...) raises Forbidden.
        if permission not in self.permissions:
            raise not_authorized(message)

    def _route(self, method: str, path: str, query: dict[str, list[str]], body: Any) -> Answer:
        flags = {key: _true(values[0]) for key, values in query.items()}
        if method == "GET" and path == "/api/v1/users/me":
            return 200, _json_ready(self.users[BOT["id"]]), {}
        if match := re.fullmatch(r"/api/v1/(users|organizations)/(\d+)", path):
            table = self.users if match[1] == "users" else self.organizations
            found = table.get(int(match[2]))
            if found is None:
                raise ZammadError(
                    404, f"Couldn't find {match[1][:-1].title()} with 'id'={match[2]}"
                )
            return 200, _json_ready(found), {}
        if method == "GET" and path in ("/api/v1/ticket_priorities", "/api/v1/ticket_states"):
            # Guess: any agent may list them (the web app loads them for every agent).
            self._need("ticket.agent")
            if path.endswith("priorities"):
                rows = [{"id": i, "name": n, "active": True} for i, n in seeds.PRIORITIES.items()]
            else:
                rows = [
                    {"id": i, "name": n, "ignore_escalation": e, "active": True}
                    for i, (n, _t, e) in seeds.STATES.items()
                ]
            return 200, rows, {}
        if path == "/api/v1/object_manager_attributes_execute_migrations" and method == "POST":
            return self._execute_migrations()
        if path in ("/api/v1/tickets/search",) and method in ("GET", "POST"):
            params = {key: values[0] for key, values in query.items()}
            if isinstance(body, dict):
                params |= body
            return 200, self._search(params), {}
        if method == "GET" and path == "/api/v1/tickets":
            return 200, self._index(query, expand=flags.get("expand", False)), {}
        if path.startswith("/api/v1/tag_list"):
            return self._tag_list(method, body or {})
        if method == "GET" and path == "/api/v1/groups":
            # groups_controller.rb#index is model_index_render (application_controller/
            # renders_models.rb): paginate_with(default: 500), CanPaginate::Pagination's
            # max 1000, ordered by id; Controllers::GroupsControllerPolicy demands
            # admin.group (default_permit!).
            self._need("admin.group")
            limit, offset = _paginate(query, default=500, maximum=1000)
            groups = [_json_ready(group) for _, group in sorted(self.groups.items())]
            return 200, groups[offset : offset + limit], {}
        if method == "GET" and path == "/api/v1/tags":
            # tags_controller.rb#list: {"tags": [...]} in the order they were added.
            ticket_id = int(query.get("o_id", ["0"])[0])
            return 200, {"tags": list(self.tags.get(ticket_id, []))}, {}
        if path in ("/api/v1/tags/add", "/api/v1/tags/remove"):
            return self._tag(method, path, body or {})
        collection = next((c for c in ADMIN_COLLECTIONS if path.startswith(c)), None)
        if collection is not None:
            return self._admin(collection, method, path, body)
        if match := re.fullmatch(r"/api/v1/tickets/(\d+)", path):
            ticket = self.tickets.get(int(match[1]))
            if ticket is None:
                raise ZammadError(404, f"Couldn't find Ticket with 'id'={match[1]}")
            if method == "GET":
                return 200, self._show(ticket, flags), {}
            if method == "PUT":
                return self._update_ticket(ticket, body or {}, flags)
        if method == "GET" and (
            match := re.fullmatch(r"/api/v1/ticket_articles/by_ticket/(\d+)", path)
        ):
            # ticket_articles_controller.rb#index_by_ticket: names with every article.
            articles = self.articles.get(int(match[1]), [])
            return 200, [_json_ready(self._named_article(a)) for a in articles], {}
        if method == "POST" and path == "/api/v1/ticket_articles":
            return self._post_article(body or {})
        raise ZammadError(404, f'No route matches [{method}] "{path}"')

    # -- tickets -------------------------------------------------------------------------

    def _new_ticket_row(
        self,
        ticket_id: int,
        *,
        title: str,
        customer_id: int | None,
        organization_id: int | None,
        created_at: datetime,
    ) -> dict[str, Any]:
        row: dict[str, Any] = dict.fromkeys(TICKET_COLUMNS)
        row |= {
            "id": ticket_id,
            "number": str(10000 + ticket_id),
            "title": title,
            "group_id": DEFAULT_GROUP["id"],
            # app/models/ticket.rb: set_default_state / set_default_priority, owner 1.
            "state_id": seeds.DEFAULT_CREATE_STATE,
            "priority_id": seeds.DEFAULT_PRIORITY,
            "owner_id": 1,
            "customer_id": customer_id,
            "organization_id": organization_id,
            "article_count": 0,
            "preferences": {},
            "created_by_id": customer_id,
            "updated_by_id": customer_id,
            "created_at": created_at,
            "updated_at": created_at,
        }
        row |= dict.fromkeys(self.db_columns)
        return row

    def _visible(self, ticket: Mapping[str, Any]) -> dict[str, Any]:
        """The ticket's attributes as the running Zammad reads them: a column added by a
        migration appears only once the process knows it (see ``restart``)."""
        hidden = self.db_columns - self.loaded_columns
        return {key: value for key, value in ticket.items() if key not in hidden}

    def _with_ids(self, ticket: Mapping[str, Any]) -> dict[str, Any]:
        # can_associations.rb#attributes_with_association_ids adds has_many ids.
        row = self._visible(ticket)
        row["article_ids"] = [a["id"] for a in self.articles.get(int(ticket["id"]), [])]
        return row

    def _expanded_ticket(self, ticket: Mapping[str, Any]) -> dict[str, Any]:
        # attributes_with_association_names: belongs_to named by name or login.
        row = self._with_ids(ticket)
        row["priority"] = seeds.PRIORITIES.get(int(ticket["priority_id"] or 0))
        row["state"] = seeds.STATES.get(int(ticket["state_id"] or 0), ("",))[0]
        row["group"] = self.groups.get(int(ticket["group_id"] or 0), {}).get("name")
        for key in ("customer", "owner", "created_by", "updated_by"):
            user = self.users.get(ticket.get(f"{key}_id") or 0)
            row[key] = user.get("login") if user else None
        organization = self.organizations.get(ticket.get("organization_id") or 0)
        row["organization"] = organization.get("name") if organization else None
        for key, table in (("create_article_type", seeds.TYPES),):
            value = table.get(ticket.get(f"{key}_id") or 0)
            row[key] = value[0] if value else None
        sender = seeds.SENDERS.get(ticket.get("create_article_sender_id") or 0)
        row["create_article_sender"] = sender
        return row

    def _show(self, ticket: Mapping[str, Any], flags: Mapping[str, bool]) -> Any:
        """tickets_controller.rb#show: plain columns, expand, or all (Ticket::AssetsAll)."""
        if flags.get("all"):
            return _json_ready(self._assets_all(ticket))
        if flags.get("expand"):
            return _json_ready(self._expanded_ticket(ticket))
        return _json_ready(self._visible(ticket))

    def _assets_all(self, ticket: Mapping[str, Any]) -> dict[str, Any]:
        """app/models/ticket/assets_all.rb#response: ids in assets keyed by app model.

        Ticket assets carry the ticket and its users (app/models/ticket/assets.rb); each
        article is attributes_with_association_ids (ticket/article/assets.rb), ids only.
        """
        ticket_id = int(ticket["id"])
        articles = self.articles.get(ticket_id, [])
        users = {}
        for key in ("created_by_id", "updated_by_id", "owner_id", "customer_id"):
            user = self.users.get(ticket.get(key) or 0)
            if user:
                users[str(user["id"])] = dict(user)
        return {
            "ticket_id": ticket_id,
            "ticket_article_ids": [a["id"] for a in articles],
            "assets": {
                "Ticket": {str(ticket_id): self._with_ids(ticket)},
                "TicketArticle": {str(a["id"]): dict(a) for a in articles},
                "User": users,
            },
            "links": [],
            "tags": list(self.tags.get(ticket_id, [])),
            "mentions": [],
            "time_accountings": [],
            "form_meta": {},
        }

    def _cleanup_ticket_params(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """association_name_to_id_convert, then param_cleanup(params, true), then the
        update's own ``number`` removal (tickets_controller.rb#update)."""
        data = {key: value for key, value in body.items() if key != "article"}
        for name, column in TICKET_NAMED.items():
            if name not in data:
                continue
            value = data.pop(name)
            if column in data:
                continue  # An explicit *_id wins; the name is dropped.
            lookups: dict[str, Callable[[str], int | None]] = {
                "priority_id": seeds.priority_id,
                "state_id": seeds.state_id,
                "group_id": self._group_id,
            }
            lookup = lookups[column](str(value))
            if lookup is None:
                raise unprocessable(f"No lookup value found for '{name}': {_inspect(value)}")
            data[column] = lookup
        columns = set(TICKET_COLUMNS) | self.loaded_columns
        self._check_reference_ids(data, columns, TICKET_CHECKED_IDS)
        clean = {
            key: value
            for key, value in data.items()
            if key in columns and key not in NEVER_WRITTEN | {"number"}
        }
        for key in self.loaded_columns & clean.keys():
            if clean[key] is not None and self._attribute_type(key) == "datetime":
                try:
                    clean[key] = rails.parse_time(str(clean[key]))
                except ValueError as exc:
                    raise unprocessable(f"Invalid value for param '{key}'") from exc
        return clean

    def _group_id(self, name: str) -> int | None:
        return next((int(g["id"]) for g in self.groups.values() if g["name"] == name), None)

    def _check_reference_ids(
        self, data: Mapping[str, Any], columns: set[str], checked: Mapping[str, str]
    ) -> None:
        """param_cleanup's reference check (app/models/application_model/can_cleanup_param.rb):
        once the params hold any attribute of the model, every ``<association>_id`` of a
        belongs_to with a class_name that is not blank must be found by
        ``klass.lookup(id:)``, else Exceptions::UnprocessableEntity (a 422 with
        error_human, handles_errors.rb) "Invalid value for param '<name>': <inspect>"."""
        if not any(key in columns for key in data if key != "id"):
            return
        for name, klass in checked.items():
            if name not in data or _blank(data[name]):
                continue
            if not self._lookup_id(klass, data[name]):
                raise unprocessable(
                    f"Invalid value for param '{name}': {_ruby_inspect(data[name])}"
                )

    def _lookup_id(self, klass: str, value: Any) -> bool:
        """``klass.lookup(id: value)`` (app/models/application_model/can_lookup.rb): find_by
        casts the value as ActiveModel's Integer type does (``to_i``; nil when it has none)."""
        ident = _cast_integer(value)
        if ident is None:
            return False
        if klass == "User":
            return ident == SYSTEM_USER_ID or ident in self.users
        tables: dict[str, Mapping[int, Any]] = {
            "Ticket::State": seeds.STATES,
            "Ticket::Priority": seeds.PRIORITIES,
            "Ticket::Article::Type": seeds.TYPES,
            "Ticket::Article::Sender": seeds.SENDERS,
        }
        return ident in tables[klass]

    def _update_ticket(
        self, ticket: dict[str, Any], body: Mapping[str, Any], flags: Mapping[str, bool]
    ) -> Answer:
        """tickets_controller.rb#update: the ticket update and ``params[:article]`` in one
        lock and one transaction; answers the reloaded ticket, no article."""
        self._need("ticket.agent", "Not authorized")
        clean = self._cleanup_ticket_params(body)
        # ApplicationModel::CanCleanupParam#param_preferences_merge: the ticket's preferences
        # merged (one level, Hash#merge) with the new ones, unless either is blank.
        existing = ticket.get("preferences")
        if clean and existing:
            new = clean.get("preferences")
            clean["preferences"] = {**existing, **(new if isinstance(new, Mapping) else {})}
        if isinstance(clean.get("pending_time"), str):
            try:  # ActiveRecord casts the string to the datetime column
                clean["pending_time"] = rails.parse_time(clean["pending_time"])
            except ValueError as exc:
                raise unprocessable("Invalid value for param 'pending_time'") from exc
        # Core Workflow, on the edit screen tickets_controller.rb#update sets: the seeded
        # 'base - hide pending time on non pending states' (db/seeds/core_workflow.rb,
        # app/models/core_workflow/custom/pending_time.rb) makes pending_time mandatory in
        # a pending state; app/models/concerns/checks_core_workflow.rb#check_mandatory
        # raises Exceptions::ApplicationModel (lib/exceptions.rb: a subclass of
        # UnprocessableEntity), so rescue_from answers 422, but humanize_error
        # (handles_errors.rb) gives error_human only to the exact class UnprocessableEntity
        # or a record with errors (the ticket has none): no error_human, and the message
        # only for a user ExceptionsPolicy#view_details? lets see it.
        state_after = clean.get("state_id", ticket.get("state_id"))
        if seeds.is_pending(state_after) and not clean.get(
            "pending_time", ticket.get("pending_time")
        ):
            raise without_details(
                422, "Missing required value for field 'pending_time'!", self.permissions
            )
        before = dict(ticket)
        changed = {key for key, value in clean.items() if before.get(key) != value}
        ticket.update(clean)
        self._state_callbacks(ticket, state_changed="state_id" in changed)
        article = None
        if body.get("article"):
            try:
                article = self._create_article(ticket, body["article"])
            except ZammadError:
                ticket.clear()
                ticket.update(before)  # Rolled back with the update.
                raise
        if changed or article is not None:
            ticket["updated_at"] = datetime.now(UTC)
            ticket["updated_by_id"] = BOT["id"]
        self.writes.append(("PUT", f"/api/v1/tickets/{ticket['id']}", dict(body)))
        self._run_triggers(
            int(ticket["id"]), article["id"] if article else None, "update", changed=changed
        )
        if flags.get("expand"):
            return 200, _json_ready(self._expanded_ticket(ticket)), {}
        return 200, _json_ready(self._with_ids(ticket)), {}

    @staticmethod
    def _state_callbacks(ticket: dict[str, Any], *, state_changed: bool) -> None:
        """What a ticket's save does with its state: Ticket#reset_pending_time
        (app/models/ticket.rb, before_update) clears pending_time when the state changes
        to one that is not pending;
        lib/escalation.rb sets every escalation time to nil while the state's
        ignore_escalation holds (they are recomputed, paused time as a break, when it
        leaves it; this fake computes no SLA times of its own)."""
        if state_changed and not seeds.is_pending(ticket.get("state_id")):
            ticket["pending_time"] = None
        if seeds.ignores_escalation(ticket.get("state_id")):
            for column in (
                "escalation_at",
                "first_response_escalation_at",
                "update_escalation_at",
                "close_escalation_at",
            ):
                ticket[column] = None

    def _index(self, query: dict[str, list[str]], *, expand: bool) -> list[dict[str, Any]]:
        """tickets_controller.rb#index: paginate_with(max: 100), id ascending."""
        self._need("ticket.agent", "Not authorized")
        limit, offset = _paginate(query, default=100, maximum=100)
        rows = sorted(self.tickets.values(), key=lambda t: t["id"])[offset : offset + limit]
        view = self._expanded_ticket if expand else self._visible
        return [_json_ready(view(t)) for t in rows]

    def _search(self, params: Mapping[str, Any]) -> Any:
        """tickets_controller.rb#search (Zammad 6.x shape) over CanSearch.

        Elasticsearch only when it is configured *and* a query is given; otherwise SQL:
        the query is a case-insensitive substring of title, number or an article's
        body/from/to/subject (app/models/ticket/search.rb, joins(:articles)), and the
        condition goes through the selector in both paths. Default 50, at most 200.
        """
        query = str(params.get("query") or "").replace("*", "")
        condition = params.get("condition") or {}
        limit, offset = _paginate(
            {k: [str(v)] for k, v in params.items() if k in ("per_page", "limit", "page")},
            default=50,
            maximum=200,
        )
        sort_by = str(params.get("sort_by") or "updated_at")
        descending = str(params.get("order_by") or "desc").lower() == "desc"
        ordered = sorted(
            self.tickets.values(),
            key=lambda t: (t.get(sort_by) is None, t.get(sort_by), t["id"]),
            reverse=descending,
        )
        # Matched in order until the page is full, as the ordered query with LIMIT and
        # OFFSET that app/models/ticket/search.rb builds stops: the same page as matching
        # every ticket first, at a cost that grows with the page asked for.
        found: list[dict[str, Any]] = []
        for ticket in ordered:
            if len(found) >= offset + limit:
                break
            if query and not (
                self._es_match(ticket, query)
                if self.elasticsearch
                else self._sql_match(ticket, query)
            ):
                continue
            if condition and not self._search_condition(ticket, condition):
                continue
            found.append(ticket)
        page = found[offset : offset + limit]
        if _true(str(params.get("expand", ""))):
            return [_json_ready(self._expanded_ticket(t)) for t in page]
        return {
            "tickets": [t["id"] for t in page],
            "tickets_count": len(page),  # the page's size, not the total (6.x spec)
            "assets": {"Ticket": {str(t["id"]): _json_ready(self._with_ids(t)) for t in page}},
        }

    def _sql_match(self, ticket: Mapping[str, Any], query: str) -> bool:
        needle = query.lower()
        for article in self.articles.get(int(ticket["id"]), []):
            texts = [ticket["title"], ticket["number"]] + [
                article.get(key) for key in ("body", "from", "to", "subject")
            ]
            if any(needle in str(text or "").lower() for text in texts):
                return True
        return False

    def _es_match(self, ticket: Mapping[str, Any], query: str) -> bool:
        """Elasticsearch's query string, as far as a test needs it: ``created_at:>now-Nm``
        date math, else a word search (guess: ES tokenising reduced to substrings)."""
        match = re.fullmatch(r"created_at:>now-(\d+)m", query.strip())
        if match:
            return bool(
                ticket["created_at"] > self.current_time() - timedelta(minutes=int(match[1]))
            )
        return self._sql_match(ticket, query)

    def _search_condition(self, ticket: Mapping[str, Any], condition: Mapping[str, Any]) -> bool:
        """The condition through the selector, as search_sql's selector2sql applies it."""
        return matches(
            condition,
            ticket=self._visible(ticket),
            article=None,
            tags=self.tags.get(int(ticket["id"]), []),
            action="update",
            changed=(),
            changes_required=False,
            now=self.current_time(),
        )

    # -- articles ------------------------------------------------------------------------

    def _post_article(self, body: Mapping[str, Any]) -> Answer:
        """ticket_articles_controller.rb#create: 201 with the article's names."""
        ticket = self.tickets.get(int(body.get("ticket_id") or 0))
        if ticket is None:
            raise ZammadError(404, f"Couldn't find Ticket with 'id'={body.get('ticket_id')}")
        self._need("ticket.agent", "Not authorized")
        article = self._create_article(ticket, body)
        self.writes.append(("POST", "/api/v1/ticket_articles", dict(body)))
        self._run_triggers(int(ticket["id"]), article["id"], "update", changed=set())
        return 201, _json_ready(self._named_article(article)), {}

    def _create_article(self, ticket: dict[str, Any], params: Mapping[str, Any]) -> dict[str, Any]:
        """CreatesTicketArticles#article_create for the token's user (an agent)."""
        if params.get("body") is None:
            raise unprocessable("Need at least an 'article body' field.")
        data = dict(params)
        if not data.get("type_id") and not data.get("type"):
            data["type_id"] = seeds.type_id("note")
        if not data.get("sender_id") and not data.get("sender"):
            data["sender_id"] = seeds.sender_id("Agent")  # the user has ticket.agent
        for name, lookup in (("type", seeds.type_id), ("sender", seeds.sender_id)):
            if name in data:
                value = data.pop(name)
                found = lookup(str(value))
                if found is None:
                    raise unprocessable(f"No lookup value found for '{name}': {_inspect(value)}")
                data.setdefault(f"{name}_id", found)
        self._check_reference_ids(data, set(ARTICLE_COLUMNS), ARTICLE_CHECKED_IDS)
        clean = {k: v for k, v in data.items() if k in ARTICLE_COLUMNS and k not in NEVER_WRITTEN}
        # Validations::TicketArticleValidator::Default#validate_body
        if clean.get("body") == "":
            raise unprocessable("Need at least an 'article body' field.")
        email = clean.get("type_id") == seeds.type_id("email")
        # Ticket::Article#check_email_recipient_validity (app/models/ticket/article.rb, any
        # sender; CreatesTicketArticles sets check_email_recipient_raises_error) raises
        # Exceptions::InvalidAttribute, a plain StandardError (lib/exceptions.rb): HTTP 500,
        # no error_human, the message only for admins (handles_errors.rb#humanize_error).
        if email and not _valid_recipients(clean.get("to")):
            raise without_details(
                500, "Sending an email without a valid recipient is not possible.", self.permissions
            )
        customer = clean.get("sender_id") == seeds.sender_id("Customer")
        preferences = dict(clean.get("preferences") or {})
        if email and not customer:
            # adds_metadata_email.rb#metadata_email_process_email_address: a plain
            # RuntimeError in before_create -> HTTP 500, nothing saved. Only admins see
            # the message (handles_errors.rb, ExceptionsPolicy#view_details?).
            group = self.groups.get(int(ticket["group_id"] or 0), {})
            if not group.get("email_address_id"):
                message = (
                    f"No email address found for group '{group.get('name')}' ({group.get('id')})"
                )
                raise without_details(500, message, self.permissions)
            preferences["email_address_id"] = group["email_address_id"]
            # adds_metadata_email.rb#metadata_email_process_from, the subject the ticket's.
            clean["from"] = self._email_from(BOT["id"])
            clean["subject"] = clean.get("subject") or ticket["title"]
            clean["message_id"] = f"<{int(time.time() * 1000)}@zammad.example.com>"
        elif clean.get("type_id") not in _NO_METADATA_TYPES:
            # adds_metadata_general.rb: from is the author's full name.
            clean["from"] = f"{BOT['firstname']} {BOT['lastname']}"
        clean["preferences"] = preferences
        clean["created_by_id"] = BOT["id"]
        clean["created_at"] = datetime.now(UTC)
        clean["id"] = self._next("article")
        article = self._store_article(ticket, clean)
        if email and not customer:
            # enqueue_communicate_email_job.rb: mailed when the sender is not Customer.
            self.outbox.append({"article_id": article["id"], "to": article.get("to")})
        return article

    def _email_from(self, created_by_id: object) -> str:
        """app/models/ticket/article/adds_metadata_email.rb#recipient_name and
        #metadata_email_process_from: unless the author is the system user (id 1), the
        setting ticket_define_email_from (db/seeds/settings.rb: default
        'AgentNameSystemAddressName', separator ticket_define_email_from_separator 'via')
        puts the author's names before the group's email address name;
        Channel::EmailBuild.recipient_line quotes a name that is not only letters."""
        name, address = GROUP_ADDRESS
        author = next((u for uid, u in self.users.items() if uid == created_by_id), {})
        agent = f"{author.get('firstname') or ''} {author.get('lastname') or ''}"
        if created_by_id != SYSTEM_USER_ID:
            if self.ticket_define_email_from == "AgentNameSystemAddressName":
                name = f"{agent} {self.ticket_define_email_from_separator} {name}"
            elif self.ticket_define_email_from == "AgentName":
                name = agent
        return _recipient_line(name, address)

    def _store_article(self, ticket: dict[str, Any], values: Mapping[str, Any]) -> dict[str, Any]:
        article: dict[str, Any] = dict.fromkeys(ARTICLE_COLUMNS)
        article |= {"content_type": "text/plain", "internal": False, "preferences": {}}
        article |= values
        article["ticket_id"] = ticket["id"]
        article["updated_by_id"] = article.get("created_by_id")
        article["updated_at"] = article["created_at"]
        article.setdefault("attachments", [])
        self.next_ids["article"] = max(self.next_ids["article"], int(article["id"]))
        self.articles.setdefault(int(ticket["id"]), []).append(article)
        self._article_side_effects(ticket, article)
        return article

    def _article_side_effects(self, ticket: dict[str, Any], article: Mapping[str, Any]) -> None:
        """app/models/ticket/article/has_ticket_contact_attributes_impact.rb and
        resets_ticket_state.rb, run after every article is created.

        last_contact_update_at for a customer's article follows the setting
        ticket_last_contact_behaviour (db/seeds/settings.rb, default
        'check_if_agent_already_replied'): by default a customer writing again before an
        agent answered leaves last_contact_customer_at at the start of the thread (the
        ``last_contact_customer_at == last_contact_at`` return), and it moves only when the
        agent's last contact is later, compared in whole seconds (``.to_i``)."""
        sender = seeds.SENDERS.get(int(article["sender_id"] or 0))
        communication = seeds.TYPES.get(int(article["type_id"] or 0), ("", False))[1]
        articles = self.articles[int(ticket["id"])]
        # article_count_update: every article but the System sender's.
        ticket["article_count"] = sum(1 for a in articles if a["sender_id"] != 3)
        if len(articles) == 1:  # sender_type_update: from the first article only
            ticket["create_article_type_id"] = article["type_id"]
            ticket["create_article_sender_id"] = article["sender_id"]
        public = not article["internal"]
        if public and sender == "Agent" and communication and not ticket["first_response_at"]:
            ticket["first_response_at"] = article["created_at"]  # first_response_at_update
        if public and communication and sender == "Customer":  # last_contact_update_at
            customer_at = ticket["last_contact_customer_at"]
            agent_at = ticket["last_contact_agent_at"]
            if self.ticket_last_contact_behaviour == "based_on_customer_reaction":
                ticket["last_contact_customer_at"] = article["created_at"]
                ticket["last_contact_at"] = article["created_at"]
            elif customer_at and ticket["last_contact_at"] == customer_at:
                pass  # the customer writes again: the thread's start time stays
            elif (
                customer_at is None
                or agent_at is None
                or int(agent_at.timestamp()) > int(customer_at.timestamp())  # .to_i
            ):
                ticket["last_contact_customer_at"] = article["created_at"]
                ticket["last_contact_at"] = article["created_at"]
        elif public and communication and sender == "Agent":
            ticket["last_contact_agent_at"] = article["created_at"]
            ticket["last_contact_at"] = article["created_at"]
        if public and sender == "Agent" and communication and ticket["state_id"] == 1:
            ticket["state_id"] = seeds.DEFAULT_FOLLOW_UP_STATE  # resets_ticket_state.rb

    def _named_article(self, article: Mapping[str, Any]) -> dict[str, Any]:
        """attributes_with_association_names of an article: ids and names, logins."""
        row = dict(article)
        row["sender"] = seeds.SENDERS.get(int(article["sender_id"] or 0))
        row["type"] = seeds.TYPES.get(int(article["type_id"] or 0), ("",))[0]
        for key in ("created_by", "updated_by", "origin_by"):
            user = self.users.get(article.get(f"{key}_id") or 0)
            if user or key != "origin_by":
                row[key] = user.get("login") if user else None
        return row

    # -- triggers ------------------------------------------------------------------------

    def _run_triggers(
        self, ticket_id: int, article_id: int | None, action: str, *, changed: set[str]
    ) -> None:
        """Transaction::Trigger at the end of a request: every active 'action' trigger in
        name order (app/models/transaction/trigger.rb), matched by the selector, and for
        each a webhook job (trigger_webhook_job.rb). Requests by any user fire them."""
        ticket = self.tickets[ticket_id]
        article = next((a for a in self.articles.get(ticket_id, []) if a["id"] == article_id), None)
        triggers = [
            t for t in self.admin["/api/v1/triggers"]
            if t.get("active", True) and t.get("activator", "action") == "action"
        ]  # fmt: skip
        for trigger in sorted(triggers, key=lambda t: str(t["name"]).lower()):
            try:
                hit = matches(
                    trigger.get("condition") or {},
                    ticket=self._visible(ticket),
                    article=article,
                    tags=self.tags.get(ticket_id, []),
                    action=action,
                    changed=changed,
                    changes_required=trigger.get("execution_condition_mode", "selective")
                    == "selective",
                )
            except InvalidCondition:
                hit = False  # Selector::Sql#get logs and returns nil: no match.
            hook = (trigger.get("perform") or {}).get("notification.webhook") or {}
            if not hit or not hook:
                continue
            # app/models/ticket/perform_changes/action/notification_webhook.rb (2026): one
            # TriggerWebhookJob.perform_later(trigger, ticket, article, webhook_id:) per id of
            # ``Array.wrap(webhook_id).compact_blank.map(&:to_i).uniq``; each job reads the
            # rest when it runs (see _webhook_job).
            raw_ids = hook.get("webhook_id")
            ids = raw_ids if isinstance(raw_ids, list) else [raw_ids]
            webhook_ids = [_cast_integer(i) for i in ids if not _blank(i)]
            for webhook_id in dict.fromkeys(i for i in webhook_ids if i is not None):
                self.webhooks_sent.enqueue(
                    self._webhook_job(int(trigger["id"]), ticket_id, article_id, webhook_id)
                )

    def _webhook_job(
        self, trigger_id: int, ticket_id: int, article_id: int | None, webhook_id: int
    ) -> Callable[[], JobRequest | None]:
        """One execution of TriggerWebhookJob#perform (app/jobs/trigger_webhook_job.rb).

        Every attempt (each retry is a new job instance) loads the trigger, ticket and
        article from their GlobalIDs (gone: discard_on DeserializationError), looks up
        ``Webhook.find_by(id: webhook_id, active: true)`` (none: abort?, no request), and
        posts to its endpoint with its signature_token, ssl_verify, basic_auth_username
        and basic_auth_password, under the trigger's name, the default payload rendered
        from the records as they are now. Guess: the webhook id comes with the job (the
        2026 action passes it; the 2025 job read it from trigger.perform), and
        customized_payload / pre_defined_webhook_type payloads are not modelled.
        """

        def perform() -> JobRequest | None:
            with self.lock:
                trigger = next(
                    (t for t in self.admin["/api/v1/triggers"] if t["id"] == trigger_id), None
                )
                ticket = self.tickets.get(ticket_id)
                article = next(
                    (a for a in self.articles.get(ticket_id, []) if a["id"] == article_id), None
                )
                if trigger is None or ticket is None or (article_id and article is None):
                    return None
                webhook = next(
                    (
                        w
                        for w in self.admin["/api/v1/webhooks"]
                        if str(w["id"]) == str(webhook_id) and w.get("active", True)
                    ),
                    None,
                )
                if webhook is None:
                    return None
                payload = webhook_body(
                    ticket=self._visible(ticket),
                    article=article,
                    users=self.users,
                    organizations=self.organizations,
                    groups=self.groups,
                    article_ids=[a["id"] for a in self.articles.get(ticket_id, [])],
                )
                return JobRequest(
                    endpoint=str(webhook["endpoint"]),
                    trigger=str(trigger["name"]),
                    payload=payload,
                    token=self.webhook_secrets.get(int(webhook["id"])),
                    ssl_verify=bool(webhook.get("ssl_verify", True)),
                    user=webhook.get("basic_auth_username"),
                    password=webhook.get("basic_auth_password"),
                )

        return perform

    # -- tags ----------------------------------------------------------------------------

    def _tag(self, method: str, path: str, body: Mapping[str, Any]) -> Answer:
        """tags_controller.rb#add/#remove with Tag.tag_allowed? and Tag.tag_add."""
        expected = "POST" if path.endswith("add") else "DELETE"
        if method != expected:
            raise ZammadError(404, f'No route matches [{method}] "{path}"')
        if body.get("object") != "Ticket":
            raise ZammadError(500, "undefined method `find' for nil", human=False)  # guess
        ticket_id = int(body.get("o_id") or 0)
        if ticket_id not in self.tickets:
            raise ZammadError(404, f"Couldn't find Ticket with 'id'={ticket_id}")
        self._need("ticket.agent", "Not authorized")  # tags_controller_policy: agent update
        raw = str(body.get("item") or "")
        item = raw.strip()
        tags = self.tags.setdefault(ticket_id, [])
        if expected == "POST":
            # Tag.tag_allowed?: tag_new, or admin.tag, or a tag item of exactly that name.
            allowed = self.tag_new or "admin.tag" in self.permissions or raw in self.tag_items
            if not allowed:
                raise not_authorized()
            # app/models/tag.rb (2026) Tag.tag_add returns early when Tag.tags_include?:
            # ``LOWER(tag_items.name) = LOWER(?)`` over the object's tags, so case is
            # ignored; otherwise Tag::Item.lookup_by_name_and_create and a new tag.
            if item.lower() not in (tag.lower() for tag in tags):
                tags.append(item)
                if item not in self.tag_items:
                    self.tag_items.append(item)
            self.writes.append((method, path, dict(body)))
            return 201, True, {}
        # Tag.tag_remove: Tag::Item.lookup_by_name_and_create(item) (app/models/tag/item.rb:
        # a case-sensitive lookup, can_lookup.rb) creates an unknown item, then the
        # object's tag with exactly that item is destroyed. A blank name fails the item's
        # presence validation and creates nothing. Guess: a name differing only in case
        # from an existing item creates none either (2026 unique index on LOWER(name),
        # db/migrate/*_tag_unique_index.rb).
        if item and item.lower() not in (known.lower() for known in self.tag_items):
            self.tag_items.append(item)
        if item in tags:
            tags.remove(item)
        self.writes.append((method, path, dict(body)))
        return 200, True, {}

    def _tag_list(self, method: str, body: Mapping[str, Any]) -> Answer:
        """tags_controller.rb#admin_list / #admin_create (admin.tag)."""
        self._need("admin.tag")
        if method == "GET":
            counts = {name: sum(name in t for t in self.tags.values()) for name in self.tag_items}
            rows = [
                {"id": i + 1, "name": name, "count": counts[name]}
                for i, name in enumerate(self.tag_items)
            ]
            return 200, sorted(rows, key=lambda r: r["name"]), {}
        if method == "POST":
            name = str(body.get("name") or "").strip()
            if name and name not in self.tag_items:  # lookup_by_name_and_create
                self.tag_items.append(name)
            self.writes.append(("POST", "/api/v1/tag_list", dict(body)))
            return 200, {}, {}
        raise ZammadError(404, "No route matches")

    # -- admin objects -------------------------------------------------------------------

    @staticmethod
    def _attribute_row(
        attribute_id: int, name: str, display: str, data_type: str, *, editable: bool
    ) -> dict[str, Any]:
        return {
            "id": attribute_id,
            "name": name,
            "object": "Ticket",
            "display": display,
            "data_type": data_type,
            "data_option": {},
            "editable": editable,
            "active": True,
            "screens": {},
            "to_create": False,
            "to_migrate": False,
            "to_delete": False,
            "to_config": False,
            "position": attribute_id * 10,
        }

    def _attribute_type(self, name: str) -> str | None:
        if name in self.column_types:
            return self.column_types[name]
        for row in self.admin["/api/v1/object_manager_attributes"]:
            if row["name"] == name and row["object"] == "Ticket":
                return str(row["data_type"])
        return None

    def _admin(self, collection: str, method: str, path: str, body: Any) -> Answer:
        """model_index/create/update/destroy_render (renders_models.rb) per admin table."""
        self._need(ADMIN_COLLECTIONS[collection])
        items = self.admin[collection]
        rest = path[len(collection) :]
        if rest == "" and method == "GET":
            return 200, [self._admin_view(collection, item) for item in items], {}
        if collection.endswith("object_manager_attributes"):
            return self._attributes(method, rest, body or {})
        if rest == "" and method == "POST":
            clean = self._admin_clean(collection, body or {})
            # A new record holds its columns' defaults before it is validated.
            created = ADMIN_DEFAULTS[collection] | clean
            self._admin_validate(collection, created, None)
            created["id"] = self._next("admin")
            created["created_at"] = created["updated_at"] = datetime.now(UTC)
            self._keep_secret(collection, created)
            items.append(created)
            self.writes.append(("POST", collection, body))
            return 201, self._admin_view(collection, created), {}
        match = re.fullmatch(r"/(\d+)", rest)
        item = next((i for i in items if match and i["id"] == int(match[1])), None)
        if item is None:
            raise ZammadError(404, f"Couldn't find object with 'id'={rest.strip('/')}")
        if method == "GET":
            return 200, self._admin_view(collection, item), {}
        if method == "PUT":
            clean = self._admin_clean(collection, body or {})
            self._admin_validate(collection, item | clean, item)
            item.update(clean)
            item["updated_at"] = datetime.now(UTC)
            self._keep_secret(collection, item)
            self.writes.append(("PUT", path, body))
            return 200, self._admin_view(collection, item), {}
        if method == "DELETE":
            if collection == "/api/v1/webhooks" and any(
                str((t.get("perform") or {}).get("notification.webhook", {}).get("webhook_id"))
                == str(item["id"])
                for t in self.admin["/api/v1/triggers"]
            ):
                # webhook.rb: ensures_no_related_objects_path 'notification.webhook'.
                raise unprocessable(
                    "This object is referenced by other object(s) and thus cannot be deleted: "
                    "Trigger"
                )
            items.remove(item)
            self.writes.append(("DELETE", path, None))
            return 200, {}, {}
        raise ZammadError(404, "No route matches")

    def _admin_clean(self, collection: str, body: Mapping[str, Any]) -> dict[str, Any]:
        columns = ADMIN_COLUMNS[collection]
        return {k: v for k, v in body.items() if k in columns and k not in NEVER_WRITTEN}

    def _keep_secret(self, collection: str, item: dict[str, Any]) -> None:
        if collection == "/api/v1/webhooks" and "signature_token" in item:
            self.webhook_secrets[int(item["id"])] = item["signature_token"]

    @staticmethod
    def _admin_view(collection: str, item: Mapping[str, Any]) -> dict[str, Any]:
        view = _json_ready(item)
        if collection == "/api/v1/webhooks":
            for secret in ("signature_token", "basic_auth_password"):
                if view.get(secret):
                    view[secret] = "**********"  # guess: stored secrets are not shown back
        return view

    def _admin_validate(
        self, collection: str, item: Mapping[str, Any], existing: Mapping[str, Any] | None
    ) -> None:
        """The models' validations for the columns ticket-warden writes (422 each)."""
        name = item.get("name")
        if not name and collection != "/api/v1/calendars":
            raise unprocessable("Name can't be blank")
        others = [i for i in self.admin[collection] if i is not existing]
        if any(str(i.get("name", "")).lower() == str(name).lower() for i in others):
            raise unprocessable("Name has already been taken")
        if collection == "/api/v1/webhooks":
            endpoint = urlparse(str(item.get("endpoint") or ""))
            if endpoint.scheme not in ("http", "https") or not endpoint.hostname:
                raise unprocessable("Invalid endpoint (no http/https)!")  # webhook.rb
            if len(str(item.get("note") or "")) > 500:
                raise unprocessable("Note is too long (maximum is 500 characters)")
        if collection == "/api/v1/triggers":
            if len(str(item.get("note") or "")) > 250:  # trigger.rb
                raise unprocessable("Note is too long (maximum is 250 characters)")
            if item.get("activator") not in ("action", "time"):
                raise unprocessable("Activator is not included in the list")
            if item.get("execution_condition_mode") not in ("selective", "always"):
                raise unprocessable("Execution condition mode is not included in the list")
            hook = (item.get("perform") or {}).get("notification.webhook")
            if hook is not None and not any(
                str(w["id"]) == str(hook.get("webhook_id")) for w in self.admin["/api/v1/webhooks"]
            ):
                raise unprocessable(
                    "The required 'webhook_id' value for notification.webhook is missing!"
                )
        if collection == "/api/v1/overviews" and not item.get("role_ids"):
            # app/models/overview.rb: an overview belongs to at least one role (guess for
            # the text of the error).
            raise unprocessable("Roles can't be blank")
        if collection in ("/api/v1/triggers", "/api/v1/slas", "/api/v1/overviews"):
            try:  # ChecksConditionValidation
                validate(item.get("condition") or {})
            except InvalidCondition as exc:
                raise unprocessable("Invalid object selector conditions") from exc
        if collection == "/api/v1/slas":
            calendar = item.get("calendar_id")
            if not any(str(c["id"]) == str(calendar) for c in self.admin["/api/v1/calendars"]):
                # slas.calendar_id NOT NULL; guess for the text of a dangling id.
                raise unprocessable("Calendar can't be blank")
            if item.get("response_time") and item.get("update_time"):
                raise unprocessable("Cannot have both response time and update time.")
        if collection == "/api/v1/calendars":
            hours = item.get("business_hours") or {}
            if not any(
                isinstance(day, Mapping) and day.get("active") and day.get("timeframes")
                for day in hours.values()
            ):  # calendar.rb#validate_hours
                raise unprocessable("There are no business hours configured.")

    def _attributes(self, method: str, rest: str, body: Mapping[str, Any]) -> Answer:
        """object_manager_attributes_controller.rb and object_manager/attribute.rb."""
        items = self.admin["/api/v1/object_manager_attributes"]
        match = re.fullmatch(r"/(\d+)", rest)
        existing = next((i for i in items if match and i["id"] == int(match[1])), None)
        if method == "DELETE":
            if existing is None:
                raise unprocessable("does not exist")
            if existing["to_create"]:
                items.remove(existing)  # a not yet migrated attribute goes at once
            else:
                existing["to_delete"] = True
            self.writes.append(("DELETE", f"/api/v1/object_manager_attributes{rest}", None))
            return 200, {}, {}
        if method not in ("POST", "PUT"):
            raise ZammadError(404, "No route matches")
        if method == "PUT" and existing is None:
            raise unprocessable("does not exist")
        permitted = {
            k: body[k]
            for k in (
                "object",
                "name",
                "display",
                "data_type",
                "data_option",
                "active",
                "screens",
                "position",
            )
            if k in body
        }
        name = str(permitted.get("name") or "").lower()
        if method == "POST":
            if any(i["name"] == name and i["object"] == permitted.get("object") for i in items):
                raise unprocessable("already exists")
            if not re.fullmatch(r"[a-z0-9_]*[a-z][a-z0-9_]*", name) or re.search(r"_ids?$", name):
                raise unprocessable(f"Name '{name}' is not allowed")
        data_type = permitted.get("data_type") or (existing or {}).get("data_type")
        option = dict(permitted.get("data_option") or (existing or {}).get("data_option") or {})
        # permitted_params: defaults filled in for data_option.
        option.setdefault(
            "default", "" if data_type in ("input", "select", "tree_select") else None
        )
        option.setdefault("null", True)
        option.setdefault("options", {})
        option.setdefault("relation", "")
        if data_type == "datetime":
            if option.get("future") is None or option.get("past") is None:
                raise unprocessable("Allow future dates toggle value is required.")
            if self.legacy_attribute_validation and option.get("diff") is None:
                raise unprocessable("must have integer value for :diff (in hours)")
        if method == "POST":
            row = self._attribute_row(self._next("admin"), name, "", str(data_type), editable=True)
            row |= {k: v for k, v in permitted.items() if k != "position"}
            row |= {"name": name, "data_option": option, "position": 1550}  # forced
            row |= {"to_create": True, "to_migrate": True}
            items.append(row)
            self.writes.append(("POST", "/api/v1/object_manager_attributes", dict(body)))
            return 201, _json_ready(row), {}
        assert existing is not None
        # An edit of a migrated attribute is staged until the next migration.
        existing["data_option_new"] = option
        existing.update({k: v for k, v in permitted.items() if k not in ("data_option", "name")})
        existing["to_config"] = True
        self.writes.append(("PUT", f"/api/v1/object_manager_attributes{rest}", dict(body)))
        return 200, _json_ready(existing), {}

    def _execute_migrations(self) -> Answer:
        """ObjectManager::Attribute.migration_execute: columns added or dropped, flags
        reset; Zammad then asks for a restart (AppVersion restart_auto/manual)."""
        self._need("admin.object")
        items = self.admin["/api/v1/object_manager_attributes"]
        for row in list(items):
            if row["object"] != "Ticket":
                continue
            if row["to_delete"]:
                self.db_columns.discard(row["name"])
                self.loaded_columns.discard(row["name"])
                for ticket in self.tickets.values():
                    ticket.pop(row["name"], None)
                items.remove(row)
                continue
            if row.get("to_config") and "data_option_new" in row:
                row["data_option"] = row.pop("data_option_new")
            if row["to_create"] or row["to_migrate"]:
                self.db_columns.add(row["name"])
                for ticket in self.tickets.values():
                    ticket.setdefault(row["name"], None)
            row.update(to_create=False, to_migrate=False, to_config=False)
        self.migrations_run += 1
        self.writes.append(("POST", "/api/v1/object_manager_attributes_execute_migrations", None))
        return 200, {}, {}


# Types whose ``from`` Zammad leaves alone (adds_metadata_general.rb, TYPE_NO_METADATA).
_NO_METADATA_TYPES = {seeds.type_id(n) for n in ("email", "sms", "whatsapp message")} | {6, 7, 8, 9}


def _blank(value: Any) -> bool:
    """ActiveSupport's ``blank?``: nil, false, whitespace-only strings, empty collections."""
    if value is None or value is False:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | dict | tuple):
        return not value
    return False


def _cast_integer(value: Any) -> int | None:
    """ActiveModel::Type::Integer#cast_value: ``value.to_i rescue nil``."""
    if isinstance(value, bool):
        return None  # true/false have no to_i
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        match = re.match(r"\s*([+-]?\d+)", value)
        return int(match[1]) if match else 0
    return None


def _ruby_inspect(value: Any) -> str:
    """Ruby's ``inspect`` of a JSON value (guess: Ruby before 3.4's ``=>`` hash style)."""
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(_ruby_inspect(item) for item in value) + "]"
    if isinstance(value, dict):
        pairs = (f"{_ruby_inspect(str(k))}=>{_ruby_inspect(v)}" for k, v in value.items())
        return "{" + ", ".join(pairs) + "}"
    return str(value)


def _recipient_line(realname: str, email: str) -> str:
    """app/models/channel/email_build.rb Channel::EmailBuild.recipient_line."""
    if re.search(r"^[A-z]+$", realname, re.IGNORECASE | re.MULTILINE):
        return f"{realname} <{email}>"
    escaped = realname.replace('"', '\\"')
    return f'"{escaped}" <{email}>'


def _valid_recipients(to: Any) -> bool:
    """Ticket::Article#check_email_recipient_validity: ``to`` alone, read as an address
    list (Mail::AddressList), and every address in it valid. Guess: the list is split
    as the standard library splits one, and an address is valid when it has a local
    part, an ``@`` and a dotted domain (EmailAddressValidation checks more)."""
    addresses = [address for _, address in getaddresses([str(to or "")])]
    return bool(addresses) and all(_EMAIL.fullmatch(address) for address in addresses)


def _paginate(query: Mapping[str, list[str]], *, default: int, maximum: int) -> tuple[int, int]:
    """CanPaginate::Pagination: per_page (or limit), page from 1; at most ``maximum``."""
    raw = (query.get("per_page") or query.get("limit") or [str(default)])[0]
    limit = min(int(raw), maximum)
    page = int((query.get("page") or ["1"])[0])
    return limit, (page - 1) * limit


def _true(value: str) -> bool:
    # has_response_extentions.rb: ActiveModel::Type::Boolean casting.
    return value.lower() not in ("", "0", "f", "false", "off", "no")


def _inspect(value: Any) -> str:
    return f'"{value}"' if isinstance(value, str) else str(value)


def _json_ready(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as Zammad's JSON shows it: times with three decimals, in UTC."""
    result: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, datetime):
            result[key] = rails.time(value)
        elif isinstance(value, Mapping):
            result[key] = _json_ready(value)
        elif isinstance(value, list):
            result[key] = [_json_ready(v) if isinstance(v, Mapping) else v for v in value]
        else:
            result[key] = value
    return result


def rails_loads(raw: bytes) -> Any:
    """A request's JSON body (None when empty); raises ValueError when it is not JSON."""
    return json.loads(raw) if raw else None
