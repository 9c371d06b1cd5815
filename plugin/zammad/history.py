"""Past tickets from Zammad, read for a backtest: a few reads in flight, nothing written.

The tickets created in a window are paged with the same selector search that
reconcile uses (database search, with or without Elasticsearch) in a thread of
their own, so the total is known early; each ticket's articles are read by a
small pool of threads, at most ``concurrency`` requests at once. Customers and
organizations repeat across tickets, so each is asked for once. For every ticket
this rebuilds the webhook payload Zammad sent for its first public customer
message, as the ticket stood then, and ``replay`` judges it with a policy.
"""

from __future__ import annotations

import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import requests
from requests.adapters import HTTPAdapter

from plugin.decision import Decision
from plugin.engine import evaluate
from plugin.errors import HelpdeskError, PayloadError
from plugin.moments import parse_api_time
from plugin.policy import Policy
from plugin.reports.backtest import BacktestResult, Replay, TicketFacts, build_result
from plugin.zammad.client import ZammadClient
from plugin.zammad.payload import ZammadPayload, to_model
from plugin.zammad.reconcile import (
    PAGE_SIZE,
    created_within,
    customer_articles,
    rebuild_payload,
)

DEFAULT_CONCURRENCY = 4
MAX_CONCURRENCY = 32
DEFAULT_LIMIT = 20_000
# Pages of tickets read ahead of the article reads: enough to know the total of an
# ordinary backtest at once, few enough to bound the memory of a huge one.
PAGES_AHEAD = 25
# Called with (tickets read, tickets found so far) after every ticket and page.
Progress = Callable[[int, int], None]
NO_CUSTOMER_MESSAGE = "no public message from the customer"


@dataclass(frozen=True, slots=True)
class PastTicket:
    """A past ticket's facts and the payload of its first customer message (None: why not)."""

    facts: TicketFacts
    payload: ZammadPayload | None
    not_replayed: str | None = None


def pooled_session(connections: int) -> requests.Session:
    """A session keeping up to ``connections`` connections open, one per thread: requests'
    default pool keeps 10 and drops (with a warning) any more that threads open at once."""
    session = requests.Session()
    adapter = HTTPAdapter(pool_connections=1, pool_maxsize=max(connections, 1))
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


class Directory:
    """Users and organizations by id, each asked of Zammad once, shared by every thread.

    A deleted user or organization (404) is None. Two threads wanting the same id
    wait for one read instead of making two.
    """

    def __init__(self, client: ZammadClient) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._known: dict[tuple[str, int], Future[dict[str, Any] | None]] = {}

    def user(self, user_id: Any) -> dict[str, Any] | None:
        return self._get("user", user_id, self._client.user)

    def organization(self, organization_id: Any) -> dict[str, Any] | None:
        return self._get("organization", organization_id, self._client.organization)

    def _get(
        self, kind: str, key: Any, read: Callable[[int], dict[str, Any]]
    ) -> dict[str, Any] | None:
        if not key:
            return None
        with self._lock:
            known = self._known.get((kind, int(key)))
            mine = known is None
            if known is None:
                known = self._known[(kind, int(key))] = Future()
        if mine:
            try:
                known.set_result(read(int(key)))
            except HelpdeskError as exc:
                if exc.status != 404:
                    known.set_exception(exc)
                    raise
                known.set_result(None)
            except BaseException as exc:  # Those waiting for it must not wait forever.
                known.set_exception(exc)
                raise
        return known.result()


def ticket_facts(ticket: Mapping[str, Any]) -> TicketFacts:
    """The facts a backtest keeps of an expanded ticket."""
    return TicketFacts(
        id=int(ticket["id"]),
        number=str(ticket.get("number") or ticket["id"]),
        title=str(ticket.get("title") or ""),
        created_at=parse_api_time(ticket.get("created_at")),
        first_response_at=parse_api_time(ticket.get("first_response_at")),
    )


def first_message_payload(
    ticket: Mapping[str, Any],
    articles: Sequence[Mapping[str, Any]],
    directory: Directory,
) -> ZammadPayload | None:
    """The payload Zammad sent for the ticket's first public customer message, the ticket as
    it stood then; None when the customer wrote none. Raises PayloadError for odd data."""
    from_customer = customer_articles(articles)
    if not from_customer:
        return None
    first = from_customer[0]
    position = next(i for i, article in enumerate(articles) if article is first)
    # Zammad's article_count leaves out System articles (article_count_update).
    so_far = [
        article
        for article in articles[: position + 1]
        if str(article.get("sender", "")).lower() != "system"
    ]
    then = dict(ticket)
    # What agents or the live bot changed since is not what the policy saw then: the
    # priority they set, and, on a ticket the mail opened, a title they renamed.
    then["priority"] = None
    if len(so_far) == 1 and first.get("subject"):
        then["title"] = first["subject"]
    customer = directory.user(ticket.get("customer_id"))
    organization = directory.organization(ticket.get("organization_id"))
    return rebuild_payload(then, so_far, first, customer, organization)


