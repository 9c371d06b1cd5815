"""Shared test helpers: policies, payload files and a neutral-model builder."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import Callable, Iterator, Mapping
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from plugin.decision import Reply
from plugin.helpdesk import ArticleInfo, TicketState
from plugin.manifest import load_manifest
from plugin.model import Customer, Message, Ticket
from plugin.names import Sender
from plugin.policy import Policy, load_policy
from plugin.zammad.client import ZammadClient
from plugin.zammad.installer import Installer
from tests.fake_zammad import FakeZammad, running
from tests.serving import ADMIN_TOKEN, SECRET, Served, wait_for

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
SAMPLES = Path(__file__).resolve().parent / "samples"
SAST = ZoneInfo("Africa/Johannesburg")


def load_json(path: Path) -> Any:
    """A JSON fixture file, decoded."""
    return json.loads(path.read_text("utf-8"))


def example_payload(name: str) -> dict[str, Any]:
    """One of the payloads under examples/payloads/."""
    data: dict[str, Any] = load_json(EXAMPLES / "payloads" / f"{name}.json")
    return data


def zammad_sample(name: str) -> dict[str, Any]:
    """A recorded Zammad payload under tests/samples/zammad/."""
    data: dict[str, Any] = load_json(SAMPLES / "zammad" / f"{name}.json")
    return data


def sast(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=SAST)


def email(
    subject: str = "Backup job fails on fileserver02 since Wednesday",
    body: str = "The nightly backup of fileserver02 (10.2.0.12) fails with 'Network error' since "
    "Wednesday; we restarted the agent, no change.",
    *,
    received: datetime | None = None,
    sender: Sender = Sender.CUSTOMER,
    **changes: Any,
) -> Message:
    """A customer email to the ticket address, changed as asked."""
    message = Message(
        channel="email",
        sender=sender,
        body=body,
        subject=subject,
        from_address="Thandi Nkosi <thandi@acme.example>",
        to=("support@xstore.example",),
        created_at=received or sast(2026, 3, 4, 10),
    )
    return replace(message, **changes)


def ticket_for(
    message: Message,
    customer_email: str = "thandi@acme.example",
    organization: str | None = None,
    **changes: Any,
) -> Ticket:
    """A new ticket whose first message is ``message``."""
    ticket = Ticket(
        id=1,
        number="10001",
        title=message.subject,
        customer=Customer(email=customer_email, name="Thandi Nkosi", organization=organization),
        created_at=message.created_at,
    )
    return replace(ticket, **changes)


@pytest.fixture(scope="session")
def builtin_policy() -> Policy:
    return load_policy()


@pytest.fixture(scope="session")
def example_policy() -> Policy:
    return load_policy(EXAMPLES / "policy.yaml")


class FakeHelpdesk:
    """The one in-memory helpdesk the executor tests share: state in, every write recorded.

    ``fail_on`` maps an operation name to an exception raised the next time it runs,
    to simulate a crash or an error halfway through an event.
    """

    keeps_tags = True
    has_pending_states = True

    def __init__(self, bot_id: int = 99) -> None:
        self.bot_id = bot_id
        self.tickets: dict[int, dict[str, Any]] = {}
        self.tag_sets: dict[int, set[str]] = {}
        self.articles: dict[int, list[ArticleInfo]] = {}
        self.writes: list[tuple[str, int, Any]] = []
        self.reads: list[tuple[str, int]] = []
        self.fail_on: dict[str, Exception] = {}
        self._next_id = 10_000

    def add_ticket(self, payload: dict[str, Any], **fields: Any) -> None:
        ticket_id = payload["ticket"]["id"]
        self.tickets[ticket_id] = {"priority": "2 normal", "state": "new", "due_at": None} | fields
        self.tag_sets.setdefault(ticket_id, set())
        article = payload.get("article") or {}
        if article:
            self.articles.setdefault(ticket_id, []).append(
                ArticleInfo(
                    id=article["id"],
                    by_bot=False,
                    from_customer=article.get("sender") == "Customer",
                    internal=bool(article.get("internal")),
                    body=article.get("body", ""),
                )
            )

    def _maybe_fail(self, operation: str) -> None:
        exc = self.fail_on.pop(operation, None)
        if exc is not None:
            raise exc

    def ping(self) -> list[str]:
        self._maybe_fail("ping")
        return []

    def ticket_state(self, ticket_id: int) -> TicketState:
        self.reads.append(("state", ticket_id))
        ticket = self.tickets[ticket_id]
        return TicketState(
            tags=frozenset(self.tag_sets[ticket_id]),
            priority=ticket["priority"],
            state=ticket["state"],
            due_at=ticket["due_at"],
            articles=tuple(self.articles.get(ticket_id, [])),
            due_attribute_known=ticket.get("due_attribute_known", True),
        )

    def add_tag(self, ticket_id: int, tag: str) -> None:
        self._maybe_fail("add_tag")
        self.writes.append(("add_tag", ticket_id, tag))
        self.tag_sets[ticket_id].add(tag)

    def remove_tag(self, ticket_id: int, tag: str) -> None:
        self._maybe_fail("remove_tag")
        self.writes.append(("remove_tag", ticket_id, tag))
        self.tag_sets[ticket_id].discard(tag)

    def update_ticket(
        self, ticket_id: int, fields: Mapping[str, str], note: str | None
    ) -> datetime | None:
        """Fields and note in one write, as Zammad's ticket update carrying an article."""
        self._maybe_fail("update_ticket")
        ticket = self.tickets[ticket_id]
        if fields:
            self.writes.append(("update_ticket", ticket_id, dict(fields)))
        for key, value in fields.items():
            if key == "sla_due_at":
                if ticket.get("due_attribute_known", True):
                    ticket["due_at"] = datetime.fromisoformat(value.replace("Z", "+00:00"))
            else:
                ticket[key] = value
        if note is not None:
            self.writes.append(("post_note", ticket_id, note))
            self._post(ticket_id, note, internal=True)
        return ticket["due_at"]

    def _post(self, ticket_id: int, body: str, *, internal: bool) -> None:
        self._next_id += 1
        self.articles.setdefault(ticket_id, []).append(
            ArticleInfo(
                self._next_id, by_bot=True, from_customer=False, internal=internal, body=body
            )
        )

    def post_reply(self, ticket_id: int, reply: Reply) -> None:
        self._maybe_fail("post_reply")
        self.writes.append(("post_reply", ticket_id, reply))
        self._post(ticket_id, reply.body, internal=False)

    def written(self, operation: str) -> list[Any]:
        return [value for name, _ticket, value in self.writes if name == operation]


