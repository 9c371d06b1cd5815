"""Wiring: settings in, a running ticket-warden out (policy, store, queue, helpdesk, executor).

The receiver calls ``submit()``; huey's consumer calls ``process()`` through
the one registered task. Both sides build the same Runtime from the same
settings, so the task is registered identically in every process.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from typing import Any, Unpack

import requests
from huey import Huey, RedisHuey, crontab
from huey.api import TaskWrapper
from huey.exceptions import RetryTask
from huey.storage import SqliteStorage

from plugin.api_client import ClientOptions
from plugin.django_helpdesk.client import DjangoHelpdeskClient
from plugin.django_helpdesk.helpdesk import DjangoHelpdesk
from plugin.django_helpdesk.payload import HELPDESK_NAME as DJANGO_HELPDESK
from plugin.django_helpdesk.payload import parse_payload as dh_payload
from plugin.django_helpdesk.payload import to_event as dh_event
from plugin.engine import evaluate
from plugin.errors import HelpdeskError, HelpdeskUnavailableError, PayloadError, SettingsError
from plugin.executor import Applied, Executor
from plugin.helpdesk import Helpdesk
from plugin.metrics import Metrics
from plugin.model import Event
from plugin.policy import Policy, load_policy
from plugin.readiness import BackgroundCheck
from plugin.settings import Settings
from plugin.sla.record import ClockRecord
from plugin.store import PENDING, Lease, LockTimeoutError, Store, open_store
from plugin.zammad.client import ZammadClient
from plugin.zammad.helpdesk import ZammadHelpdesk
from plugin.zammad.payload import parse_payload, to_event
from plugin.zammad.reconcile import missed_payloads

log = logging.getLogger(__name__)

TASK_NAME = "ticket_warden.process_delivery"
LOCK_RETRY_DELAY = 1
MAX_RETRY_DELAY = 600.0
UNCERTAIN_WRITE_FACTOR = 3
# A delivery still pending this long after receipt was lost by a worker that died.
SWEEP_NAME = "ticket_warden.sweep"
CLOCKS_NAME = "ticket_warden.sla_clocks"
SWEEP_AFTER_SECONDS = 15 * 60
RECONCILE_NAME = "ticket_warden.reconcile"
# How often a worker's dispatcher looks for deliveries the receivers kept.
DISPATCH_SECONDS = 0.05
# Readiness: a result this fresh is answered as it is; a caller waits this long at most.
READY_FRESH_SECONDS = 5.0
READY_WAIT_SECONDS = 1.0
PROBE_TIMEOUT_SECONDS = 2.0


def delivery_id_for(header: str | None, body: bytes) -> str:
    """Zammad's delivery id, or for requests without one, a digest of the body."""
    if header and header.strip():
        return header.strip()[:200]
    return "sha256-" + hashlib.sha256(body).hexdigest()


class _WalNormalStorage(SqliteStorage):  # type: ignore[misc]
    """huey's SQLite queue with the store's durability: WAL with ``synchronous=NORMAL``.

    huey's default fsyncs every commit (``FULL``). In WAL mode ``NORMAL`` loses nothing
    when a process dies and stays consistent on a power loss, and the queue is only
    the worker's wake-up: the durable record of a delivery is the store's, queued
    again at start and by the sweep.
    """

    def _create_connection(self) -> Any:
        connection = super()._create_connection()
        connection.execute("PRAGMA synchronous=NORMAL")
        return connection


def build_huey(settings: Settings, *, immediate: bool = False) -> Huey:
    """The queue: SQLite in the store's file, or Redis for several replicas."""
    name = settings.namespace
    if settings.uses_redis:
        return RedisHuey(name, url=settings.store, results=False, immediate=immediate)
    return Huey(
        name,
        results=False,
        immediate=immediate,
        storage_class=_WalNormalStorage,
        filename=settings.store,
        strict_fifo=True,
    )


