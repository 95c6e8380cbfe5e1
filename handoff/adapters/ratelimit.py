"""Rate limits shared by every worker, so that API calls are spent like money.

A bucket is named (``"rocketlane"``, ``"salesforce"``) and configured with a
``RateLimit``: at most ``limit`` units in any window of ``period`` seconds.
``acquire`` takes units, waiting up to ``max_wait`` seconds for them, and
raises RateLimited (with ``retry_after``) when they will not come in time.
``block_until`` honours a remote 429 for every worker: nothing is granted
from the bucket before that moment.

``RedisRateLimiter`` keeps a sliding-window log per bucket in Redis (2.6 or
later; one Lua script checks and takes atomically, timed by the server's
clock, so workers on several hosts agree). The log is exact: no window of
``period`` seconds ever holds more than ``limit`` units. Memory is one sorted
set member per unit in the window, which suits API limits of hundreds or
thousands a period. ``InMemoryRateLimiter`` applies the same rule to the
threads of one process.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Final, Protocol

import redis

from .errors import RateLimited
from .locks import redis_errors

__all__ = [
    "DEFAULT_MAX_WAIT_S",
    "DEFAULT_RATE_LIMIT_PREFIX",
    "InMemoryRateLimiter",
    "RateLimit",
    "RateLimiter",
    "RedisRateLimiter",
]

logger = logging.getLogger(__name__)

DEFAULT_RATE_LIMIT_PREFIX: Final = "handoff:ratelimit:"
DEFAULT_MAX_WAIT_S: Final = 30.0
MAX_JITTER_S: Final = 0.05

# KEYS: window log, block marker. ARGV: limit, period ms, cost, unique token.
# Returns 0 when granted, else the milliseconds to wait before trying again.
_TAKE = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local limit, period, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])

local blocked = tonumber(redis.call('GET', KEYS[2]) or '0')
if blocked > now then
    return blocked - now
end

redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - period)
local used = redis.call('ZCARD', KEYS[1])
if used + cost <= limit then
    for unit = 1, cost do
        redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. unit)
    end
    redis.call('PEXPIRE', KEYS[1], period)
    return 0
end

local rank = used + cost - limit - 1
local freeing = redis.call('ZRANGE', KEYS[1], rank, rank, 'WITHSCORES')
return math.max(1, tonumber(freeing[2]) + period - now)
"""

# KEYS: block marker. ARGV: epoch ms until which nothing is granted.
_BLOCK = """
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local until_ms = tonumber(ARGV[1])
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if until_ms > now and until_ms > current then
    redis.call('SET', KEYS[1], until_ms, 'PX', until_ms - now)
end
return 0
"""


@dataclass(frozen=True)
class RateLimit:
    """At most ``limit`` units in any window of ``period`` seconds."""

    limit: int
    period: float

    def __post_init__(self) -> None:
        if self.limit < 1 or self.period <= 0:
            raise ValueError(f"a rate limit needs limit >= 1 and period > 0: {self}")


class RateLimiter(Protocol):
    """A limiter shared by the workers that call one remote API."""

    def acquire(
        self, bucket: str, *, cost: int = 1, max_wait: float | None = None
    ) -> None:
        """Take ``cost`` units, waiting if need be; raises RateLimited."""
        ...

    def block_until(self, bucket: str, epoch_seconds: float) -> None:
        """Grant nothing from ``bucket`` before ``epoch_seconds``."""
        ...


class _WaitingLimiter:
    """The waiting loop shared by both limiters; subclasses try once."""

    def __init__(
        self,
        buckets: Mapping[str, RateLimit],
        *,
        max_wait: float,
        clock: Callable[[], float],
        sleep: Callable[[float], None],
    ) -> None:
        self.buckets = dict(buckets)
        self.max_wait = max_wait
        self._clock = clock
        self._sleep = sleep

    def acquire(
        self, bucket: str, *, cost: int = 1, max_wait: float | None = None
    ) -> None:
        """Take ``cost`` units of ``bucket``, waiting up to ``max_wait`` s.

        ``max_wait`` defaults to the limiter's. Raises RateLimited, with
        ``retry_after`` in seconds, when the units will not come in time;
        ValueError for an unknown bucket or a cost the bucket can never
        grant; ServiceUnavailable when the shared store is unreachable.
        """
        limit = self._limit(bucket, cost)
        wait = self.max_wait if max_wait is None else max_wait
        deadline = self._clock() + wait

        while (retry_after := self._try(bucket, limit, cost)) > 0:
            if self._clock() + retry_after > deadline:
                raise RateLimited(
                    f"bucket {bucket!r} is exhausted for {retry_after:.3f} s",
                    retry_after=retry_after,
                    system=bucket,
                )
            logger.debug("Waiting %.3f s for bucket %r.", retry_after, bucket)
            self._sleep(retry_after + random.uniform(0, MAX_JITTER_S))  # noqa: S311

    def _limit(self, bucket: str, cost: int) -> RateLimit:
        limit = self.buckets.get(bucket)
        if limit is None:
            raise ValueError(f"no rate limit configured for bucket {bucket!r}")
        if not 1 <= cost <= limit.limit:
            raise ValueError(f"cost {cost} can never be granted by {limit}")
        return limit

    def _try(self, bucket: str, limit: RateLimit, cost: int) -> float:
        """Take the units now and return 0, or return the seconds to wait."""
        raise NotImplementedError


