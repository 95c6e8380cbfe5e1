"""Workers in separate processes share one limit through Redis.

The Rocketlane and Salesforce sandboxes are served over sockets with low
limits. Rocketlane's answers are read from the sandbox's own call counts
(``/__sandbox/stats``); Salesforce's are tallied by status on the way out.
Each worker process builds its own client and its own ``RedisRateLimiter``
on the shared Redis, under a key prefix of the test's own.
"""

from __future__ import annotations

import multiprocessing
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import redis
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from handoff.adapters.errors import NotFound, QuotaExhausted, RateLimited
from handoff.adapters.ratelimit import RateLimit, RedisRateLimiter
from handoff.adapters.rocketlane import HttpxRocketlaneClient
from handoff.adapters.salesforce import ClientCredentials, HttpxSalesforceClient
from handoff.ops.sandbox import rocketlane as rl_sandbox
from handoff.ops.sandbox import salesforce as sf_sandbox
from handoff.ops.sandbox.rocketlane.config import DEFAULT_API_KEY
from handoff.ops.sandbox.salesforce.config import (
    DEFAULT_CLIENT_ID,
    DEFAULT_CLIENT_SECRET,
)
from handoff.ops.serving import ServerThread

pytestmark = pytest.mark.integration

SPAWN = multiprocessing.get_context("spawn")
SANDBOX_LIMIT = 10
SANDBOX_LIST_LIMIT = 4
CALLS_EACH = 12
MAX_WAIT_S = 0.2
Limits = dict[str, tuple[int, float]]


class Tally:
    """An ASGI layer counting the API answers of the app it wraps by status.

    Only for Salesforce: the Rocketlane sandbox counts its own calls.
    """

    def __init__(self, app: ASGIApp, api_prefix: str) -> None:
        self.app = app
        self.api_prefix = api_prefix
        self.statuses: Counter[int] = Counter()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> Any:
        if scope["type"] != "http" or not scope["path"].startswith(self.api_prefix):
            return await self.app(scope, receive, send)

        async def counting(message: Message) -> None:
            if message["type"] == "http.response.start":
                self.statuses[message["status"]] += 1
            await send(message)

        return await self.app(scope, receive, counting)


@dataclass(frozen=True)
class Job:
    """What one worker process is to do, and where it journals."""

    api_url: str
    redis_url: str
    prefix: str
    limits: Limits
    journal: str


def _work(job: Job, start: Any) -> None:
    """Alternate list and single-record GETs; journal how each call went.

    ``start`` is a barrier all workers pass together, once ready.
    """
    buckets = {name: RateLimit(*limit) for name, limit in job.limits.items()}
    limiter = RedisRateLimiter.from_url(
        job.redis_url, buckets, prefix=job.prefix, max_wait=MAX_WAIT_S
    )
    client = HttpxRocketlaneClient(
        base_url=job.api_url, api_key=DEFAULT_API_KEY, limiter=limiter
    )
    journal = redis.Redis.from_url(job.redis_url)
    start.wait(timeout=30)
    with client:
        for call in range(CALLS_EACH):
            journal.rpush(job.journal, _outcome(client, listing=call % 2 == 0))


def _outcome(client: HttpxRocketlaneClient, *, listing: bool) -> str:
    try:
        if listing:
            list(client.iter_list("users"))
        else:
            client.get_project(1)
    except RateLimited as error:
        return "429" if error.status_code == 429 else "held"
    except NotFound:
        return "served"  # no project 1: answered all the same
    return "served"


def _run_workers(
    server: ServerThread, redis_url: str, prefix: str, limits: Limits, count: int
) -> list[list[str]]:
    """Run ``count`` worker processes at once; each one's journal."""
    run = uuid.uuid4().hex[:8]
    journals = [f"{prefix}journal:{run}:{n}" for n in range(count)]
    start = SPAWN.Barrier(count)
    workers = [
        SPAWN.Process(
            target=_work,
            args=(
                Job(server.url + "/api/1.0", redis_url, prefix, limits, journal),
                start,
            ),
        )
        for journal in journals
    ]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=60)
    assert [w.exitcode for w in workers] == [0] * count

    client = redis.Redis.from_url(redis_url, decode_responses=True)
    return [[str(o) for o in client.lrange(journal, 0, -1)] for journal in journals]


