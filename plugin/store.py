"""Durable state beside the queue: the delivery inbox, per-ticket locks, recent decisions.

Every webhook answered 2xx is first written to the inbox (keyed by its
delivery id, which also de-duplicates Zammad's retries) and marked done only
after the worker applied it; what is still pending after a crash is queued
again at start-up. SQLite (one file, stdlib ``sqlite3``) serves one machine;
Redis serves several replicas sharing one inbox, one de-duplication set and
one lock per ticket.
"""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol, cast

import redis

from plugin.sla.record import ClockRecord

PENDING, DONE, FAILED = "pending", "done", "failed"
# A per-ticket lock is renewed while held and lapses this long after its holder died.
LOCK_TTL = 20.0
LOCK_WAIT = 30.0
_HOST = socket.gethostname()
_DELETE_IF_EQUAL = (
    "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) end return 0"
)


def owner_token() -> str:
    """A lock token that names its holder: host, process and a random part."""
    return f"{_HOST}:{os.getpid()}:{uuid.uuid4().hex}"


def owner_is_dead(token: str) -> bool:
    """True when the token's holder was a process on this host that no longer runs."""
    host, _, rest = token.partition(":")
    pid_text = rest.partition(":")[0]
    if host != _HOST or not pid_text.isdigit():
        return False  # Another host's holder: only its lock's expiry tells.
    try:
        os.kill(int(pid_text), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # Alive, under another user.
    return False


@contextmanager
def _renewing(interval: float, renew: Callable[[], object]) -> Iterator[None]:
    """Call ``renew`` every ``interval`` seconds in a daemon thread while the block runs."""
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(interval):
            with suppress(Exception):  # A missed renewal only shortens the lease.
                renew()

    thread = threading.Thread(target=beat, name="lock-renewal", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


@dataclass(frozen=True)
class Delivery:
    """One webhook as received."""

    id: str
    body: bytes
    state: str
    received_at: float
    # Failed attempts counted so far (count_attempt).
    attempts: int = 0


@dataclass(frozen=True)
class DeadDelivery:
    """A delivery the worker gave up on, and why (``ticket-warden requeue`` retries it)."""

    id: str
    error: str
    finished_at: float


@dataclass
class Lease:
    """A held lock; ``linger`` seconds (if set) keep it taken after the holder leaves."""

    linger: float = 0.0


class LockTimeoutError(TimeoutError):
    """A per-ticket lock stayed taken longer than we were willing to wait."""


class Store(Protocol):
    """The state ticket-warden keeps; SQLite and Redis implement it alike."""

    def accept(self, delivery_id: str, body: bytes) -> bool:
        """Keep a new delivery; False when this id was seen before (a duplicate)."""

    def claim_new(self, limit: int = 100) -> list[str]:
        """Ids of accepted deliveries no worker has queued yet, oldest first, each
        claimed by this caller only (the receiver writes, a dispatcher queues)."""

    def delivery(self, delivery_id: str) -> Delivery | None: ...

    def finish(
        self, delivery_id: str, error: str | None = None, entry: dict[str, Any] | None = None
    ) -> None:
        """Mark a delivery done, or dead (failed for good) with ``error``; ``entry``, the
        decision, is recorded in the same transaction, so a crash cannot record it twice."""

    def requeue(self, delivery_id: str) -> bool:
        """Make a dead delivery pending again, its attempts forgotten; False if it is not
        a dead delivery this store knows."""

    def failed(self, limit: int = 10) -> list[DeadDelivery]:
        """The deliveries given up on, most recent first, at most ``limit``."""

    def dead_count(self) -> int:
        """How many deliveries were given up on (and not purged or requeued)."""

    def count_attempt(self, delivery_id: str) -> int:
        """Count one more failed attempt at a delivery; the total so far."""

    def pending(self, older_than: float = 0.0) -> list[str]:
        """Ids of deliveries not yet done, received at least ``older_than`` seconds ago."""

    def lock(self, name: str, ttl: float = LOCK_TTL, wait: float = LOCK_WAIT) -> Any:
        """A context manager holding ``name`` and giving a Lease; LockTimeoutError after ``wait``.

        The holder renews the lock every ``ttl / 3`` seconds; a holder that died
        loses it after ``ttl`` (at once, when it died on this host). A holder that
        sets ``lease.linger`` keeps others out that many seconds after it leaves.
        """

    def record(self, entry: dict[str, Any]) -> None:
        """Keep a decision for ``recent()``."""

    def recent(self, limit: int = 50) -> list[dict[str, Any]]: ...

    def purge(self, older_than: float) -> int:
        """Forget finished deliveries older than ``older_than`` seconds; how many."""

    def clock(self, ticket: str) -> ClockRecord | None:
        """The SLA clock record of ``ticket``, if it has one."""

    def save_clock(self, record: ClockRecord) -> None:
        """Keep ``record``, replacing the ticket's earlier one."""

    def live_clocks(self, limit: int = 1000) -> list[ClockRecord]:
        """Records of clocks still running or waiting (no first response by a person,
        not closed), the soonest due first."""

    def clocks_started(self, since: datetime, until: datetime) -> list[ClockRecord]:
        """Records of clocks started in ``[since, until)``, oldest first (for reports)."""

    def save_backtest(self, result: dict[str, Any]) -> None:
        """Keep a backtest's result (its JSON form), replacing the one kept before."""

    def last_backtest(self) -> dict[str, Any] | None:
        """The result of the last backtest kept, for the admin console; None if none."""

    def close(self) -> None: ...


class SqliteStore:
    """The store in one SQLite file (WAL mode, one connection per thread)."""

    def __init__(self, path: str | Path, *, decisions_kept: int = 500) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._decisions_kept = decisions_kept
        self._local = threading.local()
        self._write_lock = threading.Lock()
        with self._connection() as db:
            db.executescript(
                """
                PRAGMA journal_mode=WAL;
                CREATE TABLE IF NOT EXISTS warden_delivery (
                    id TEXT PRIMARY KEY, body BLOB NOT NULL, state TEXT NOT NULL,
                    received_at REAL NOT NULL, finished_at REAL, error TEXT,
                    attempts INTEGER NOT NULL DEFAULT 0);
                CREATE INDEX IF NOT EXISTS warden_delivery_state
                    ON warden_delivery (state, received_at);
                CREATE TABLE IF NOT EXISTS warden_lock (
                    name TEXT PRIMARY KEY, token TEXT NOT NULL, expires_at REAL NOT NULL);
                CREATE TABLE IF NOT EXISTS warden_decision (
                    seq INTEGER PRIMARY KEY AUTOINCREMENT, entry TEXT NOT NULL);
                CREATE TABLE IF NOT EXISTS warden_clock (
                    ticket TEXT PRIMARY KEY, record TEXT NOT NULL,
                    live INTEGER NOT NULL, due_at REAL NOT NULL, started_at REAL NOT NULL);
                CREATE INDEX IF NOT EXISTS warden_clock_started ON warden_clock (started_at);
                CREATE INDEX IF NOT EXISTS warden_clock_live
                    ON warden_clock (due_at) WHERE live = 1;
                CREATE TABLE IF NOT EXISTS warden_backtest (
                    id INTEGER PRIMARY KEY CHECK (id = 1), result TEXT NOT NULL,
                    saved_at REAL NOT NULL);
                """
            )
            columns = {row[1] for row in db.execute("PRAGMA table_info(warden_delivery)")}
            if "dispatched" not in columns:
                # Deliveries kept before dispatching existed were queued by the receiver.
                db.execute(
                    "ALTER TABLE warden_delivery ADD COLUMN dispatched INTEGER NOT NULL DEFAULT 1"
                )
            db.execute(
                "CREATE INDEX IF NOT EXISTS warden_delivery_new ON warden_delivery "
                "(received_at) WHERE dispatched = 0"
            )

    @contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            db.execute("PRAGMA busy_timeout=30000")
            # In WAL mode, NORMAL loses nothing when a process dies (only on power loss
            # may the last commits go), and spares an fsync per commit.
            db.execute("PRAGMA synchronous=NORMAL")
            self._local.db = db
        yield db

    def accept(self, delivery_id: str, body: bytes) -> bool:
        # One writer per process at a time: threads queue on this lock instead of
        # meeting SQLite's busy handler, which sleeps a millisecond or more each time.
        with self._write_lock, self._connection() as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO warden_delivery (id, body, state, received_at, "
                "dispatched) VALUES (?, ?, ?, ?, 0)",
                (delivery_id, body, PENDING, time.time()),
            )
            return cursor.rowcount == 1

    def claim_new(self, limit: int = 100) -> list[str]:
        with self._connection() as db:
            if (
                db.execute("SELECT 1 FROM warden_delivery WHERE dispatched = 0 LIMIT 1").fetchone()
                is None
            ):
                return []  # A read, so an idle dispatcher takes no write lock.
        with self._write_lock, self._connection() as db:
            rows = db.execute(
                "UPDATE warden_delivery SET dispatched = 1 WHERE id IN (SELECT id FROM "
                "warden_delivery WHERE dispatched = 0 ORDER BY received_at LIMIT ?) "
                "RETURNING id, received_at",
                (limit,),
            ).fetchall()
        return [row[0] for row in sorted(rows, key=lambda row: row[1])]

    def delivery(self, delivery_id: str) -> Delivery | None:
        with self._connection() as db:
            row = db.execute(
                "SELECT id, body, state, received_at, attempts FROM warden_delivery WHERE id = ?",
                (delivery_id,),
            ).fetchone()
        return Delivery(row[0], bytes(row[1]), row[2], row[3], int(row[4] or 0)) if row else None

    def finish(
        self, delivery_id: str, error: str | None = None, entry: dict[str, Any] | None = None
    ) -> None:
        with self._connection() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                if entry is not None:
                    self._insert_decision(db, entry)
                db.execute(
                    "UPDATE warden_delivery SET state = ?, finished_at = ?, error = ? WHERE id = ?",
                    (FAILED if error else DONE, time.time(), error, delivery_id),
                )
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")

    def requeue(self, delivery_id: str) -> bool:
        with self._connection() as db:
            return (
                db.execute(
                    "UPDATE warden_delivery SET state = ?, attempts = 0, error = NULL, "
                    "finished_at = NULL WHERE id = ? AND state = ?",
                    (PENDING, delivery_id, FAILED),
                ).rowcount
                == 1
            )

    def failed(self, limit: int = 10) -> list[DeadDelivery]:
        with self._connection() as db:
            rows = db.execute(
                "SELECT id, error, finished_at FROM warden_delivery WHERE state = ? "
                "ORDER BY finished_at DESC LIMIT ?",
                (FAILED, limit),
            ).fetchall()
        return [DeadDelivery(row[0], row[1] or "", float(row[2] or 0.0)) for row in rows]

    def dead_count(self) -> int:
        with self._connection() as db:
            row = db.execute(
                "SELECT COUNT(*) FROM warden_delivery WHERE state = ?", (FAILED,)
            ).fetchone()
        return int(row[0])

    def count_attempt(self, delivery_id: str) -> int:
        with self._connection() as db:
            db.execute(
                "UPDATE warden_delivery SET attempts = attempts + 1 WHERE id = ?", (delivery_id,)
            )
            row = db.execute(
                "SELECT attempts FROM warden_delivery WHERE id = ?", (delivery_id,)
            ).fetchone()
        return int(row[0]) if row else 0

    def pending(self, older_than: float = 0.0) -> list[str]:
        with self._connection() as db:
            rows = db.execute(
                "SELECT id FROM warden_delivery WHERE state = ? AND received_at <= ? "
                "ORDER BY received_at",
                (PENDING, time.time() - older_than),
            ).fetchall()
        return [row[0] for row in rows]

    @contextmanager
    def lock(self, name: str, ttl: float = LOCK_TTL, wait: float = LOCK_WAIT) -> Iterator[Lease]:
        token = owner_token()
        deadline = time.monotonic() + wait
        lease = Lease()
        with self._connection() as db:
            while not self._try_lock(db, name, token, ttl):
                if time.monotonic() >= deadline:
                    raise LockTimeoutError(f"lock {name} is still taken after {wait:g} s")
                time.sleep(0.05)
            try:
                with _renewing(ttl / 3, lambda: self._renew(name, token, ttl)):
                    yield lease
            finally:
                if lease.linger > 0:
                    self._renew(name, token, lease.linger)
                else:
                    db.execute(
                        "DELETE FROM warden_lock WHERE name = ? AND token = ?", (name, token)
                    )

    @staticmethod
    def _try_lock(db: sqlite3.Connection, name: str, token: str, ttl: float) -> bool:
        now = time.time()
        db.execute("BEGIN IMMEDIATE")
        try:
            row = db.execute("SELECT token, expires_at FROM warden_lock WHERE name = ?", (name,))
            held = row.fetchone()
            if held is not None and (held[1] < now or owner_is_dead(held[0])):
                db.execute("DELETE FROM warden_lock WHERE name = ?", (name,))
            inserted = db.execute(
                "INSERT OR IGNORE INTO warden_lock (name, token, expires_at) VALUES (?, ?, ?)",
                (name, token, now + ttl),
            )
            return inserted.rowcount == 1
        finally:
            db.execute("COMMIT")

    def _renew(self, name: str, token: str, ttl: float) -> None:
        with self._connection() as db:
            db.execute(
                "UPDATE warden_lock SET expires_at = ? WHERE name = ? AND token = ?",
                (time.time() + ttl, name, token),
            )

    def record(self, entry: dict[str, Any]) -> None:
        with self._connection() as db:
            self._insert_decision(db, entry)

    def _insert_decision(self, db: sqlite3.Connection, entry: dict[str, Any]) -> None:
        db.execute("INSERT INTO warden_decision (entry) VALUES (?)", (json.dumps(entry),))
        db.execute(
            "DELETE FROM warden_decision WHERE seq <= (SELECT MAX(seq) FROM warden_decision) - ?",
            (self._decisions_kept,),
        )

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        with self._connection() as db:
            rows = db.execute(
                "SELECT entry FROM warden_decision ORDER BY seq DESC LIMIT ?", (limit,)
            ).fetchall()
        return [json.loads(row[0]) for row in rows]

    def purge(self, older_than: float) -> int:
        with self._connection() as db:
            return db.execute(
                "DELETE FROM warden_delivery WHERE state != ? AND received_at < ?",
                (PENDING, time.time() - older_than),
            ).rowcount

    def clock(self, ticket: str) -> ClockRecord | None:
        with self._connection() as db:
            row = db.execute(
                "SELECT record FROM warden_clock WHERE ticket = ?", (ticket,)
            ).fetchone()
        return ClockRecord.from_json(row[0]) if row else None

    def save_clock(self, record: ClockRecord) -> None:
        with self._write_lock, self._connection() as db:
            db.execute(
                "INSERT INTO warden_clock (ticket, record, live, due_at, started_at) "
                "VALUES (?, ?, ?, ?, ?) ON CONFLICT (ticket) DO UPDATE SET "
                "record = excluded.record, live = excluded.live, due_at = excluded.due_at",
                (
                    record.ticket,
                    record.to_json(),
                    int(record.live),
                    record.due_at.timestamp(),
                    record.started_at.timestamp(),
                ),
            )

    def live_clocks(self, limit: int = 1000) -> list[ClockRecord]:
        with self._connection() as db:
            rows = db.execute(
                "SELECT record FROM warden_clock WHERE live = 1 ORDER BY due_at LIMIT ?",
                (limit,),
            ).fetchall()
        return [ClockRecord.from_json(row[0]) for row in rows]

    def clocks_started(self, since: datetime, until: datetime) -> list[ClockRecord]:
        with self._connection() as db:
            rows = db.execute(
                "SELECT record FROM warden_clock WHERE started_at >= ? AND started_at < ? "
                "ORDER BY started_at",
                (since.timestamp(), until.timestamp()),
            ).fetchall()
        return [ClockRecord.from_json(row[0]) for row in rows]

    def save_backtest(self, result: dict[str, Any]) -> None:
        # One row: only the last backtest is kept.
        with self._write_lock, self._connection() as db:
            db.execute(
                "INSERT OR REPLACE INTO warden_backtest (id, result, saved_at) VALUES (1, ?, ?)",
                (json.dumps(result), time.time()),
            )

    def last_backtest(self) -> dict[str, Any] | None:
        with self._connection() as db:
            row = db.execute("SELECT result FROM warden_backtest WHERE id = 1").fetchone()
        return cast(dict[str, Any], json.loads(row[0])) if row else None

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


class RedisStore:
    """The store in Redis, shared by every replica; keys live under ``prefix``."""

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "ticket-warden",
        decisions_kept: int = 500,
        remember_seconds: float = 7 * 86400,
    ) -> None:
        self._redis = redis.Redis.from_url(url)
        self._prefix = prefix
        self._decisions_kept = decisions_kept
        self._remember = int(remember_seconds)

    def _key(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))

    def accept(self, delivery_id: str, body: bytes) -> bool:
        now = time.time()
        key = self._key("delivery", delivery_id)
        # HSETNX on the state field is the atomic "first time seen" test.
        if not self._redis.hsetnx(key, "state", PENDING):
            return False
        pipe = self._redis.pipeline()
        pipe.hset(key, mapping={"body": body, "received_at": repr(now)})
        pipe.expire(key, self._remember)
        pipe.zadd(self._key("pending"), {delivery_id: now})
        pipe.zadd(self._key("new"), {delivery_id: now})
        pipe.execute()
        return True

    def claim_new(self, limit: int = 100) -> list[str]:
        # ZPOPMIN is atomic: each id goes to one caller.
        popped = cast(list[tuple[bytes, float]], self._redis.zpopmin(self._key("new"), limit))
        return [_text(item) for item, _score in popped]

    def delivery(self, delivery_id: str) -> Delivery | None:
        # The client does not decode responses, so every key and value is bytes.
        fields = cast(dict[bytes, bytes], self._redis.hgetall(self._key("delivery", delivery_id)))
        if not fields or b"body" not in fields:
            return None
        return Delivery(
            delivery_id,
            fields[b"body"],
            fields[b"state"].decode(),
            float(fields[b"received_at"]),
            int(fields.get(b"attempts") or 0),
        )

    def finish(
        self, delivery_id: str, error: str | None = None, entry: dict[str, Any] | None = None
    ) -> None:
        pipe = self._redis.pipeline()  # MULTI/EXEC: all of it or none
        key = self._key("delivery", delivery_id)
        if entry is not None:
            self._push_decision(pipe, entry)
        pipe.hset(key, "state", FAILED if error else DONE)
        pipe.hset(key, "finished_at", repr(time.time()))
        pipe.hset(key, "error", error or "")
        pipe.zrem(self._key("pending"), delivery_id)
        if error:
            pipe.sadd(self._key("dead"), delivery_id)
        pipe.execute()

    def requeue(self, delivery_id: str) -> bool:
        key = self._key("delivery", delivery_id)
        if not self._redis.srem(self._key("dead"), delivery_id):
            return False
        received = self._redis.hget(key, "received_at")
        pipe = self._redis.pipeline()
        pipe.hset(key, mapping={"state": PENDING, "attempts": 0, "error": ""})
        pipe.zadd(self._key("pending"), {delivery_id: float(received or time.time())})
        pipe.execute()
        return True

    def failed(self, limit: int = 10) -> list[DeadDelivery]:
        found = []
        for member in cast(set[bytes], self._redis.smembers(self._key("dead"))):
            delivery_id = _text(member)
            fields = cast(
                list[bytes | None],
                self._redis.hmget(self._key("delivery", delivery_id), ["error", "finished_at"]),
            )
            error, finished = fields
            found.append(DeadDelivery(delivery_id, (error or b"").decode(), float(finished or 0.0)))
        return sorted(found, key=lambda dead: dead.finished_at, reverse=True)[:limit]

    def dead_count(self) -> int:
        return int(self._redis.scard(self._key("dead")))

    def count_attempt(self, delivery_id: str) -> int:
        return int(self._redis.hincrby(self._key("delivery", delivery_id), "attempts", 1))

    def pending(self, older_than: float = 0.0) -> list[str]:
        ids = self._redis.zrangebyscore(self._key("pending"), "-inf", time.time() - older_than)
        return [_text(item) for item in ids]

    @contextmanager
    def lock(self, name: str, ttl: float = LOCK_TTL, wait: float = LOCK_WAIT) -> Iterator[Lease]:
        key = self._key("lock", name)
        lease = Lease()
        # Not thread-local: the renewal thread must see the token.
        lock = self._redis.lock(key, timeout=ttl, blocking_timeout=0, thread_local=False)
        token = owner_token()
        deadline = time.monotonic() + wait
        while not lock.acquire(token=token):
            held = self._redis.get(key)
            holder = held.decode() if isinstance(held, bytes) else held
            if held is not None and holder is not None and owner_is_dead(holder):
                # Compare-and-delete, so a lock another live holder just took stays.
                self._redis.eval(_DELETE_IF_EQUAL, 1, key, held)
                continue
            if time.monotonic() >= deadline:
                raise LockTimeoutError(f"lock {name} is still taken after {wait:g} s")
            time.sleep(0.05)
        try:
            with _renewing(ttl / 3, lock.reacquire):
                yield lease
        finally:
            # It may have expired while held; then another holder owns it now.
            with suppress(redis.exceptions.LockError):
                if lease.linger > 0:
                    lock.extend(lease.linger, replace_ttl=True)
                else:
                    lock.release()

    def record(self, entry: dict[str, Any]) -> None:
        pipe = self._redis.pipeline()
        self._push_decision(pipe, entry)
        pipe.execute()

    def _push_decision(self, pipe: Any, entry: dict[str, Any]) -> None:
        pipe.lpush(self._key("decisions"), json.dumps(entry))
        pipe.ltrim(self._key("decisions"), 0, self._decisions_kept - 1)

    def recent(self, limit: int = 50) -> list[dict[str, Any]]:
        items = self._redis.lrange(self._key("decisions"), 0, limit - 1)
        return [json.loads(item) for item in items]

    def purge(self, older_than: float) -> int:
        # Delivery keys expire by themselves after ``remember_seconds``; the dead set
        # forgets the ones gone.
        dead = self._redis.smembers(self._key("dead"))
        gone = [item for item in dead if not self._redis.exists(self._key("delivery", _text(item)))]
        if gone:
            self._redis.srem(self._key("dead"), *gone)
        return len(gone)

    def clock(self, ticket: str) -> ClockRecord | None:
        text = cast(bytes | None, self._redis.hget(self._key("clocks"), ticket))
        return ClockRecord.from_json(text.decode()) if text else None

    def save_clock(self, record: ClockRecord) -> None:
        pipe = self._redis.pipeline()  # MULTI/EXEC: the record and its index together
        pipe.hset(self._key("clocks"), record.ticket, record.to_json())
        pipe.zadd(self._key("clocks", "started"), {record.ticket: record.started_at.timestamp()})
        if record.live:
            pipe.zadd(self._key("clocks", "live"), {record.ticket: record.due_at.timestamp()})
        else:
            pipe.zrem(self._key("clocks", "live"), record.ticket)
        pipe.execute()

    def live_clocks(self, limit: int = 1000) -> list[ClockRecord]:
        tickets = cast(list[bytes], self._redis.zrange(self._key("clocks", "live"), 0, limit - 1))
        if not tickets:
            return []
        texts = cast(list[bytes | None], self._redis.hmget(self._key("clocks"), tickets))
        return [ClockRecord.from_json(text.decode()) for text in texts if text]

    def clocks_started(self, since: datetime, until: datetime) -> list[ClockRecord]:
        tickets = cast(
            list[bytes],
            self._redis.zrangebyscore(
                self._key("clocks", "started"), since.timestamp(), f"({until.timestamp()}"
            ),
        )
        if not tickets:
            return []
        texts = cast(list[bytes | None], self._redis.hmget(self._key("clocks"), tickets))
        return [ClockRecord.from_json(text.decode()) for text in texts if text]

    def save_backtest(self, result: dict[str, Any]) -> None:
        self._redis.set(self._key("backtest"), json.dumps(result))

    def last_backtest(self) -> dict[str, Any] | None:
        text = cast(bytes | None, self._redis.get(self._key("backtest")))
        return cast(dict[str, Any], json.loads(text)) if text else None

    def close(self) -> None:
        self._redis.close()


def _text(item: Any) -> str:
    return item.decode() if isinstance(item, bytes) else str(item)


def open_store(
    location: str,
    *,
    namespace: str = "ticket-warden",
    decisions_kept: int = 500,
    remember_days: int = 7,
) -> Store:
    """A RedisStore for ``redis://...`` locations, else a SqliteStore at that path."""
    if location.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(
            location,
            prefix=namespace,
            decisions_kept=decisions_kept,
            remember_seconds=remember_days * 86400,
        )
    return SqliteStore(location, decisions_kept=decisions_kept)