class RedisRateLimiter(_WaitingLimiter):
    """Rate limits shared through Redis by every worker on every host.

    Keys are ``<prefix><bucket>`` (the window log) and
    ``<prefix><bucket>:blocked`` (the end of a remote block, epoch ms).
    """

    def __init__(
        self,
        client: redis.Redis,
        buckets: Mapping[str, RateLimit],
        *,
        prefix: str = DEFAULT_RATE_LIMIT_PREFIX,
        max_wait: float = DEFAULT_MAX_WAIT_S,
    ) -> None:
        super().__init__(
            buckets, max_wait=max_wait, clock=time.monotonic, sleep=time.sleep
        )
        self.prefix = prefix
        self._take = client.register_script(_TAKE)
        self._block = client.register_script(_BLOCK)

    @classmethod
    def from_url(
        cls,
        url: str,
        buckets: Mapping[str, RateLimit],
        *,
        prefix: str = DEFAULT_RATE_LIMIT_PREFIX,
        max_wait: float = DEFAULT_MAX_WAIT_S,
    ) -> RedisRateLimiter:
        """Limits kept on the Redis at ``url``; see the class for the rest."""
        client = redis.Redis.from_url(url)
        return cls(client, buckets, prefix=prefix, max_wait=max_wait)

    def block_until(self, bucket: str, epoch_seconds: float) -> None:
        """Grant nothing from ``bucket`` to any worker before ``epoch_seconds``.

        An earlier moment than a block already in force changes nothing.
        Raises ServiceUnavailable.
        """
        self._limit(bucket, 1)
        with redis_errors(f"blocking bucket {bucket!r}"):
            self._block(
                keys=[self._blocked_key(bucket)], args=[int(epoch_seconds * 1000)]
            )
        logger.info("Blocked bucket %r until %.3f.", bucket, epoch_seconds)

    def _try(self, bucket: str, limit: RateLimit, cost: int) -> float:
        keys = [self.prefix + bucket, self._blocked_key(bucket)]
        args: list[int | str] = [
            limit.limit,
            max(1, round(limit.period * 1000)),
            cost,
            secrets.token_hex(8),
        ]
        with redis_errors(f"taking from bucket {bucket!r}"):
            wait_ms = int(self._take(keys=keys, args=args))
        return wait_ms / 1000

    def _blocked_key(self, bucket: str) -> str:
        return f"{self.prefix}{bucket}:blocked"


class InMemoryRateLimiter(_WaitingLimiter):
    """Rate limits for the threads of one process, by the same rule.

    ``clock`` (epoch seconds) and ``sleep`` can be replaced in tests.
    """

    def __init__(
        self,
        buckets: Mapping[str, RateLimit],
        *,
        max_wait: float = DEFAULT_MAX_WAIT_S,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(buckets, max_wait=max_wait, clock=clock, sleep=sleep)
        self._taken: dict[str, deque[float]] = {name: deque() for name in buckets}
        self._blocked: dict[str, float] = {}
        self._guard = threading.Lock()

    def block_until(self, bucket: str, epoch_seconds: float) -> None:
        """Grant nothing from ``bucket`` before ``epoch_seconds``."""
        self._limit(bucket, 1)
        with self._guard:
            current = self._blocked.get(bucket, 0.0)
            self._blocked[bucket] = max(current, epoch_seconds)

    def _try(self, bucket: str, limit: RateLimit, cost: int) -> float:
        with self._guard:
            now = self._clock()
            blocked = self._blocked.get(bucket, 0.0)
            if blocked > now:
                return blocked - now
            return self._take_units(self._taken[bucket], limit, cost, now)

    @staticmethod
    def _take_units(
        taken: deque[float], limit: RateLimit, cost: int, now: float
    ) -> float:
        while taken and taken[0] <= now - limit.period:
            taken.popleft()
        if len(taken) + cost <= limit.limit:
            taken.extend([now] * cost)
            return 0.0
        freeing = taken[len(taken) + cost - limit.limit - 1]
        return max(freeing + limit.period - now, 1e-3)