def after_first_429(journal: list[str]) -> list[str]:
    return journal[journal.index("429") + 1 :] if "429" in journal else []


@pytest.fixture
def prefix(redis_url: str, unique_name: str) -> Iterator[str]:
    """A key prefix of the test's own, deleted afterwards."""
    prefix = f"test:{unique_name}:"
    yield prefix
    client = redis.Redis.from_url(redis_url)
    for name in client.scan_iter(f"{prefix}*"):
        client.delete(name)
    client.close()


def rocketlane_stats(server: ServerThread) -> dict[str, Any]:
    """The sandbox's own counts of the API calls it answered."""
    response = httpx.get(f"{server.url}/__sandbox/stats", timeout=10)
    response.raise_for_status()
    counts: dict[str, Any] = response.json()
    return counts


@pytest.fixture
def rocketlane() -> Iterator[ServerThread]:
    """A Rocketlane sandbox allowing SANDBOX_LIMIT calls a minute."""
    config = rl_sandbox.SandboxConfig(
        rate_limit_per_minute=SANDBOX_LIMIT,
        list_rate_limit_per_minute=SANDBOX_LIST_LIMIT,
    )
    workspace = rl_sandbox.seed_default(rl_sandbox.RocketlaneWorkspace())
    with ServerThread(rl_sandbox.build_app(workspace, config=config)) as server:
        yield server


def test_workers_sharing_the_limiter_spend_the_limit_exactly_and_get_no_429(
    rocketlane: ServerThread, redis_url: str, prefix: str
) -> None:
    server = rocketlane
    limits = {
        "rocketlane": (SANDBOX_LIMIT, 60.0),
        "rocketlane.list": (SANDBOX_LIST_LIMIT, 60.0),
    }

    journals = _run_workers(server, redis_url, prefix, limits, count=2)

    outcomes = Counter(o for journal in journals for o in journal)
    counts = rocketlane_stats(server)
    assert counts["rateLimited"] == 0
    assert counts["served"] == SANDBOX_LIMIT
    assert outcomes == {"served": SANDBOX_LIMIT, "held": 2 * CALLS_EACH - SANDBOX_LIMIT}
    assert all("served" in journal for journal in journals)


def test_after_a_429_every_worker_holds_until_the_resume_time(
    rocketlane: ServerThread, redis_url: str, prefix: str
) -> None:
    """The limiter believes Rocketlane allows more than it does."""
    server = rocketlane
    generous = {"rocketlane": (200, 60.0), "rocketlane.list": (60, 60.0)}

    journals = _run_workers(server, redis_url, prefix, generous, count=2)
    first_429s = rocketlane_stats(server)["rateLimited"]
    late = _run_workers(server, redis_url, prefix + "late:", generous, count=1)
    late_joined = _run_workers(server, redis_url, prefix, generous, count=1)

    # A worker's call already in flight when another's 429 lands can meet
    # the limit too; nothing sent after a worker has seen the block does.
    assert 1 <= first_429s <= 2
    assert all(journal.count("429") <= 1 for journal in journals)
    assert all(set(after_first_429(journal)) <= {"held"} for journal in journals)
    assert late[0].count("429") == 1
    assert late_joined == [["held"] * CALLS_EACH]
    assert rocketlane_stats(server)["rateLimited"] == first_429s + 1


def test_a_daily_limit_refusal_holds_every_salesforce_worker(
    redis_url: str, prefix: str
) -> None:
    org = sf_sandbox.SalesforceOrg()
    sf_sandbox.seed_minimal(org)
    tally = Tally(sf_sandbox.build_app(org), "/services/data/")
    buckets = {"salesforce": RateLimit(100, 60.0)}

    with ServerThread(tally) as server:
        one, other = (
            HttpxSalesforceClient(
                login_url=server.url,
                credentials=ClientCredentials(DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET),
                limiter=RedisRateLimiter.from_url(
                    redis_url, buckets, prefix=prefix, max_wait=0
                ),
                quota_retry_after=30.0,
            )
            for _ in range(2)
        )
        other.login()
        org.usage.limit = org.usage.used
        with pytest.raises(QuotaExhausted):
            one.limits()
        with pytest.raises(RateLimited) as held:
            other.limits()
    org.close()

    assert tally.statuses == {403: 1}
    assert held.value.status_code is None
    assert 29 < (held.value.retry_after or 0) <= 30
