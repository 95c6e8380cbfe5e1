"""The project locks' contract, in memory and on an in-process Redis."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import fakeredis
import pytest

from handoff.adapters.errors import Contention, ServiceUnavailable
from handoff.adapters.locks import InMemoryProjectLocks, RedisProjectLocks
from handoff.adapters.ports import ProjectLocks

KEY = "HO-0123456789ABCDEF0123"


MakeLocks = Callable[[float], ProjectLocks]


@pytest.fixture(params=["memory", "redis"])
def make_locks(
    request: pytest.FixtureRequest, fake_redis: fakeredis.FakeRedis
) -> MakeLocks:
    """A factory of lock sets sharing one backend, waiting ``wait`` seconds.

    In memory, the "sets" are one object whose wait the last call sets: the
    tests take turns, so the wait in force is the one they asked for.
    """
    memory = InMemoryProjectLocks()

    def make(wait: float) -> ProjectLocks:
        if request.param == "redis":
            return RedisProjectLocks(fake_redis, prefix="test:lock:", ttl=5, wait=wait)
        memory.wait = wait
        return memory

    return make


def test_a_released_lock_can_be_taken_again(make_locks: MakeLocks) -> None:
    locks = make_locks(0.2)

    with locks.hold(KEY):
        pass
    with locks.hold(KEY):
        pass


def test_a_held_lock_makes_others_wait_then_give_up(make_locks: MakeLocks) -> None:
    first, second = make_locks(0.2), make_locks(0.2)

    with first.hold(KEY):
        started = time.monotonic()
        with pytest.raises(Contention), second.hold(KEY):
            pass

    assert time.monotonic() - started >= 0.15


def test_a_waiter_gets_the_lock_when_it_is_released(make_locks: MakeLocks) -> None:
    first, second = make_locks(2), make_locks(2)
    taken = threading.Event()
    order: list[str] = []

    def hold_briefly() -> None:
        with first.hold(KEY):
            taken.set()
            time.sleep(0.1)
            order.append("first out")

    thread = threading.Thread(target=hold_briefly)
    thread.start()
    taken.wait()
    with second.hold(KEY):
        order.append("second in")
    thread.join()

    assert order == ["first out", "second in"]


def test_different_keys_do_not_block_each_other(make_locks: MakeLocks) -> None:
    first, second = make_locks(0), make_locks(0)

    with first.hold(KEY), second.hold("HO-OTHER"):
        pass


def test_the_lock_is_released_when_the_block_raises(make_locks: MakeLocks) -> None:
    locks = make_locks(0)

    with pytest.raises(RuntimeError), locks.hold(KEY):
        raise RuntimeError("boom")

    with locks.hold(KEY):
        pass


# Redis specifics.


def test_the_redis_lock_is_a_namespaced_key_with_a_ttl(
    fake_redis: fakeredis.FakeRedis,
) -> None:
    locks = RedisProjectLocks(fake_redis, prefix="app:lock:", ttl=5, wait=0)

    with locks.hold(KEY):
        ttl_ms = fake_redis.pttl(f"app:lock:{KEY}")

    assert 0 < ttl_ms <= 5000
    assert not fake_redis.exists(f"app:lock:{KEY}")


def test_release_leaves_a_lock_that_another_holder_took_after_expiry(
    fake_redis: fakeredis.FakeRedis,
) -> None:
    locks = RedisProjectLocks(fake_redis, prefix="p:", ttl=5, wait=0)

    with locks.hold(KEY):
        fake_redis.set(f"p:{KEY}", "someone else")

    assert fake_redis.get(f"p:{KEY}") == b"someone else"


def test_the_watchdog_keeps_a_long_holder_s_lock(
    fake_redis: fakeredis.FakeRedis,
) -> None:
    locks = RedisProjectLocks(fake_redis, prefix="p:", ttl=0.3, wait=0)
    rival = RedisProjectLocks(fake_redis, prefix="p:", ttl=0.3, wait=0)

    with locks.hold(KEY):
        time.sleep(0.8)
        with pytest.raises(Contention), rival.hold(KEY):
            pass


def test_an_unreachable_redis_raises_service_unavailable() -> None:
    server = fakeredis.FakeServer()
    server.connected = False
    locks = RedisProjectLocks(fakeredis.FakeRedis(server=server), wait=0)

    with pytest.raises(ServiceUnavailable) as caught, locks.hold(KEY):
        pass

    assert caught.value.__cause__ is not None


def test_nonsense_timings_are_refused(fake_redis: fakeredis.FakeRedis) -> None:
    with pytest.raises(ValueError, match="ttl"):
        RedisProjectLocks(fake_redis, ttl=0)
