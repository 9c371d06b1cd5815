"""The durable store on SQLite and on the real Redis server at 127.0.0.1:6379."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import redis

from plugin.names import Clock
from plugin.sla.clock import first_response, start_clock
from plugin.sla.record import ClockRecord
from plugin.store import DONE, FAILED, PENDING, LockTimeoutError, RedisStore, SqliteStore, Store

REDIS_URL = os.environ.get("WARDEN_TEST_REDIS", "redis://127.0.0.1:6379/0")


def redis_available() -> bool:
    try:
        return bool(redis.Redis.from_url(REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@pytest.fixture(params=["sqlite", "redis"])
def store(request, tmp_path: Path) -> Iterator[Store]:
    if request.param == "sqlite":
        sqlite = SqliteStore(tmp_path / "store.sqlite3", decisions_kept=3)
        yield sqlite
        sqlite.close()
        return
    if not redis_available():
        if os.environ.get("CI"):
            pytest.fail(f"Redis at {REDIS_URL} is not reachable; CI must start it")
        pytest.skip(f"no Redis at {REDIS_URL}")
    prefix = f"tw-test-{uuid.uuid4().hex[:8]}"
    shared = RedisStore(REDIS_URL, prefix=prefix, decisions_kept=3)
    yield shared
    client = redis.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    shared.close()


def test_accept_deduplicates_and_keeps_the_body(store: Store) -> None:
    assert store.accept("d1", b'{"a": 1}') is True
    assert store.accept("d1", b'{"a": 2}') is False
    delivery = store.delivery("d1")
    assert delivery is not None and delivery.body == b'{"a": 1}' and delivery.state == PENDING
    assert store.delivery("unknown") is None


def test_pending_until_finished(store: Store) -> None:
    store.accept("d1", b"{}")
    store.accept("d2", b"{}")
    assert store.pending() == ["d1", "d2"]
    assert store.pending(older_than=3600) == []
    store.finish("d1")
    store.finish("d2", error="HTTP 422: no such ticket")
    assert store.pending() == []
    assert store.delivery("d1").state == DONE
    assert store.delivery("d2").state == FAILED
    assert store.accept("d1", b"{}") is False  # a finished delivery is still remembered


def test_recent_decisions_newest_first_and_bounded(store: Store) -> None:
    for n in range(5):
        store.record({"n": n})
    assert [entry["n"] for entry in store.recent(10)] == [4, 3, 2]
    assert [entry["n"] for entry in store.recent(1)] == [4]


def test_the_lock_serialises_holders(store: Store) -> None:
    events: list[str] = []

    def hold(name: str) -> None:
        with store.lock("ticket-81", ttl=10, wait=5):
            events.append(f"{name} in")
            time.sleep(0.2)
            events.append(f"{name} out")

    threads = [threading.Thread(target=hold, args=(name,)) for name in ("a", "b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert events in (["a in", "a out", "b in", "b out"], ["b in", "b out", "a in", "a out"])


def test_a_held_lock_is_renewed_and_times_out_others(store: Store) -> None:
    with store.lock("ticket-1", ttl=0.3, wait=1):
        time.sleep(0.6)  # longer than the ttl: the holder's renewals keep it
        with pytest.raises(LockTimeoutError), store.lock("ticket-1", ttl=1, wait=0.2):
            pass
    with store.lock("ticket-1", ttl=1, wait=0.1):
        pass


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def plant_lock(store: Store, name: str, token: str, ttl: float) -> None:
    """Leave a lock behind as a crashed holder would."""
    if isinstance(store, SqliteStore):
        with store._connection() as db:
            db.execute(
                "INSERT INTO warden_lock (name, token, expires_at) VALUES (?, ?, ?)",
                (name, token, time.time() + ttl),
            )
    else:
        assert isinstance(store, RedisStore)
        store._redis.set(store._key("lock", name), token, px=int(ttl * 1000))


def test_a_lock_left_by_a_dead_process_on_this_host_is_taken_at_once(store: Store) -> None:
    plant_lock(store, "ticket-2", f"{socket.gethostname()}:{dead_pid()}:abc", ttl=3600)
    started = time.monotonic()
    with store.lock("ticket-2", ttl=5, wait=2):
        pass
    assert time.monotonic() - started < 1


def test_a_lock_of_another_host_waits_for_its_expiry(store: Store) -> None:
    plant_lock(store, "ticket-3", "elsewhere:1:abc", ttl=0.5)
    with pytest.raises(LockTimeoutError), store.lock("ticket-3", ttl=5, wait=0.1):
        pass
    with store.lock("ticket-3", ttl=5, wait=3):
        pass


def test_sqlite_purge_forgets_only_finished_deliveries(tmp_path: Path) -> None:
    store = SqliteStore(tmp_path / "s.sqlite3")
    store.accept("old-done", b"{}")
    store.accept("old-pending", b"{}")
    store.finish("old-done")
    assert store.purge(older_than=-1) == 1
    assert store.delivery("old-done") is None and store.delivery("old-pending") is not None


def test_sqlite_state_survives_a_new_process_view(tmp_path: Path) -> None:
    path = tmp_path / "s.sqlite3"
    SqliteStore(path).accept("d1", b"{}")
    assert SqliteStore(path).pending() == ["d1"]


def test_a_lingering_lease_keeps_others_out_after_release(store: Store) -> None:
    with store.lock("ticket-4", ttl=5, wait=1) as lease:
        lease.linger = 0.6
    started = time.monotonic()
    with pytest.raises(LockTimeoutError), store.lock("ticket-4", ttl=5, wait=0.2):
        pass
    with store.lock("ticket-4", ttl=5, wait=3):
        pass
    assert time.monotonic() - started >= 0.5


def test_new_deliveries_are_claimed_once_oldest_first(store: Store) -> None:
    """Both stores: the receiver keeps, each dispatcher claims what no other did."""
    for name in ("a", "b", "c"):
        assert store.accept(name, b"{}")
        time.sleep(0.002)
    assert store.claim_new(limit=2) == ["a", "b"]
    assert store.claim_new() == ["c"] and store.claim_new() == []
    assert sorted(store.pending()) == ["a", "b", "c"]  # claimed is not done


def test_a_store_made_before_dispatching_is_migrated(tmp_path: Path) -> None:
    """Its deliveries were queued by the receiver then: none is claimed again."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as db:
        db.execute(
            "CREATE TABLE warden_delivery (id TEXT PRIMARY KEY, body BLOB NOT NULL, "
            "state TEXT NOT NULL, received_at REAL NOT NULL, finished_at REAL, error TEXT, "
            "attempts INTEGER NOT NULL DEFAULT 0)"
        )
        db.execute(
            "INSERT INTO warden_delivery VALUES ('old', x'7b7d', 'pending', 1.0, NULL, NULL, 0)"
        )
    store = SqliteStore(str(path))
    assert store.claim_new() == [] and store.pending() == ["old"]
    assert store.accept("new", b"{}") and store.claim_new() == ["new"]


