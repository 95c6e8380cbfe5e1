"""The Redis project locks across processes, and when Redis fails."""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections.abc import Iterator

import pytest
import redis

from handoff.adapters.errors import Contention, ServiceUnavailable
from handoff.adapters.locks import MAX_POLL_S, RedisProjectLocks
from tests.fixtures.store import PrivateRedis

pytestmark = pytest.mark.integration

KEY = "HO-0123456789ABCDEF0123"
ROUNDS = 15
SPAWN = multiprocessing.get_context("spawn")


def _take_turns(url: str, prefix: str, journal: str) -> None:
    """Hold the lock ROUNDS times, writing enter and exit to the journal."""
    client = redis.Redis.from_url(url)
    locks = RedisProjectLocks(client, prefix=prefix, ttl=5, wait=20)
    me = str(os.getpid())
    for _ in range(ROUNDS):
        with locks.hold(KEY):
            client.rpush(journal, f"enter {me}")
            time.sleep(0.005)
            client.rpush(journal, f"exit {me}")


def _hold_forever(url: str, prefix: str, ready: str) -> None:
    """Take the lock with a short TTL, say so, and never let go."""
    client = redis.Redis.from_url(url)
    locks = RedisProjectLocks(client, prefix=prefix, ttl=1, wait=5)
    with locks.hold(KEY):
        client.rpush(ready, "held")
        time.sleep(60)


@pytest.fixture
def prefix(redis_url: str, unique_name: str) -> Iterator[str]:
    """A key prefix of the test's own, deleted afterwards."""
    prefix = f"test:{unique_name}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for name in client.scan_iter(f"{prefix}*"):
        client.delete(name)
    client.close()


def test_two_processes_never_hold_one_lock_at_once(redis_url: str, prefix: str) -> None:
    journal = f"{prefix}journal"
    workers = [
        SPAWN.Process(target=_take_turns, args=(redis_url, prefix, journal))
        for _ in range(2)
    ]

    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    entries = [str(entry) for entry in client.lrange(journal, 0, -1)]
    assert [w.exitcode for w in workers] == [0, 0]
    assert len(entries) == 2 * 2 * ROUNDS
    for enter, leave in zip(entries[::2], entries[1::2], strict=True):
        assert enter.startswith("enter ")
        assert leave == enter.replace("enter", "exit")


def test_a_lock_of_a_killed_holder_frees_after_its_ttl(
    redis_url: str, prefix: str
) -> None:
    client = redis.Redis.from_url(redis_url)
    holder = SPAWN.Process(
        target=_hold_forever, args=(redis_url, prefix, f"{prefix}ready")
    )
    holder.start()
    assert client.blpop([f"{prefix}ready"], timeout=20) is not None

    os.kill(holder.pid, signal.SIGKILL)  # type: ignore[arg-type]
    holder.join()
    assert client.exists(f"{prefix}{KEY}"), "the dead holder's lock outlives it"
    started = time.monotonic()
    with RedisProjectLocks(client, prefix=prefix, wait=5).hold(KEY):
        waited = time.monotonic() - started

    assert waited < 1 + 2 * MAX_POLL_S, "freed within its TTL and one poll"


def test_the_watchdog_outlives_several_ttls(redis_url: str, prefix: str) -> None:
    client = redis.Redis.from_url(redis_url)
    holder = RedisProjectLocks(client, prefix=prefix, ttl=0.3, wait=0)
    rival = RedisProjectLocks(client, prefix=prefix, ttl=0.3, wait=0)

    with holder.hold(KEY):
        for _ in range(4):
            time.sleep(0.25)
            with pytest.raises(Contention), rival.hold(KEY):
                pass

    with rival.hold(KEY):
        pass


def test_a_stopped_redis_raises_service_unavailable(
    private_redis: PrivateRedis,
) -> None:
    locks = RedisProjectLocks.from_url(private_redis.url, wait=0)
    with locks.hold(KEY):
        pass

    private_redis.stop()

    with pytest.raises(ServiceUnavailable) as caught, locks.hold(KEY):
        pass
    assert isinstance(caught.value.__cause__, redis.ConnectionError)


def test_a_hung_redis_times_out_as_service_unavailable(
    private_redis: PrivateRedis,
) -> None:
    client = redis.Redis.from_url(private_redis.url, socket_timeout=0.3)
    locks = RedisProjectLocks(client, wait=0)
    client.ping()

    private_redis.pause()

    with pytest.raises(ServiceUnavailable) as caught, locks.hold(KEY):
        pass
    assert isinstance(caught.value.__cause__, redis.TimeoutError)