@dataclass
class Runtime:
    """Everything one ticket-warden process runs with."""

    settings: Settings
    policy: Policy
    store: Store
    huey: Huey
    helpdesk: Helpdesk | None = None
    executor: Executor | None = None
    metrics: Metrics = field(default_factory=Metrics)
    zammad: ZammadClient | None = None
    # The bot's own login in the helpdesk, asked for when first needed.
    bot_login: Callable[[], str | None] = lambda: None
    # The helpdesk as readiness sees it: a short timeout and a single attempt.
    probe: Helpdesk | None = None
    _readiness: BackgroundCheck | None = field(default=None, init=False)
    _task: TaskWrapper = field(init=False)

    def __post_init__(self) -> None:
        self.metrics.watch_queue(lambda: len(self.store.pending()), self.store.dead_count)

        def process_delivery(delivery_id: str) -> None:
            self._run_task(delivery_id)

        # Retries are counted in the store (see _run_task), not by huey.
        self._task = self.huey.task(name=TASK_NAME)(process_delivery)

        def sweep() -> None:
            self.requeue_pending(older_than=SWEEP_AFTER_SECONDS)
            self.store.purge(older_than=self.settings.dedup_days * 86400)

        self.huey.periodic_task(crontab(minute="*/5"), name=SWEEP_NAME)(sweep)

        minutes = self.settings.clock_every_minutes
        if minutes and self.executor is not None:

            def tend_clocks_periodically() -> None:
                self.tend_clocks()

            schedule = crontab(minute=f"*/{minutes}")
            self.huey.periodic_task(schedule, name=CLOCKS_NAME)(tend_clocks_periodically)

        every = self.settings.reconcile_every_minutes
        if every and self.zammad is not None and self.executor is not None:
            window = timedelta(hours=self.settings.reconcile_window_hours)

            def reconcile_periodically() -> None:
                self.reconcile(window)

            schedule = crontab(minute=f"*/{every}") if every < 60 else crontab(minute="0")
            self.huey.periodic_task(schedule, name=RECONCILE_NAME)(reconcile_periodically)

    def tend_clocks(self, now: datetime | None = None) -> int:
        """Carry out what is due on every live SLA clock (reminders, closing, warnings,
        breaches); how many tickets were written to. Each ticket is tended under its own
        lock, read again there, so that replicas running this together act once."""
        if self.executor is None:
            return 0  # dry-run: no helpdesk to write to
        moment = now or datetime.now(UTC)
        tended = 0
        for record in self.store.live_clocks():
            try:
                with self.store.lock(f"ticket-{record.ticket}"):
                    writes = self._tend_clock(record.ticket, moment)
            except (HelpdeskError, HelpdeskUnavailableError, LockTimeoutError) as exc:
                log.warning("ticket %s: SLA clock not tended: %s", record.ticket, exc)
                continue
            if writes:
                tended += 1
                log.info("ticket %s: SLA clock: %s", record.ticket, ", ".join(writes))
        return tended

    def _tend_clock(self, ticket: str, now: datetime) -> list[str]:
        """Tend one clock, read again under its lock; count each event it records."""
        current = self.store.clock(ticket)
        if current is None or not current.live or self.executor is None:
            return []
        recorded = len(current.events)

        def save(after: ClockRecord) -> None:
            nonlocal recorded
            self.store.save_clock(after)
            for item in after.events[recorded:]:
                self.metrics.sla_events.labels(item.event.value).inc()
            recorded = len(after.events)

        return self.executor.tend_clock(current, now, save)

    @property
    def dry_run(self) -> bool:
        return self.executor is None

    # -- receiving ---------------------------------------------------------------

    def submit(self, delivery_id: str, body: bytes) -> bool:
        """Keep a delivery for the dispatcher to queue; False for a duplicate.

        The receiver writes one row and answers: queueing (huey's message and row) is
        the worker's, in ``dispatch_new``. With huey in immediate mode (tests) the
        delivery is processed at once.
        """
        if not self.store.accept(delivery_id, body):
            return False
        if self.huey.immediate:
            self._task(delivery_id)
        return True

    def dispatch_new(self) -> int:
        """Queue the deliveries receivers kept since the last call; how many."""
        claimed = self.store.claim_new()
        for delivery_id in claimed:
            self._task(delivery_id)
        return len(claimed)

    def run_dispatcher(self, stop: threading.Event, every: float = DISPATCH_SECONDS) -> None:
        """``dispatch_new`` every ``every`` seconds until ``stop`` is set (a worker's thread).

        A crash between claiming and queueing leaves the delivery pending: queued again
        when a worker starts, and by the sweep.
        """
        while not stop.wait(every):
            try:
                self.dispatch_new()
            except Exception:  # The store may be briefly away; the next round tries again.
                log.exception("dispatching new deliveries failed; trying again")

    def requeue(self, delivery_id: str) -> bool:
        """Queue a dead delivery once more; False when there is no such dead delivery."""
        if not self.store.requeue(delivery_id):
            return False
        self._task(delivery_id)
        return True

    def requeue_pending(self, older_than: float = 0.0) -> int:
        """Queue again what was answered 2xx but never finished (after a crash)."""
        if not older_than:
            # At start every pending delivery is queued here: the dispatcher need not
            # queue the new ones a second time.
            while self.store.claim_new(limit=10_000):
                pass
        pending = self.store.pending(older_than)
        for delivery_id in pending:
            self._task(delivery_id)
        if pending:
            log.info("queued %d unfinished deliveries again", len(pending))
        return len(pending)

    # -- processing ----------------------------------------------------------------

    def _run_task(self, delivery_id: str) -> None:
        """Process a delivery; on helpdesk trouble, try again later, a bounded number of times.

        Failures are logged as one line each: they are expected, not bugs.
        """
        try:
            self.process(delivery_id)
        except LockTimeoutError as exc:
            raise RetryTask(str(exc), delay=LOCK_RETRY_DELAY) from exc
        except (HelpdeskError, HelpdeskUnavailableError) as exc:
            self._retry_or_give_up(delivery_id, exc)
        except Exception as exc:  # A poison event: no retry can fix it.
            log.exception(
                "delivery %s is dead (ticket-warden requeue %s tries it again): %s",
                delivery_id,
                delivery_id,
                exc,
                extra={"delivery": delivery_id},
            )
            self.store.finish(delivery_id, error=f"{type(exc).__name__}: {exc}")
            self.metrics.decisions.labels("failed").inc()

    def _retry_or_give_up(
        self, delivery_id: str, exc: HelpdeskError | HelpdeskUnavailableError
    ) -> None:
        """Queue a delivery again after helpdesk trouble, or give it up for good."""
        attempts = self.store.count_attempt(delivery_id)
        context = {"delivery": delivery_id}
        if not _worth_retrying(exc) or attempts > self.settings.retries:
            log.error(
                "delivery %s failed for good after %d attempts (ticket-warden requeue %s "
                "tries it again): %s",
                delivery_id,
                attempts,
                delivery_id,
                exc,
                extra=context,
            )
            self.store.finish(delivery_id, error=str(exc))
            self.metrics.decisions.labels("failed").inc()
            return
        self.metrics.retries.inc()
        delay = min(self.settings.retry_delay_seconds * 2 ** (attempts - 1), MAX_RETRY_DELAY)
        if isinstance(exc, HelpdeskUnavailableError) and exc.uncertain:
            # A write whose answer never came may still land: give it time to show
            # before the executor reads the ticket again, or it would write twice.
            delay = max(delay, self._uncertain_wait())
        log.warning(
            "delivery %s: %s; trying again in %g s (attempt %d of %d)",
            delivery_id,
            exc,
            delay,
            attempts,
            self.settings.retries + 1,
            extra=context,
        )
        raise RetryTask(str(exc), delay=delay) from exc

    def process(self, delivery_id: str) -> None:
        """Decide (and in live mode, write back) one delivery, once."""
        delivery = self.store.delivery(delivery_id)
        if delivery is None or delivery.state != PENDING:
            return  # Already done by another worker, or forgotten.
        try:
            event = self.read_event(json.loads(delivery.body))
        except (ValueError, PayloadError) as exc:  # Checked on receipt; only a changed store.
            self.store.finish(delivery_id, error=f"unreadable payload: {exc}")
            return
        ticket_id = event.ticket.id
        with self.store.lock(f"ticket-{ticket_id}") as lease:
            current = self.store.delivery(delivery_id)
            if current is None or current.state != PENDING:
                return  # Another worker finished it while we waited for the lock.
            # The last try gives up a reply the helpdesk keeps refusing, so the rest lands.
            last_try = current.attempts >= self.settings.retries
            applied = self._guarded(lease, partial(self._apply, event, last_try=last_try))
            self.store.finish(
                delivery_id, entry=_entry(delivery_id, event, applied, dry_run=self.dry_run)
            )
        decision = applied.decision
        self.metrics.decisions.labels("skipped" if decision.skipped else "applied").inc()
        for tag in decision.tags:
            self.metrics.decision_tags.labels(tag).inc()
        log.info(
            "delivery %s ticket %s: %s",
            delivery_id,
            ticket_id,
            _summary(applied),
            extra={"delivery": delivery_id, "ticket": ticket_id},
        )

    def reconcile(self, window: timedelta, *, limit: int = 5000) -> ReconcileReport:
        """Apply every customer message of the window whose webhook never arrived.

        Safe at any time and on several replicas: each ticket is handled under its
        lock by the idempotent executor. Raises HelpdeskError/HelpdeskUnavailableError.
        """
        if self.zammad is None or self.executor is None:
            raise SettingsError("reconcile needs a live helpdesk (not dry-run)")
        report = ReconcileReport()
        for ticket_id, payload in missed_payloads(self.zammad, self.policy, window, limit=limit):
            report.examined += 1
            if payload is None:
                continue
            event = to_event(payload, self.policy, bot_login=self.bot_login())
            with self.store.lock(f"ticket-{ticket_id}") as lease:
                applied = self._guarded(lease, partial(self.executor.apply, event))
            article = event.message.id if event.message else None
            delivery = f"reconcile-{ticket_id}-{article}"
            self.store.record(_entry(delivery, event, applied, dry_run=False))
            report.applied += 1 if applied.writes else 0
            log.info(
                "reconciled ticket %s: %s",
                ticket_id,
                _summary(applied),
                extra={"delivery": delivery, "ticket": ticket_id},
            )
        return report

    def _guarded(self, lease: Lease, work: Callable[[], Applied]) -> Applied:
        """Run ``work`` under a ticket's lease; after an uncertain write, keep the ticket
        locked until that write has had time to land, so no other event for it (a
        duplicate delivery, reconcile) reads the ticket too early and writes twice."""
        try:
            return work()
        except HelpdeskUnavailableError as exc:
            if exc.uncertain:
                lease.linger = self._uncertain_wait()
            raise

    def _uncertain_wait(self) -> float:
        return UNCERTAIN_WRITE_FACTOR * self.settings.timeout_seconds

    def readiness_problems(self) -> list[str]:
        """Why this process cannot do its work now (empty when ready), from the last
        background check: answers within a second whatever the store or helpdesk does."""
        if self._readiness is None:
            self._readiness = BackgroundCheck(self._check_readiness, fresh_for=READY_FRESH_SECONDS)
        return self._readiness.latest(wait=READY_WAIT_SECONDS)

    def _check_readiness(self) -> list[str]:
        problems = []
        try:
            self.store.pending()
        except Exception as exc:  # Any failure of the store means "not ready".
            problems.append(f"store: {type(exc).__name__}")
        probe = self.probe or self.helpdesk
        if probe is not None and not self.dry_run:
            try:
                problems += [f"helpdesk: {problem}" for problem in probe.ping()]
            except (HelpdeskError, HelpdeskUnavailableError) as exc:
                problems.append(f"helpdesk: {exc}")
        return problems

    def read_event(self, data: Any) -> Event:
        """The neutral event of a webhook payload of this helpdesk; raises PayloadError."""
        if self.settings.helpdesk == DJANGO_HELPDESK:
            bot_user_id = self.settings.django_helpdesk_bot_user_id
            return dh_event(dh_payload(data), bot_user_id=bot_user_id)
        return to_event(parse_payload(data), self.policy, bot_login=self.bot_login())

    def _apply(self, event: Event, *, last_try: bool = False) -> Applied:
        if self.executor is None:
            decision = evaluate(event.ticket, event.message, self.policy, datetime.now(UTC))
            return Applied(decision)
        return self.executor.apply(event, last_try=last_try)


