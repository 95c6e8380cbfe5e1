"""The Redis rate limiter shared by processes, and when Redis fails."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterator

import pytest
import redis

from handoff.adapters.errors import RateLimited, ServiceUnavailable
from handoff.adapters.ratelimit import RateLimit, RedisRateLimiter
from tests.fixtures.store import PrivateRedis

pytestmark = pytest.mark.integration

LIMIT = RateLimit(limit=8, period=0.5)
UNITS_EACH = 12
SPAWN = multiprocessing.get_context("spawn")
# Grants are journalled just after the script grants them; this much lag
# between the grant and its journal entry is tolerated.
JOURNAL_LAG_S = 0.03


def _spend(url: str, prefix: str, journal: str) -> None:
    """Take UNITS_EACH units one by one, journalling the time of each grant."""
    client = redis.Redis.from_url(url)
    limiter = RedisRateLimiter(client, {"api": LIMIT}, prefix=prefix, max_wait=10)
    for _ in range(UNITS_EACH):
        limiter.acquire("api")
        client.rpush(journal, repr(time.time()))


@pytest.fixture
def prefix(redis_url: str, unique_name: str) -> Iterator[str]:
    """A key prefix of the test's own, deleted afterwards."""
    prefix = f"test:{unique_name}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for name in client.scan_iter(f"{prefix}*"):
        client.delete(name)
    client.close()


def test_two_processes_sharing_a_bucket_never_exceed_its_limit(
    redis_url: str, prefix: str
) -> None:
    journal = f"{prefix}journal"
    workers = [
        SPAWN.Process(target=_spend, args=(redis_url, prefix, journal))
        for _ in range(2)
    ]

    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=30)

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    grants = sorted(float(t) for t in client.lrange(journal, 0, -1))
    assert [w.exitcode for w in workers] == [0, 0]
    assert len(grants) == 2 * UNITS_EACH
    window = LIMIT.period - JOURNAL_LAG_S
    busiest = max(sum(s <= t < s + window for t in grants) for s in grants)
    assert busiest <= LIMIT.limit
    assert grants[-1] - grants[0] >= 2 * LIMIT.period - JOURNAL_LAG_S


def test_a_block_by_one_worker_holds_every_worker(redis_url: str, prefix: str) -> None:
    one = RedisRateLimiter(
        redis.Redis.from_url(redis_url), {"api": LIMIT}, prefix=prefix
    )
    other = RedisRateLimiter(
        redis.Redis.from_url(redis_url), {"api": LIMIT}, prefix=prefix, max_wait=0
    )

    one.block_until("api", time.time() + 5)

    with pytest.raises(RateLimited) as caught:
        other.acquire("api")
    assert 4 < (caught.value.retry_after or 0) <= 5


def test_a_stopped_redis_raises_service_unavailable(
    private_redis: PrivateRedis,
) -> None:
    client = redis.Redis.from_url(private_redis.url)
    limiter = RedisRateLimiter(client, {"api": LIMIT})
    limiter.acquire("api")

    private_redis.stop()

    with pytest.raises(ServiceUnavailable) as caught:
        limiter.acquire("api")
    assert isinstance(caught.value.__cause__, redis.ConnectionError)
