"""Both HTTP clients spend from a shared rate limiter and honour its blocks.

The network is an ``httpx.MockTransport``; the limiter is a recording fake,
or an ``InMemoryRateLimiter`` on a clock that moves only when told to.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import pytest

from handoff.actors.bootstrap import build_limiter, build_rocketlane, build_salesforce
from handoff.adapters.errors import QuotaExhausted, RateLimited
from handoff.adapters.ratelimit import (
    InMemoryRateLimiter,
    RateLimit,
    RateLimiter,
    RedisRateLimiter,
)
from handoff.adapters.rocketlane import HttpxRocketlaneClient
from handoff.adapters.salesforce import ClientCredentials, HttpxSalesforceClient
from handoff.settings import load_settings

NOW = 1_780_000_000.0
Handler = Callable[[httpx.Request], httpx.Response]
RL_BUCKETS = {
    "rocketlane": RateLimit(limit=100, period=60),
    "rocketlane.list": RateLimit(limit=100, period=60),
}


@dataclass
class RecordingLimiter:
    """A limiter that grants everything and remembers what was asked."""

    taken: list[str] = field(default_factory=list)
    blocks: list[tuple[str, float]] = field(default_factory=list)

    def acquire(
        self, bucket: str, *, cost: int = 1, max_wait: float | None = None
    ) -> None:
        self.taken.append(bucket)

    def block_until(self, bucket: str, epoch_seconds: float) -> None:
        self.blocks.append((bucket, epoch_seconds))


class Clock:
    """Epoch seconds that move only when a test says so."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def rocketlane(
    handler: Handler,
    limiter: RateLimiter | None,
    clock: Callable[[], float] = lambda: NOW,
) -> HttpxRocketlaneClient:
    return HttpxRocketlaneClient(
        base_url="https://api.rocketlane.com/api/1.0",
        api_key="k",
        transport=httpx.MockTransport(handler),
        clock=clock,
        limiter=limiter,
    )


def ok(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"projectId": 1, "data": []})


def too_many(resume_at_ms: int | None) -> Handler:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {} if resume_at_ms is None else {"X-Retry-After": str(resume_at_ms)}
        body = {"errors": [{"errorCode": "TOO_MANY_REQUEST", "errorMessage": "Slow"}]}
        return httpx.Response(429, json=body, headers=headers)

    return handler


# --- Rocketlane -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("call", "buckets"),
    [
        (lambda c: list(c.iter_list("projects")), ["rocketlane.list", "rocketlane"]),
        (lambda c: c.list_tasks(7), ["rocketlane.list", "rocketlane"]),
        (lambda c: c.get_project(7), ["rocketlane"]),
        (lambda c: c.update_project(7, {"projectName": "x"}), ["rocketlane"]),
        (lambda c: c.create_project({"projectName": "x"}), ["rocketlane"]),
    ],
    ids=["list projects", "list tasks", "get one", "update", "create"],
)
def test_rocketlane_takes_the_overall_bucket_and_the_list_bucket_for_lists(
    call: Callable[[HttpxRocketlaneClient], object], buckets: list[str]
) -> None:
    limiter = RecordingLimiter()

    call(rocketlane(ok, limiter))

    assert limiter.taken == buckets


def test_a_rocketlane_429_blocks_the_shared_bucket_until_x_retry_after() -> None:
    limiter = RecordingLimiter()
    resume_at_ms = int((NOW + 12.5) * 1000)

    with pytest.raises(RateLimited) as caught:
        rocketlane(too_many(resume_at_ms), limiter).get_project(7)

    ((bucket, until),) = limiter.blocks
    assert caught.value.retry_after == pytest.approx(12.5)
    assert bucket == "rocketlane"
    assert until == pytest.approx(NOW + 12.5)


def test_a_rocketlane_429_without_a_resume_time_blocks_for_a_minute() -> None:
    limiter = RecordingLimiter()

    with pytest.raises(RateLimited):
        rocketlane(too_many(None), limiter).get_project(7)

    ((bucket, until),) = limiter.blocks
    assert bucket == "rocketlane"
    assert until == pytest.approx(NOW + 60)