@dataclass
class ReconcileReport:
    """How many tickets a reconcile run looked at and wrote to."""

    examined: int = 0
    applied: int = 0


def _worth_retrying(exc: HelpdeskError | HelpdeskUnavailableError) -> bool:
    """Unreachable, 5xx, 429, 408 and 409 may pass; other 4xx (404, 401...) will not."""
    if isinstance(exc, HelpdeskUnavailableError):
        return True
    return exc.status >= 500 or exc.status in (408, 409, 429)


def _summary(applied: Applied) -> str:
    """One log line's worth of what a delivery led to."""
    decision = applied.decision
    if decision.skipped:
        return f"skipped: {decision.skipped}"
    replies = ",".join(reason for reply in decision.replies for reason in reply.reasons)
    due = decision.due_at.isoformat() if decision.due_at else "none"
    decided = f"tags {','.join(decision.tags)}; due {due}; reply [{replies}]"
    written = "; ".join(applied.writes) or "nothing new to write"
    return f"{decided}; wrote: {written}" + (
        f"; errors: {applied.errors}" if applied.errors else ""
    )


def _entry(delivery_id: str, event: Event, applied: Applied, *, dry_run: bool) -> dict[str, Any]:
    return {
        "delivery": delivery_id,
        "helpdesk": event.helpdesk,
        "ticket_id": event.ticket.id,
        "ticket_number": event.ticket.number,
        "article_id": event.message.id if event.message else None,
        # What the admin console shows of the message decided on.
        "subject": event.ticket.title,
        "from": event.message.from_address if event.message else None,
        "channel": event.message.channel if event.message else None,
        "decided_at": datetime.fromtimestamp(time.time(), UTC).isoformat(),
        "dry_run": dry_run,
        "decision": applied.decision.to_json(),
        "writes": applied.writes,
        "errors": applied.errors,
    }


