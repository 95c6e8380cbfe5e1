"""One writer per project: locks per correlation key (the ``ProjectLocks`` port).

``RedisProjectLocks`` holds a lock across threads, processes and hosts with
Redis (any version with ``SET NX PX`` and Lua, 2.6.12 and later): the lock is
a key ``<prefix><correlation key>`` holding a random token, set only when
absent and with a time to live, so a holder that dies frees it after
``ttl`` seconds. A watchdog thread extends the time to live while the holder
runs, and release deletes the key only if it still holds the holder's token.

``InMemoryProjectLocks`` gives the same semantics to the threads of one
process, for the embedded mode.

Neither lock is re-entrant: holding a key twice from one thread waits for
itself and raises Contention.
"""

from __future__ import annotations

import logging
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

import redis

from .errors import Contention, ServiceUnavailable

__all__ = [
    "DEFAULT_LOCK_PREFIX",
    "DEFAULT_LOCK_TTL_S",
    "DEFAULT_LOCK_WAIT_S",
    "InMemoryProjectLocks",
    "RedisProjectLocks",
    "redis_errors",
]

logger = logging.getLogger(__name__)

DEFAULT_LOCK_PREFIX: Final = "handoff:lock:"
DEFAULT_LOCK_TTL_S: Final = 30.0
DEFAULT_LOCK_WAIT_S: Final = 10.0
DEFAULT_POLL_S: Final = 0.05
MAX_POLL_S: Final = 0.5
SYSTEM: Final = "redis"

_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('DEL', KEYS[1])
end
return 0
"""

_EXTEND = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
    return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0
"""


@contextmanager
def redis_errors(action: str) -> Iterator[None]:
    """Translate redis-py's exceptions into ServiceUnavailable, keeping the cause.

    ``redis.TimeoutError`` is not a ``ConnectionError``; both land here.
    """
    try:
        yield
    except (redis.ConnectionError, redis.TimeoutError, redis.RedisError) as error:
        # TimeoutError is no ConnectionError; all three are named for the reader.
        raise ServiceUnavailable(f"{action} failed: {error}", system=SYSTEM) from error


class _Watchdog:
    """A thread that keeps extending one held lock until stopped."""

    def __init__(self, name: str, extend: Callable[[], bool], every: float) -> None:
        self._name = name
        self._extend_once = extend
        self._every = every
        self._stopped = threading.Event()
        self.lost = False
        self._thread = threading.Thread(
            target=self._run, name=f"lock-watchdog {name}", daemon=True
        )

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        while not self._stopped.wait(self._every):
            if not self._extend():
                return

    def _extend(self) -> bool:
        try:
            kept = self._extend_once()
        except ServiceUnavailable:
            logger.warning("Could not extend lock %r; will try again.", self._name)
            return True
        if not kept:
            self.lost = True
            logger.error(
                "Lock %r expired while held; another writer may run.", self._name
            )
        return kept


class RedisProjectLocks:
    """Locks per correlation key, shared by every worker through Redis.

    ``ttl`` (seconds) bounds how long a dead holder keeps the lock; the
    watchdog extends it every ``ttl / 3`` while the holder lives. ``wait``
    (seconds) is how long ``hold`` waits for a taken lock before raising
    Contention.
    """

    def __init__(
        self,
        client: redis.Redis,
        *,
        prefix: str = DEFAULT_LOCK_PREFIX,
        ttl: float = DEFAULT_LOCK_TTL_S,
        wait: float = DEFAULT_LOCK_WAIT_S,
    ) -> None:
        if ttl <= 0 or wait < 0:
            raise ValueError("ttl must be positive and wait not negative")
        self._client = client
        self.prefix = prefix
        self.ttl = ttl
        self.wait = wait
        self._release_script = client.register_script(_RELEASE)
        self._extend_script = client.register_script(_EXTEND)

    @classmethod
    def from_url(
        cls,
        url: str,
        *,
        prefix: str = DEFAULT_LOCK_PREFIX,
        ttl: float = DEFAULT_LOCK_TTL_S,
        wait: float = DEFAULT_LOCK_WAIT_S,
    ) -> RedisProjectLocks:
        """Locks on the Redis at ``url``; see the class for the options."""
        client = redis.Redis.from_url(url)
        return cls(client, prefix=prefix, ttl=ttl, wait=wait)

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold the lock of ``key`` for the ``with`` block.

        Raises Contention when it stays taken for ``wait`` seconds, and
        ServiceUnavailable when Redis cannot be reached.
        """
        name = self.prefix + key
        token = self._acquire(name)
        watchdog = _Watchdog(name, lambda: self._extend(name, token), self.ttl / 3)
        watchdog.start()
        try:
            yield
        finally:
            watchdog.stop()
            self._release(name, token)

    def _acquire(self, name: str) -> str:
        token = secrets.token_hex(16)
        deadline = time.monotonic() + self.wait
        pause = DEFAULT_POLL_S

        while not self._try_set(name, token):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise Contention(f"lock {name!r} stayed taken", system=SYSTEM)
            time.sleep(min(remaining, pause * random.uniform(0.5, 1.5)))  # noqa: S311
            pause = min(pause * 2, MAX_POLL_S)
        logger.debug("Took lock %r.", name)
        return token

    def _try_set(self, name: str, token: str) -> bool:
        with redis_errors(f"taking lock {name!r}"):
            return bool(self._client.set(name, token, nx=True, px=self._ttl_ms))

    def _extend(self, name: str, token: str) -> bool:
        with redis_errors(f"extending lock {name!r}"):
            return bool(self._extend_script(keys=[name], args=[token, self._ttl_ms]))

    def _release(self, name: str, token: str) -> None:
        try:
            with redis_errors(f"releasing lock {name!r}"):
                released = self._release_script(keys=[name], args=[token])
        except ServiceUnavailable:
            logger.warning("Could not release lock %r; it expires in its TTL.", name)
            return
        if not released:
            logger.warning("Lock %r had expired before it was released.", name)

    @property
    def _ttl_ms(self) -> int:
        return max(1, round(self.ttl * 1000))


class InMemoryProjectLocks:
    """Locks per correlation key for the threads of one process.

    ``wait`` (seconds) is how long ``hold`` waits before raising Contention.
    """

    def __init__(self, *, wait: float = DEFAULT_LOCK_WAIT_S) -> None:
        self.wait = wait
        self._held: set[str] = set()
        self._changed = threading.Condition()

    @contextmanager
    def hold(self, key: str) -> Iterator[None]:
        """Hold the lock of ``key``; raises Contention if it stays taken."""
        self._acquire(key)
        try:
            yield
        finally:
            self._release(key)

    def _acquire(self, key: str) -> None:
        deadline = time.monotonic() + self.wait
        with self._changed:
            while key in self._held:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Contention(f"lock {key!r} stayed taken", system="memory")
                self._changed.wait(remaining)
            self._held.add(key)

    def _release(self, key: str) -> None:
        with self._changed:
            self._held.discard(key)
            self._changed.notify_all()