class HistoryReader:
    """Reads the tickets of a window with a few requests in flight; see the module doc."""

    def __init__(
        self,
        client: ZammadClient,
        *,
        concurrency: int = DEFAULT_CONCURRENCY,
        limit: int = DEFAULT_LIMIT,
        progress: Progress | None = None,
    ) -> None:
        if not 1 <= concurrency <= MAX_CONCURRENCY:
            raise ValueError(f"concurrency must be 1 to {MAX_CONCURRENCY}, not {concurrency}")
        self._client = client
        self._concurrency = concurrency
        self._limit = limit
        self._progress = progress
        self.directory = Directory(client)
        self.found = 0
        self.read = 0

    @property
    def limit_reached(self) -> bool:
        """Whether the window held at least ``limit`` tickets (the rest were not read)."""
        return self.found >= self._limit

    def tickets(self, window: timedelta) -> Iterator[PastTicket]:
        """Each ticket created in ``window``, oldest first; raises HelpdeskError or
        HelpdeskUnavailableError when Zammad refuses or stays unreachable."""
        pages: queue.Queue[list[dict[str, Any]] | BaseException | None] = queue.Queue(
            maxsize=PAGES_AHEAD
        )
        stop = threading.Event()
        lister = threading.Thread(
            target=self._list, args=(window, pages, stop), name="backtest-pages", daemon=True
        )
        lister.start()
        pool = ThreadPoolExecutor(self._concurrency, thread_name_prefix="backtest-read")
        # Twice the threads: each has its next ticket waiting, and the order stays the
        # search's without holding more than a few results.
        in_flight: deque[Future[PastTicket]] = deque()
        try:
            while (page := pages.get()) is not None:
                if isinstance(page, BaseException):
                    raise page
                self.found += len(page)
                self._tell()
                for ticket in page:
                    in_flight.append(pool.submit(self._read_one, ticket))
                    while len(in_flight) >= 2 * self._concurrency:
                        yield self._done(in_flight.popleft())
            while in_flight:
                yield self._done(in_flight.popleft())
        finally:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)
            lister.join(timeout=5)

    def _list(
        self,
        window: timedelta,
        pages: queue.Queue[list[dict[str, Any]] | BaseException | None],
        stop: threading.Event,
    ) -> None:
        """Page through the window's tickets into ``pages``; None at the end."""
        condition = created_within(window)
        seen, number = 0, 1
        try:
            while seen < self._limit and not stop.is_set():
                page = self._client.search_by_condition(condition, page=number, per_page=PAGE_SIZE)
                kept = page[: self._limit - seen]
                seen += len(kept)
                if kept and not _put(pages, kept, stop):
                    return
                if len(page) < PAGE_SIZE:
                    break
                number += 1
        except Exception as exc:  # Handed to the reader, which raises it.
            _put(pages, exc, stop)
            return
        _put(pages, None, stop)

    def _read_one(self, ticket: Mapping[str, Any]) -> PastTicket:
        facts = ticket_facts(ticket)
        articles = self._client.articles(facts.id)
        try:
            payload = first_message_payload(ticket, articles, self.directory)
        except PayloadError as exc:
            return PastTicket(facts, None, f"not a payload ticket-warden can read: {exc}")
        if payload is None:
            return PastTicket(facts, None, NO_CUSTOMER_MESSAGE)
        return PastTicket(facts, payload)

    def _done(self, future: Future[PastTicket]) -> PastTicket:
        past = future.result()
        self.read += 1
        self._tell()
        return past

    def _tell(self) -> None:
        if self._progress is not None:
            self._progress(self.read, self.found)


def _put(
    pages: queue.Queue[list[dict[str, Any]] | BaseException | None],
    item: list[dict[str, Any]] | BaseException | None,
    stop: threading.Event,
) -> bool:
    """Put ``item`` once there is room; False if the reader stopped first."""
    while not stop.is_set():
        try:
            pages.put(item, timeout=0.1)
        except queue.Full:
            continue
        return True
    return False


def replay(past: PastTicket, policy: Policy, now: datetime) -> Decision | None:
    """The decision ``policy`` makes on the ticket's first customer message; writes nothing."""
    if past.payload is None:
        return None
    ticket, message = to_model(past.payload, policy, tags=())
    # As it arrived: no due date yet (the live bot may have set one since).
    return evaluate(replace(ticket, due_at=None), message, policy, now)


@dataclass(frozen=True)
class Policies:
    """The policy under test and, to compare with, the one in force; each with its name."""

    policy: Policy
    name: str
    against: Policy | None = None
    against_name: str | None = None


def run_backtest(
    reader: HistoryReader,
    policies: Policies,
    *,
    window: str,
    span: timedelta,
    now: datetime,
) -> BacktestResult:
    """Read the window's tickets, replay each under the policies, and count."""
    started = time.monotonic()
    replays = []
    for past in reader.tickets(span):
        against = policies.against
        replays.append(
            Replay(
                past.facts,
                replay(past, policies.policy, now),
                replay(past, against, now) if against is not None else None,
                past.not_replayed,
            )
        )
    return build_result(
        replays,
        window=window,
        span=span,
        made_at=now,
        zone=policies.policy.zone,
        policy=policies.name,
        against=policies.against_name if policies.against is not None else None,
        limit_reached=reader.limit_reached,
        seconds=time.monotonic() - started,
    )