def _helpdesk(
    settings: Settings,
    policy: Policy,
    session: requests.Session,
    **options: Unpack[ClientOptions],
) -> ZammadHelpdesk | DjangoHelpdesk:
    """The configured helpdesk over a client tuned with ``options``."""
    if settings.helpdesk == DJANGO_HELPDESK:
        assert settings.django_helpdesk_url and settings.django_helpdesk_user  # has_helpdesk
        assert settings.django_helpdesk_password
        django_client = DjangoHelpdeskClient(
            settings.django_helpdesk_url,
            settings.django_helpdesk_user,
            settings.django_helpdesk_password.get_secret_value(),
            session,
            **options,
        )
        return DjangoHelpdesk(
            django_client,
            bot_user_id=settings.django_helpdesk_bot_user_id,
            due_attribute=policy.due_date_attribute,
            priorities=policy.django_helpdesk_priorities,
        )
    assert settings.zammad_url and settings.zammad_token  # is_dry_run says so
    zammad_client = ZammadClient(
        settings.zammad_url, settings.zammad_token.get_secret_value(), session, **options
    )
    return ZammadHelpdesk(
        zammad_client, due_attribute=policy.due_date_attribute, bot_login=settings.bot_login
    )


def open_settings_store(settings: Settings) -> Store:
    """The store ``settings`` name (SQLite file or Redis URL), with their limits."""
    return open_store(
        settings.store,
        namespace=settings.namespace,
        decisions_kept=settings.decisions_kept,
        remember_days=settings.dedup_days,
    )