def _clock(ticket: str, due_hour: int) -> ClockRecord:
    start = datetime(2026, 3, 2, 8, tzinfo=UTC)
    return start_clock(
        ticket,
        tier="gold",
        clock=Clock.OFFICE_HOURS,
        target=timedelta(hours=4),
        started_at=start,
        due_at=start.replace(hour=due_hour),
    )


def test_clock_records_are_kept_and_the_live_ones_listed_soonest_due_first(
    store: Store,
) -> None:
    assert store.clock("7") is None
    late, soon = _clock("7", 16), _clock("8", 12)
    store.save_clock(late)
    store.save_clock(soon)
    assert store.clock("7") == late
    assert [record.ticket for record in store.live_clocks()] == ["8", "7"]
    answered = first_response(soon, datetime(2026, 3, 2, 9, tzinfo=UTC))
    store.save_clock(answered)  # a person answered: the clock is no longer live
    assert store.clock("8") == answered
    assert [record.ticket for record in store.live_clocks()] == ["7"]


def test_clocks_started_in_a_month_oldest_first(store: Store) -> None:
    february, march = _clock("10", 12), _clock("11", 12)  # _clock starts on 2 March
    february = replace(february, started_at=datetime(2026, 2, 27, 8, tzinfo=UTC))
    store.save_clock(march)
    store.save_clock(february)
    month = (datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 4, 1, tzinfo=UTC))
    assert [record.ticket for record in store.clocks_started(*month)] == ["11"]
    everything = store.clocks_started(datetime(2026, 1, 1, tzinfo=UTC), month[1])
    assert [record.ticket for record in everything] == ["10", "11"]


def test_the_store_keeps_only_the_last_backtest(store: Store) -> None:
    assert store.last_backtest() is None
    first = {"policy": "new.yaml", "examined": 1, "rows": [{"title": "Sicherung schlägt fehl"}]}
    store.save_backtest(first)
    assert store.last_backtest() == first
    second = {"policy": "new.yaml", "examined": 2, "rows": []}
    store.save_backtest(second)
    assert store.last_backtest() == second


def test_dead_deliveries_are_listed_newest_first_with_why(store: Store) -> None:
    for number in range(3):
        store.accept(f"d-{number}", b"{}")
        store.finish(f"d-{number}", error=f"gave up {number}")
        time.sleep(0.01)
    store.accept("d-ok", b"{}")
    store.finish("d-ok")
    listed = store.failed(limit=2)
    expected = [("d-2", "gave up 2"), ("d-1", "gave up 1")]
    assert [(dead.id, dead.error) for dead in listed] == expected
    assert listed[0].finished_at >= listed[1].finished_at > 0
    assert store.requeue("d-2") and [dead.id for dead in store.failed()] == ["d-1", "d-0"]