def test_after_one_clients_429_another_client_sends_nothing_until_resume() -> None:
    clock = Clock()
    shared = InMemoryRateLimiter(RL_BUCKETS, max_wait=0, clock=clock)
    resume_at_ms = int((NOW + 20) * 1000)
    sent: list[httpx.Request] = []

    def counting(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return ok(request)

    with pytest.raises(RateLimited):
        rocketlane(too_many(resume_at_ms), shared, clock).get_project(7)
    other = rocketlane(counting, shared, clock)
    with pytest.raises(RateLimited) as refused:
        other.get_project(7)
    clock.now = NOW + 20.001
    other.get_project(7)

    assert refused.value.retry_after == pytest.approx(20)
    assert refused.value.status_code is None
    assert len(sent) == 1


def test_rocketlane_sends_nothing_when_the_limiter_refuses() -> None:
    buckets = {**RL_BUCKETS, "rocketlane.list": RateLimit(limit=2, period=60)}
    limiter = InMemoryRateLimiter(buckets, max_wait=0, clock=Clock())
    sent: list[httpx.Request] = []

    def counting(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return ok(request)

    client = rocketlane(counting, limiter)
    client.list_phases(1)
    client.list_phases(1)
    with pytest.raises(RateLimited):
        client.list_phases(1)
    client.get_project(1)

    assert [r.url.path.rsplit("/", 1)[-1] for r in sent] == ["phases", "phases", "1"]


def test_rocketlane_without_a_limiter_keeps_the_window_to_itself() -> None:
    sent: list[httpx.Request] = []

    def first_429_then_ok(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        if len(sent) == 1:
            return too_many(int((NOW + 5) * 1000))(request)
        return ok(request)

    client = rocketlane(first_429_then_ok, None)
    with pytest.raises(RateLimited):
        client.get_project(1)
    with pytest.raises(RateLimited):
        client.get_project(1)

    assert len(sent) == 1


# --- Salesforce -----------------------------------------------------------------


@dataclass
class Org:
    """A fake Salesforce answering with a usage figure, counting calls."""

    used: int = 0
    limit: int = 1000
    calls: list[httpx.Request] = field(default_factory=list)
    refuse_with: str | None = None

    def handle(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/oauth2/token"):
            return httpx.Response(
                200, json={"access_token": "t", "instance_url": "https://x.my"}
            )
        self.calls.append(request)
        headers = {"Sforce-Limit-Info": f"api-usage={self.used}/{self.limit}"}
        if self.refuse_with:
            body = [
                {"errorCode": "REQUEST_LIMIT_EXCEEDED", "message": self.refuse_with}
            ]
            return httpx.Response(403, json=body, headers=headers)
        self.used += 1
        headers = {"Sforce-Limit-Info": f"api-usage={self.used}/{self.limit}"}
        return httpx.Response(200, json={"id": "a00000000000001AAA"}, headers=headers)


def salesforce(
    org: Org,
    limiter: RateLimiter | None = None,
    *,
    reserve: float = 10.0,
    clock: Callable[[], float] = lambda: 100.0,
) -> HttpxSalesforceClient:
    return HttpxSalesforceClient(
        login_url="https://login.example",
        credentials=ClientCredentials("id", "secret"),
        transport=httpx.MockTransport(org.handle),
        limiter=limiter,
        daily_reserve_percent=reserve,
        quota_retry_after=600.0,
        clock=clock,
    )


def test_salesforce_takes_a_unit_per_call_but_none_for_the_token_grant() -> None:
    limiter = RecordingLimiter()
    client = salesforce(Org(), limiter)

    client.create("Account", {"Name": "A"})
    client.get("Account", "001000000000001AAA")

    assert limiter.taken == ["salesforce", "salesforce"]


@pytest.mark.parametrize(
    ("used", "refused"),
    [(880, False), (899, False), (900, True), (990, True)],
    ids=["88% used", "89.9% used", "90% used", "99% used"],
)
def test_salesforce_refuses_to_spend_the_daily_reserve(
    used: int, refused: bool
) -> None:
    org = Org(used=used - 1)
    client = salesforce(org)
    client.create("Account", {"Name": "reads the usage"})

    if refused:
        with pytest.raises(QuotaExhausted) as caught:
            client.create("Account", {"Name": "B"})
        assert caught.value.retry_after == 600.0
    else:
        client.create("Account", {"Name": "B"})

    assert len(org.calls) == (1 if refused else 2)


def test_a_zero_reserve_spends_the_allocation_to_its_end() -> None:
    org = Org(used=998)
    client = salesforce(org, reserve=0)

    client.create("Account", {"Name": "998 → 999"})
    client.create("Account", {"Name": "999 → 1000"})
    with pytest.raises(QuotaExhausted):
        client.create("Account", {"Name": "over"})

    assert len(org.calls) == 2


def test_the_reserve_guard_lets_one_call_through_once_its_reading_is_stale() -> None:
    clock = Clock(100.0)
    org = Org(used=949)
    client = salesforce(org, clock=clock)
    client.create("Account", {"Name": "reads 950/1000"})
    with pytest.raises(QuotaExhausted):
        client.create("Account", {"Name": "refused"})

    org.used = 100  # the rolling window freed calls meanwhile
    clock.now += 600.0
    client.create("Account", {"Name": "reads again"})
    client.create("Account", {"Name": "and goes on"})

    assert len(org.calls) == 3


def test_a_daily_limit_refusal_blocks_the_shared_bucket_for_quota_retry_after() -> None:
    limiter = RecordingLimiter()
    org = Org(refuse_with="TotalRequests Limit exceeded.")

    with pytest.raises(QuotaExhausted):
        salesforce(org, limiter).create("Account", {"Name": "A"})

    ((bucket, until),) = limiter.blocks
    assert bucket == "salesforce"
    assert until == pytest.approx(time.time() + 600.0, abs=5)


def test_a_concurrency_refusal_blocks_nobody() -> None:
    limiter = RecordingLimiter()
    org = Org(
        refuse_with="ConcurrentRequests (Concurrent API Requests) Limit exceeded."
    )

    with pytest.raises(RateLimited) as caught:
        salesforce(org, limiter).create("Account", {"Name": "A"})

    assert not isinstance(caught.value, QuotaExhausted)
    assert limiter.blocks == []


def test_after_one_clients_daily_refusal_the_other_sends_nothing() -> None:
    shared = InMemoryRateLimiter({"salesforce": RateLimit(100, 60)}, max_wait=0)
    refusing = Org(refuse_with="TotalRequests Limit exceeded.")
    other_org = Org()

    with pytest.raises(QuotaExhausted):
        salesforce(refusing, shared).create("Account", {"Name": "A"})
    with pytest.raises(RateLimited) as held:
        salesforce(other_org, shared).create("Account", {"Name": "B"})

    assert held.value.retry_after == pytest.approx(600.0, abs=5)
    assert other_org.calls == []


def test_a_reserve_outside_0_to_100_is_refused() -> None:
    with pytest.raises(ValueError, match="daily_reserve_percent"):
        salesforce(Org(), reserve=100)


# --- bootstrap ------------------------------------------------------------------


def sandboxed(**overrides: object) -> dict[str, object]:
    return {
        "salesforce_url": "https://login.example",
        "salesforce_client_id": "id",
        "salesforce_client_secret": "secret",
        "rocketlane_api_key": "k",
        **overrides,
    }


def test_the_limiter_has_the_configured_buckets_per_minute() -> None:
    settings = load_settings(
        rocketlane_rate_limit_per_minute=150,
        rocketlane_list_rate_limit_per_minute=40,
        salesforce_calls_per_minute=500,
    )

    limiter = build_limiter(settings)

    assert isinstance(limiter, InMemoryRateLimiter)
    assert limiter.buckets == {
        "rocketlane": RateLimit(150, 60.0),
        "rocketlane.list": RateLimit(40, 60.0),
        "salesforce": RateLimit(500, 60.0),
    }


def test_the_limiter_is_shared_through_redis_per_pair_of_accounts() -> None:
    one = load_settings(**sandboxed(redis_url="redis://127.0.0.1:1/0"))
    same = load_settings(**sandboxed(redis_url="redis://127.0.0.1:1/0"))
    other = load_settings(
        **sandboxed(redis_url="redis://127.0.0.1:1/0", rocketlane_api_key="k2")
    )

    limiters = [build_limiter(s) for s in (one, same, other)]

    assert all(isinstance(limiter, RedisRateLimiter) for limiter in limiters)
    prefixes = [getattr(limiter, "prefix", None) for limiter in limiters]
    assert prefixes[0] == prefixes[1] != prefixes[2]
    assert str(prefixes[0]).startswith("handoff:ratelimit:")


def test_the_defaults_follow_the_documented_limits() -> None:
    settings = load_settings()

    assert settings.rocketlane_rate_limit_per_minute == 200
    assert settings.rocketlane_list_rate_limit_per_minute == 60
    assert settings.salesforce_calls_per_minute == 1000
    assert settings.salesforce_daily_reserve_percent == 10


def test_built_clients_spend_from_the_given_limiter() -> None:
    settings = load_settings(**sandboxed(salesforce_daily_reserve_percent=25))
    limiter = RecordingLimiter()

    sf = build_salesforce(settings, limiter=limiter)
    rl = build_rocketlane(settings, limiter=limiter)

    assert isinstance(sf, HttpxSalesforceClient)
    assert sf.limiter is limiter
    assert sf.daily_reserve_percent == 25
    assert isinstance(rl, HttpxRocketlaneClient)
    assert rl._limiter is limiter