def build_runtime(
    settings: Settings,
    *,
    helpdesk: Helpdesk | None = None,
    session: requests.Session | None = None,
    immediate: bool = False,
) -> Runtime:
    """A Runtime from settings; raises PolicyError for a bad policy file."""
    policy = load_policy(settings.policy)
    store = open_settings_store(settings)
    huey = build_huey(settings, immediate=immediate)
    metrics = Metrics()
    executor = None
    zammad_client = None
    probe: Helpdesk | None = None

    # The bot's login marks its own articles; Zammad is asked for it when not configured.
    def configured_login() -> str | None:
        return settings.bot_login

    bot_login: Callable[[], str | None] = configured_login
    if not settings.is_dry_run:
        if helpdesk is None:
            built = _helpdesk(
                settings,
                policy,
                session or requests.Session(),
                timeout=settings.timeout_seconds,
                on_call=metrics.observe_call,
            )
            # Readiness asks once, briefly: it must answer while the helpdesk hangs.
            probe = _helpdesk(
                settings,
                policy,
                requests.Session(),
                timeout=PROBE_TIMEOUT_SECONDS,
                max_attempts=1,
                on_call=metrics.observe_call,
            )
            if isinstance(built, ZammadHelpdesk):
                zammad_client = built.client
                bot_login = built.own_login
            helpdesk = built
        executor = Executor(helpdesk, policy, clocks=store)
    return Runtime(
        settings,
        policy,
        store,
        huey,
        helpdesk=helpdesk,
        executor=executor,
        metrics=metrics,
        zammad=zammad_client,
        bot_login=bot_login,
        probe=probe,
    )
