"""The rate limiters' rule: at most ``limit`` units in any ``period``."""

from __future__ import annotations

import time

import fakeredis
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handoff.adapters.errors import RateLimited, ServiceUnavailable
from handoff.adapters.ratelimit import (
    InMemoryRateLimiter,
    RateLimit,
    RateLimiter,
    RedisRateLimiter,
)

BUCKETS = {"rocketlane": RateLimit(limit=3, period=0.4)}


class FakeTime:
    """A clock that only moves when someone sleeps."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture(params=["memory", "redis"])
def limiter(
    request: pytest.FixtureRequest, fake_redis: fakeredis.FakeRedis
) -> RateLimiter:
    """The same rule on each backend, in real time."""
    if request.param == "memory":
        return InMemoryRateLimiter(BUCKETS, max_wait=0)
    return RedisRateLimiter(fake_redis, BUCKETS, prefix="test:rl:", max_wait=0)


# The contract, on both backends.


def test_units_within_the_limit_are_granted_at_once(limiter: RateLimiter) -> None:
    started = time.monotonic()

    for _ in range(3):
        limiter.acquire("rocketlane")

    assert time.monotonic() - started < 0.1


def test_a_unit_past_the_limit_says_when_to_retry(limiter: RateLimiter) -> None:
    limiter.acquire("rocketlane", cost=3)

    with pytest.raises(RateLimited) as caught:
        limiter.acquire("rocketlane")

    assert caught.value.retry_after is not None
    assert 0.3 < caught.value.retry_after <= 0.4


def test_a_waiting_caller_gets_its_unit_when_the_window_slides(
    limiter: RateLimiter,
) -> None:
    limiter.acquire("rocketlane", cost=3)
    started = time.monotonic()

    limiter.acquire("rocketlane", max_wait=1)

    assert 0.35 <= time.monotonic() - started < 0.8


def test_a_block_holds_every_unit_until_its_end(limiter: RateLimiter) -> None:
    limiter.block_until("rocketlane", time.time() + 0.3)

    with pytest.raises(RateLimited) as caught:
        limiter.acquire("rocketlane")
    started = time.monotonic()
    limiter.acquire("rocketlane", max_wait=1)

    assert 0.2 < (caught.value.retry_after or 0) <= 0.3
    assert time.monotonic() - started >= 0.2


def test_an_earlier_block_does_not_shorten_a_later_one(limiter: RateLimiter) -> None:
    limiter.block_until("rocketlane", time.time() + 0.3)

    limiter.block_until("rocketlane", time.time() + 0.05)

    with pytest.raises(RateLimited) as caught:
        limiter.acquire("rocketlane")
    assert (caught.value.retry_after or 0) > 0.2


def test_a_block_in_the_past_changes_nothing(limiter: RateLimiter) -> None:
    limiter.block_until("rocketlane", time.time() - 10)

    limiter.acquire("rocketlane")


@pytest.mark.parametrize(
    ("bucket", "cost"),
    [("salesforce", 1), ("rocketlane", 4), ("rocketlane", 0)],
    ids=["unknown bucket", "cost above the limit", "no cost"],
)
def test_a_request_that_can_never_be_granted_is_refused(
    limiter: RateLimiter, bucket: str, cost: int
) -> None:
    with pytest.raises(ValueError, match=r"bucket|cost"):
        limiter.acquire(bucket, cost=cost)


# In memory, on a fake clock.


def test_the_in_memory_limiter_sleeps_until_the_oldest_unit_frees(
    fake_time: FakeTime,
) -> None:
    limiter = InMemoryRateLimiter(
        {"b": RateLimit(limit=2, period=60)},
        max_wait=120,
        clock=fake_time.clock,
        sleep=fake_time.sleep,
    )
    limiter.acquire("b")
    fake_time.now += 10
    limiter.acquire("b")

    limiter.acquire("b")

    assert len(fake_time.slept) == 1
    assert 50 <= fake_time.slept[0] <= 50.05


@settings(max_examples=60, deadline=None)
@given(
    gaps=st.lists(st.floats(min_value=0, max_value=3), min_size=1, max_size=40),
    costs=st.lists(st.integers(min_value=1, max_value=4), min_size=40, max_size=40),
)
def test_no_window_ever_holds_more_than_the_limit(
    gaps: list[float], costs: list[int]
) -> None:
    fake_time = FakeTime()
    limit = RateLimit(limit=5, period=10)
    limiter = InMemoryRateLimiter(
        {"b": limit}, max_wait=1000, clock=fake_time.clock, sleep=fake_time.sleep
    )
    grants: list[float] = []

    for gap, cost in zip(gaps, costs, strict=False):
        fake_time.now += gap
        limiter.acquire("b", cost=cost)
        grants.extend([fake_time.now] * cost)

    for start in grants:
        inside = [t for t in grants if start <= t < start + limit.period]
        assert len(inside) <= limit.limit


# Redis specifics.


def test_an_unreachable_redis_raises_service_unavailable() -> None:
    server = fakeredis.FakeServer()
    server.connected = False
    limiter = RedisRateLimiter(fakeredis.FakeRedis(server=server), BUCKETS)

    with pytest.raises(ServiceUnavailable):
        limiter.acquire("rocketlane")


def test_the_redis_window_expires_with_its_period(
    fake_redis: fakeredis.FakeRedis,
) -> None:
    limiter = RedisRateLimiter(fake_redis, BUCKETS, prefix="app:rl:")

    limiter.acquire("rocketlane")

    assert 0 < fake_redis.pttl("app:rl:rocketlane") <= 400


def test_nonsense_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        RateLimit(limit=0, period=1)