@pytest.fixture
def helpdesk() -> FakeHelpdesk:
    return FakeHelpdesk()


# -- a real serve process against the fake Zammad ------------------------------------


@pytest.fixture
def zammad_server() -> Iterator[tuple[FakeZammad, str]]:
    zammad = FakeZammad()
    zammad.add_column("sla_due_at")  # as after ticket-warden install and a restart
    with running(zammad) as url:
        yield zammad, url


@pytest.fixture
def serve_env(tmp_path: Path, zammad_server: tuple[FakeZammad, str]) -> dict[str, str]:
    zammad, url = zammad_server
    env = {key: value for key, value in os.environ.items() if not key.startswith("WARDEN_")}
    return env | {
        "WARDEN_ZAMMAD_URL": url,
        "WARDEN_ZAMMAD_TOKEN": zammad.token,
        "WARDEN_WEBHOOK_SECRET": SECRET,
        "WARDEN_ADMIN_TOKEN": ADMIN_TOKEN,
        "WARDEN_STORE": str(tmp_path / "warden.sqlite3"),
        "WARDEN_POLICY": str(EXAMPLES / "policy.yaml"),
        "WARDEN_MAX_BODY_BYTES": "65536",
        "WARDEN_RETRY_DELAY_SECONDS": "0.5",
        "WARDEN_RECONCILE_EVERY_MINUTES": "0",  # tests run reconcile themselves
        "WARDEN_CLOCK_EVERY_MINUTES": "0",  # ... and tend the SLA clocks themselves
        "PYTHONPATH": str(ROOT),
    }


@pytest.fixture
def serve(serve_env: dict[str, str], tmp_path: Path) -> Iterator[Callable[..., Served]]:
    started: list[Served] = []

    def start(**extra_env: str) -> Served:
        served = Served(serve_env | extra_env, tmp_path)
        started.append(served)
        return served

    yield start
    for served in started:
        served.stop(signal.SIGKILL)


# -- ticket-warden installed on a fake Zammad, with a receiver ----------------------------


@pytest.fixture
def installed(
    zammad_server: tuple[FakeZammad, str], serve: Callable[..., Served]
) -> tuple[FakeZammad, Served]:
    """A fake Zammad with ticket-warden installed (and Zammad restarted), and the receiver."""
    zammad, url = zammad_server
    served = serve(WARDEN_RETRIES="1", WARDEN_RETRY_DELAY_SECONDS="0.2")
    client = ZammadClient(url, zammad.token, requests.Session(), max_attempts=1)
    policy = load_policy(EXAMPLES / "policy.yaml")
    installer = Installer(
        client, load_manifest(), policy, today=date.today(), webhook_url=served.url, secret=SECRET
    )
    installer.install()
    zammad.restart()  # As the install told the admin to.
    return zammad, served


def settled(zammad: FakeZammad, served: Served, decisions: int) -> list[dict[str, Any]]:
    """Wait until every webhook is delivered and ``decisions`` events are decided."""

    def done() -> list[dict[str, Any]] | None:
        if not zammad.webhooks_sent.wait_idle(timeout=0.1):
            return None
        found = served.decisions()
        return found if len(found) >= decisions and served.pending() == 0 else None

    result: list[dict[str, Any]] = wait_for(done, f"{decisions} decisions")
    return result
