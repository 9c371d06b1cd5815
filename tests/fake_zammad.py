"""A fake Zammad REST server for tests that cross a real socket.

It serves the documented shapes of the endpoints ticket-warden uses (Zammad
API docs: tickets, ticket_articles, tags, users/me), records every write, and
can be told to fail or to hold requests. Where the docs are silent it guesses,
and says so in a comment.
"""

from __future__ import annotations

import json
import random
import re
import socket
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

# Admin collections: path -> the permission Zammad checks for it (API docs).
ADMIN_COLLECTIONS = {
    "/api/v1/object_manager_attributes": "admin.object",
    "/api/v1/webhooks": "admin.webhook",
    "/api/v1/triggers": "admin.trigger",
    "/api/v1/calendars": "admin.calendar",
    "/api/v1/slas": "admin.sla",
}
ALL_PERMISSIONS = frozenset({"ticket.agent", *ADMIN_COLLECTIONS.values()})
# A few of Zammad's own ticket attributes, so lists are not only ours.
CORE_ATTRIBUTES = [
    {"id": 1, "name": "title", "object": "Ticket", "display": "Title", "data_type": "input"},
    {
        "id": 7,
        "name": "pending_time",
        "object": "Ticket",
        "display": "Pending till",
        "data_type": "datetime",
    },
]
CHAOS_FAULTS = ("500", "503", "429", "timeout", "drop_before", "drop_after")
DROPPED = -1  # status meaning: close the connection without an answer
BOT = {  # the token's user: the bot
    "id": 99,
    "login": "ticket-warden@xstore.example",
    "firstname": "ticket",
    "lastname": "warden",
}
PRIORITIES = ("1 low", "2 normal", "3 high")
STATES = ("new", "open", "pending reminder", "pending close", "closed", "merged")


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
    """State of the fake: tickets, articles, tags, and the log of writes."""

    token: str = "test-token"
    tickets: dict[int, dict[str, Any]] = field(default_factory=dict)
    articles: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    tags: dict[int, list[str]] = field(default_factory=dict)
    writes: list[tuple[str, str, Any]] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    held: threading.Event = field(default_factory=threading.Event)
    hold_path: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)
    next_article_id: int = 5000
    permissions: frozenset[str] = ALL_PERMISSIONS
    users: dict[int, dict[str, Any]] = field(default_factory=dict)
    organizations: dict[int, dict[str, Any]] = field(default_factory=dict)
    # "now" for search date math; tests set it to their payloads' time.
    now: datetime = field(default_factory=lambda: datetime.now(UTC))
    admin: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    migrations_run: int = 0
    next_object_id: int = 100
    chaos_rate: float = 0.0
    chaos_random: random.Random = field(default_factory=random.Random)
    chaos_timeout: float = 1.5
    chaos_faults: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.held.set()  # Not holding anything until told to.
        self.admin = {path: [] for path in ADMIN_COLLECTIONS}
        self.admin["/api/v1/object_manager_attributes"] = [dict(a) for a in CORE_ATTRIBUTES]

    # -- test set-up --------------------------------------------------------------

    def add_ticket_from_payload(self, payload: dict[str, Any]) -> None:
        """Make the ticket and article of a webhook payload exist, as Zammad would hold them."""
        ticket = payload["ticket"]
        article = payload.get("article") or {}
        priority = ticket.get("priority")
        with self.lock:
            self.tickets[ticket["id"]] = {
                "id": ticket["id"],
                "number": ticket["number"],
                "title": ticket.get("title", ""),
                "state": ticket.get("state", "new"),
                "priority": priority.get("name") if isinstance(priority, dict) else priority,
                "customer_id": (ticket.get("customer") or {}).get("id"),
                "organization_id": (ticket.get("organization") or {}).get("id"),
                "created_at": ticket.get("created_at") or datetime.now(UTC).isoformat(),
            }
            customer = ticket.get("customer")
            if customer:
                self.users[customer["id"]] = dict(customer)
            if ticket.get("organization"):
                self.organizations[ticket["organization"]["id"]] = dict(ticket["organization"])
            self.tags.setdefault(ticket["id"], [])
            if article:
                kept = (
                    "id",
                    "type",
                    "sender",
                    "internal",
                    "from",
                    "to",
                    "cc",
                    "subject",
                    "body",
                    "content_type",
                    "created_at",
                    "preferences",
                    "attachments",
                )
                stored = {key: article.get(key) for key in kept}
                stored["created_by_id"] = (ticket.get("customer") or {}).get("id")
                # Like Zammad's database sequence: later articles get higher ids.
                self.next_article_id = max(self.next_article_id, int(article["id"]))
                self.articles.setdefault(ticket["id"], []).append(stored)

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

    def writes_to(self, method: str, prefix: str) -> list[Any]:
        return [body for m, path, body in self.writes if m == method and path.startswith(prefix)]

    def bot_articles(self, ticket_id: int) -> list[dict[str, Any]]:
        return [a for a in self.articles.get(ticket_id, []) if a.get("created_by_id") == BOT["id"]]

    # -- request handling ------------------------------------------------------------

    def handle(
        self, method: str, url: str, headers: dict[str, str], raw: bytes
    ) -> tuple[int, Any, dict[str, str]]:
        parsed = urlparse(url)
        path, query = parsed.path, parse_qs(parsed.query)
        with self.lock:
            self.requests.append((method, path))
        if self.hold_path and path.startswith(self.hold_path):
            self.held.wait(timeout=60)
        auth = headers.get("authorization", "")
        if auth not in (f"Token token={self.token}", f"Bearer {self.token}"):
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
            body = json.loads(raw) if raw else None
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
        with self.lock:
            answer = self._route(method, path, query, body)
        if fault == "drop_after":
            return DROPPED, None, {}  # Done, but the answer never reaches the client.
        return answer

    def chaos(self, rate: float, *, seed: int = 7, timeout: float = 1.5) -> None:
        """Fail about ``rate`` of the calls with 500, 503, 429, a slow answer or a dropped
        connection (before or after doing the work); ``rate`` 0 turns it off."""
        with self.lock:
            self.chaos_rate = rate
            self.chaos_random = random.Random(seed)
            self.chaos_timeout = timeout

    def _chaos_fault(self) -> str | None:
        with self.lock:
            if not self.chaos_rate or self.chaos_random.random() >= self.chaos_rate:
                return None
            fault = self.chaos_random.choice(CHAOS_FAULTS)
            self.chaos_faults[fault] = self.chaos_faults.get(fault, 0) + 1
            return fault

    def _admin(self, method: str, path: str, body: Any) -> tuple[int, Any, dict[str, str]] | None:
        """Webhooks, triggers, calendars, SLAs and attributes: list, create, update, delete."""
        collection_path = next((c for c in ADMIN_COLLECTIONS if path.startswith(c)), None)
        if collection_path is None:
            return None
        if ADMIN_COLLECTIONS[collection_path] not in self.permissions:
            return 403, {"error": "Not authorized (user)!", "error_human": "Not authorized"}, {}
        items = self.admin[collection_path]
        rest = path[len(collection_path) :]
        if rest == "" and method == "GET":
            return 200, [dict(item) for item in items], {}
        if rest == "" and method == "POST":
            problem = self._invalid(collection_path, body or {}, creating=True)
            if problem:
                return 422, {"error": problem, "error_human": problem}, {}
            self.next_object_id += 1
            item = dict(body) | {"id": self.next_object_id}
            for secret in ("signature_token", "bearer_token", "basic_auth_password"):
                if secret in item:  # Zammad never returns stored secrets.
                    item[secret] = "**********"
            items.append(item)
            self.writes.append(("POST", collection_path, body))
            return 201, dict(item), {}
        match = re.fullmatch(r"/(\d+)", rest)
        item = next((i for i in items if match and i["id"] == int(match[1])), None)
        if item is None:
            return 404, {"error": "Couldn't find object", "error_human": "Not found"}, {}
        if method == "GET":
            return 200, dict(item), {}
        if method == "PUT":
            problem = self._invalid(collection_path, body or {}, creating=False)
            if problem:
                return 422, {"error": problem, "error_human": problem}, {}
            item.update({k: v for k, v in (body or {}).items() if k != "id"})
            if "signature_token" in item:
                item["signature_token"] = "**********"
            self.writes.append(("PUT", path, body))
            return 200, dict(item), {}
        if method == "DELETE":
            if collection_path == "/api/v1/webhooks" and any(
                t["perform"].get("notification.webhook", {}).get("webhook_id") == item["id"]
                for t in self.admin["/api/v1/triggers"]
            ):
                # Zammad docs: a webhook still used by a trigger answers 422.
                return 422, {"error": "Webhook is referenced by a trigger"}, {}
            items.remove(item)
            self.writes.append(("DELETE", path, None))
            return 200, {}, {}
        return 404, {"error": "No route matches"}, {}

    def _invalid(self, collection_path: str, body: dict[str, Any], *, creating: bool) -> str | None:
        """Zammad's validations for the fields we send (a 422 with this text), else None."""
        items = self.admin[collection_path]
        name = body.get("name")
        if creating and not name:
            return "name is required"
        if creating and any(i.get("name") == name for i in items):
            return f"Name '{name}' already exists"
        endpoint = str(body.get("endpoint", "http"))
        if collection_path.endswith("webhooks") and not endpoint.startswith("http"):
            return "Endpoint is invalid"
        if collection_path.endswith("triggers"):
            hook = body.get("perform", {}).get("notification.webhook", {}).get("webhook_id")
            webhooks = self.admin["/api/v1/webhooks"]
            if hook is not None and not any(w["id"] == hook for w in webhooks):
                return f"Webhook {hook} does not exist"
        if collection_path.endswith("slas") and "calendar_id" in body:
            calendar = body["calendar_id"]
            if not any(c["id"] == calendar for c in self.admin["/api/v1/calendars"]):
                return f"Calendar {calendar} does not exist"
        known_types = ("datetime", "date", "input", "select", "boolean")
        attribute = collection_path.endswith("object_manager_attributes")
        if attribute and creating and body.get("data_type") not in known_types:
            return "data_type is invalid"
        return None

    def _route(
        self, method: str, path: str, query: dict[str, list[str]], body: Any
    ) -> tuple[int, Any, dict[str, str]]:
        if method == "GET" and path == "/api/v1/users/me":
            return 200, BOT, {}
        if path == "/api/v1/object_manager_attributes_execute_migrations" and method == "POST":
            if "admin.object" not in self.permissions:
                return 403, {"error": "Not authorized (user)!"}, {}
            self.migrations_run += 1
            self.writes.append(("POST", path, None))
            return 200, {}, {}
        if method == "GET" and path == "/api/v1/tickets/search":
            return 200, self._search(query.get("query", [""])[0]), {}
        if match := re.fullmatch(r"/api/v1/(users|organizations)/(\d+)", path):
            found = (self.users if match[1] == "users" else self.organizations).get(int(match[2]))
            if found is None:
                return 404, {"error": f"Couldn't find {match[1]}"}, {}
            return 200, dict(found), {}
        if method == "GET" and path == "/api/v1/tickets":
            if "ticket.agent" not in self.permissions:
                return 403, {"error": "Not authorized (user)!"}, {}
            return 200, list(self.tickets.values())[:1], {}
        answer = self._admin(method, path, body)
        if answer is not None:
            return answer
        if match := re.fullmatch(r"/api/v1/tickets/(\d+)", path):
            ticket = self.tickets.get(int(match[1]))
            if ticket is None:
                return 404, {"error": "Couldn't find Ticket", "error_human": "Not found"}, {}
            if method == "GET":
                return 200, dict(ticket), {}
            if method == "PUT":
                return self._update_ticket(ticket, body or {})
        if method == "GET" and path == "/api/v1/tags":
            ticket_id = int(query.get("o_id", ["0"])[0])
            return 200, {"tags": list(self.tags.get(ticket_id, []))}, {}
        if path in ("/api/v1/tags/add", "/api/v1/tags/remove"):
            return self._tag(method, path, body or {})
        if method == "GET" and (
            match := re.fullmatch(r"/api/v1/ticket_articles/by_ticket/(\d+)", path)
        ):
            return 200, [dict(a) for a in self.articles.get(int(match[1]), [])], {}
        if method == "POST" and path == "/api/v1/ticket_articles":
            return self._create_article(body or {})
        return (
            404,
            {"error": "No route matches", "error_human": f"No route for {method} {path}"},
            {},
        )

    def _search(self, text: str) -> list[dict[str, Any]]:
        """Tickets for ``created_at:>now-Nm`` (the only query ticket-warden sends), expanded.

        Guess: Zammad hands the query to Elasticsearch, whose date math this mimics;
        an expanded ticket names its customer instead of embedding it.
        """
        match = re.fullmatch(r"created_at:>now-(\d+)m", text)
        if not match:
            return []
        since = self.now - timedelta(minutes=int(match[1]))
        found = [
            dict(ticket) | {"customer": self.users.get(ticket["customer_id"], {}).get("login")}
            for ticket in self.tickets.values()
            if datetime.fromisoformat(str(ticket["created_at"]).replace("Z", "+00:00")) > since
        ]
        return sorted(found, key=lambda ticket: str(ticket["created_at"]))

    def _update_ticket(
        self, ticket: dict[str, Any], body: dict[str, Any]
    ) -> tuple[int, Any, dict[str, str]]:
        # Zammad resolves names for priority and state and answers 422 for unknown ones.
        if "priority" in body and body["priority"] not in PRIORITIES:
            return (
                422,
                {
                    "error": f"No lookup value found for 'priority': {body['priority']!r}",
                    "error_human": "Unknown priority",
                },
                {},
            )
        if "state" in body and body["state"] not in STATES:
            return 422, {"error": "No lookup value found for 'state'"}, {}
        self.writes.append(("PUT", f"/api/v1/tickets/{ticket['id']}", body))
        ticket.update(body)
        ticket["updated_at"] = datetime.now(UTC).isoformat()
        return 200, dict(ticket), {}

    def _tag(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        expected = "POST" if path.endswith("add") else "DELETE"
        if method != expected or body.get("object") != "Ticket":
            return 422, {"error": "object and method required"}, {}
        ticket_id, item = int(body["o_id"]), str(body["item"])
        tags = self.tags.setdefault(ticket_id, [])
        self.writes.append((method, path, body))
        if expected == "POST" and item not in tags:
            tags.append(item)
        elif expected == "DELETE" and item in tags:
            tags.remove(item)
        # Zammad docs: both answer "201 Created" with the body `true`.
        return 201, True, {}

    def _create_article(self, body: dict[str, Any]) -> tuple[int, Any, dict[str, str]]:
        ticket_id = int(body.get("ticket_id", 0))
        if ticket_id not in self.tickets:
            return 422, {"error": "ticket_id is required", "error_human": "Unknown ticket"}, {}
        if not body.get("body"):
            return 422, {"error": "body is required"}, {}
        self.next_article_id += 1
        # Guess: Zammad fills created_by_id with the token's user; we do the same.
        article = dict(body) | {
            "id": self.next_article_id,
            "created_by_id": BOT["id"],
            "created_at": datetime.now(UTC).isoformat(),
        }
        self.articles.setdefault(ticket_id, []).append(article)
        self.writes.append(("POST", "/api/v1/ticket_articles", body))
        return 201, article, {}


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def _serve(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        headers = {key.lower(): value for key, value in self.headers.items()}
        status, body, extra = self.server.fake.handle(self.command, self.path, headers, raw)
        if status == DROPPED:
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(data)))
        for key, value in extra.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def do_PUT(self) -> None:
        self._serve()

    def do_DELETE(self) -> None:
        self._serve()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeZammad) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (timeout) leaves a broken pipe: expected under chaos.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


@contextmanager
def running(fake: FakeZammad) -> Iterator[str]:
    """Serve ``fake`` on a free loopback port; yields its base URL."""
    server = _Server(fake)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        fake.held.set()
        server.shutdown()
        server.server_close()
