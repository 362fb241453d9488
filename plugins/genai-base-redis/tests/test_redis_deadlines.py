"""Every Redis command within the call's deadline, the async paths off the event loop, batched takes,
and URLs this plugin cannot serve (Sentinel, Cluster), against real redis-servers."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any, Iterator

import pytest
import redis
from conftest import RedisServer, _free_port, child_exit_code, closed_port
from genai_base_redis import RedisBudgetedRetryPolicy, RedisRateLimiter, RedisRetryBudget
from genai_base_redis._budget import BUDGET_PREFIX
from genai_base_redis._wire import timeout_step

from genai_base import (
    AsyncAPIClient,
    ClientContainer,
    ConfigurationError,
    FinalRequestOptions,
    RateLimiterUnavailableError,
    RetryOutcome,
    SyncAPIClient,
)
from genai_base.testing import FakeAPIServer, Reply

DOWN = Reply(status=503, headers={"retry-after": "0.01"}, json={"error": "down"})


class Paused:
    """Redis stops answering writes (``CLIENT PAUSE ... WRITE``; the scripts write) while inside."""

    def __init__(self, server: RedisServer, ms: int = 2000) -> None:
        self.admin = server.client()
        self.ms = ms

    def __enter__(self) -> None:
        self.admin.execute_command("CLIENT", "PAUSE", str(self.ms), "WRITE")

    def __exit__(self, *exc_info: object) -> None:
        self.admin.execute_command("CLIENT", "UNPAUSE")
        self.admin.close()


def outcome(time_left: Any = None) -> RetryOutcome:
    return RetryOutcome(0, 2, FinalRequestOptions(method="get", url="/x"), status_code=503, headers={},
                        time_left=time_left)


# -- the socket timeouts a deadline leaves ----------------------------------------------------------


def test_timeout_steps_fit_in_half_of_what_is_left() -> None:
    assert timeout_step(0.1, None) == 0.1
    assert timeout_step(0.1, 5.0) == 0.1
    for left in (0.19, 0.1, 0.05, 0.013, 0.0021):
        step = timeout_step(0.1, left)
        assert step is not None and step <= left / 2 and step >= left / 8
    assert timeout_step(0.1, 0.0019) is None  # under 2 ms: not asked at all
    assert timeout_step(0.1, -1.0) is None


# -- sync: a slow Redis never holds a call past its deadline ----------------------------------------


def test_sync_acquire_is_bounded_by_what_the_call_has_left(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, rps=1000, lease=0, key="k", timeout=1.0, fail_open=False)
    limiter.acquire(None)  # connected before the pause
    with Paused(redis_server):
        started = time.monotonic()
        with pytest.raises(RateLimiterUnavailableError, match=r"no answer within the 0\.2s the call had left"):
            limiter.acquire(0.2)  # the 1 s Redis timeout would overrun the call's 0.2 s
        elapsed = time.monotonic() - started
    assert elapsed < 0.2
    assert limiter.store.outages == 0  # a short answer window says little of Redis: not an outage
    limiter.acquire(1.0)  # and the next call asks Redis again at once
    limiter.close()


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_a_refused_connection_is_an_outage_even_when_the_deadline_is_short(kind: str) -> None:
    limiter = RedisRateLimiter(f"redis://127.0.0.1:{closed_port()}/0", rps=10, key="k", timeout=1.0)
    for _ in range(3):
        if kind == "sync":
            limiter.acquire(0.05)  # fail open: goes
        else:
            asyncio.run(limiter.acquire_async(0.05))
    assert limiter.store.outages == 1  # noted (and warned) once, then not asked until the recheck
    limiter.close()


def test_sync_client_call_ends_within_its_deadline_on_a_paused_redis(redis_server: RedisServer,
                                                                    fake_api: FakeAPIServer) -> None:
    container = ClientContainer()
    container.config.from_dict({"rate_limiter": "redis", "rate_limit": {
        "url": redis_server.url, "rps": 1000, "redis_timeout": 2.0, "fail_open": True, "lease": 0}})
    with SyncAPIClient(version="1", base_url=fake_api.url, container=container, deadline=0.3) as client:
        client.get("/echo", cast_to=dict)
        with Paused(redis_server, 3000):
            started = time.monotonic()
            client.get("/echo", cast_to=dict)  # fail open: Redis could not answer in time, the call goes
            elapsed = time.monotonic() - started
    assert elapsed < 0.3
    assert len(fake_api.requests) == 2


def test_less_than_two_ms_left_does_not_ask_redis(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, rps=1000, lease=0, key="k", fail_open=False)
    with redis_server.client() as admin:
        before = admin.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0)
        with pytest.raises(RateLimiterUnavailableError, match="the call had left"):
            limiter.acquire(0.001)
        assert admin.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0) == before
    limiter.close()


def test_sync_feedback_is_bounded_by_the_deadline_its_acquire_saw(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, rps=1000, lease=0, key="k", timeout=1.0)
    started = time.monotonic()
    limiter.acquire(0.2)
    with Paused(redis_server):
        limiter.feedback(429, {"retry-after": "1"})  # never raises; gives up when the call's time is out
    assert time.monotonic() - started < 0.2
    limiter.close()


def test_sync_budget_is_bounded_by_the_deadline(redis_server: RedisServer) -> None:
    budget = RedisRetryBudget(redis_server.url, key="k", capacity=10, timeout=1.0)
    policy = RedisBudgetedRetryPolicy(budget=budget, retry_cost=5)
    assert policy.should_retry(outcome()) is True  # connected; 5 tokens left in Redis
    with Paused(redis_server):
        started = time.monotonic()
        assert policy.should_retry(outcome(time_left=0.2)) is True  # fail open: the local bucket decides
        assert time.monotonic() - started < 0.2
    assert budget.store.outages == 0
    budget.close()


def test_the_engine_hands_the_policy_what_the_deadline_has_left(redis_server: RedisServer,
                                                               fake_api: FakeAPIServer) -> None:
    seen: list[Any] = []

    class Spy(RedisBudgetedRetryPolicy):
        def should_retry(self, outcome: RetryOutcome) -> bool:
            seen.append(outcome.time_left)
            return super().should_retry(outcome)

    fake_api.script("/down", [DOWN, Reply(json={"ok": True})])
    container = ClientContainer()
    container.retry_policy.override(Spy(budget=RedisRetryBudget(redis_server.url, key="spy")))
    with SyncAPIClient(version="1", base_url=fake_api.url, container=container, deadline=5.0) as client:
        assert client.get("/down", cast_to=dict) == {"ok": True}
    assert len(seen) == 1 and 4.0 < seen[0] < 5.0


# -- async: off the event loop ------------------------------------------------------------------------


async def ticks_while(work: Any) -> tuple[Any, int]:
    """Run ``work`` and count how often a 5 ms ticker got the loop meanwhile."""
    count = 0
    done = False

    async def ticker() -> None:
        nonlocal count
        while not done:
            await asyncio.sleep(0.005)
            count += 1

    task = asyncio.create_task(ticker())
    try:
        result = await work
    finally:
        done = True
        await task
    return result, count


def test_async_budget_never_blocks_the_event_loop(redis_server: RedisServer) -> None:
    budget = RedisRetryBudget(redis_server.url, key="k", capacity=10, timeout=0.3)
    policy = RedisBudgetedRetryPolicy(budget=budget, retry_cost=5)

    async def main() -> tuple[Any, int]:
        assert await policy.should_retry_async(outcome()) is True  # connected on this loop
        with Paused(redis_server):
            return await ticks_while(policy.should_retry_async(outcome()))

    verdict, ticks = asyncio.run(main())
    assert verdict is True  # Redis timed out (0.3 s), fail open: the local bucket said yes
    assert ticks >= 20  # the loop ran on for the 0.3 s (a sync round trip would have held it)
    assert budget.store.outages == 1


def test_async_client_draws_on_the_shared_budget_through_redis_asyncio(
    kind: str, redis_server: RedisServer, fake_api: FakeAPIServer
) -> None:
    fake_api.script("/flaky", [DOWN, Reply(json={"ok": True}), DOWN, Reply(json={"ok": True})])
    container = ClientContainer()
    container.config.from_dict({
        "retry_policy": "redis_budgeted",
        "retry_budget": {"capacity": 20, "retry_cost": 5, "success_refund": 1},
        "rate_limit": {"url": redis_server.url, "key": "shared"},
    })
    if kind == "sync":
        with SyncAPIClient(version="1", base_url=fake_api.url, container=container) as client:
            assert isinstance(client._retry_policy, RedisBudgetedRetryPolicy)
            for _ in range(2):
                assert client.get("/flaky", cast_to=dict) == {"ok": True}
    else:
        async def main() -> None:
            async with AsyncAPIClient(version="1", base_url=fake_api.url, container=container) as client:
                policy = client._retry_policy
                assert isinstance(policy, RedisBudgetedRetryPolicy)
                assert client._engine.async_should_retry is not None  # awaited, not called
                for _ in range(2):
                    assert await client.get("/flaky", cast_to=dict) == {"ok": True}
                await policy.shared.aclose()

        asyncio.run(main())
    assert len(fake_api.requests) == 4
    with redis_server.client() as r:
        # Two retries of 5 from 20; the first success's refund travelled with the second retry.
        assert float(r.get(BUDGET_PREFIX + "shared") or -1) == 11


def test_async_refund_goes_by_a_task(redis_server: RedisServer) -> None:
    budget = RedisRetryBudget(redis_server.url, key="k", capacity=20, flush_interval=0)

    async def main() -> None:
        assert await budget.acquire_async(5) is True
        budget.refund(2)  # on a running loop: a task sends it, refund() itself does no I/O
        assert len(budget._tasks) == 1
        await asyncio.gather(*budget._tasks)
        await budget.aclose()

    asyncio.run(main())
    with redis_server.client() as r:
        assert float(r.get(BUDGET_PREFIX + "k")) == 17 == budget.available


# -- async: callers that arrive together share one command ------------------------------------------


def test_concurrent_async_callers_are_served_by_few_commands_in_order(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, rps=20, burst=1, key="batch")

    async def main() -> list[float]:
        await limiter.acquire_async(None)  # connected; the next slot is 50 ms away
        started = time.monotonic()
        done: list[float] = []

        async def one() -> None:
            await limiter.acquire_async(5.0)
            done.append(time.monotonic() - started)

        await asyncio.gather(*(one() for _ in range(8)))
        await limiter.aclose()
        return done

    with redis_server.client() as admin:
        admin.config_resetstat()
        done = asyncio.run(main())
        calls = admin.info("commandstats")["cmdstat_evalsha"]["calls"]
    assert calls <= 3  # the first alone, then the seven queued behind it together
    gaps = [b - a for a, b in zip(sorted(done), sorted(done)[1:], strict=False)]
    assert all(gap > 0.035 for gap in gaps)  # still one slot per 50 ms, in order: the batch took 8 slots
    assert sorted(done)[-1] > 0.35


def test_a_queued_caller_gives_up_at_its_own_deadline(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, rps=1000, lease=0, key="k", timeout=1.0, fail_open=False)

    async def main() -> tuple[BaseException, float]:
        await limiter.acquire_async(None)
        with Paused(redis_server):
            first = asyncio.create_task(limiter.acquire_async(None))  # in flight for up to 1 s
            await asyncio.sleep(0.01)
            started = time.monotonic()
            with pytest.raises(RateLimiterUnavailableError, match="the call had left") as info:
                await limiter.acquire_async(0.1)  # queued behind it, with 0.1 s left
            elapsed = time.monotonic() - started
            with pytest.raises(RateLimiterUnavailableError):
                await first
        await limiter.aclose()
        return info.value, elapsed

    _, elapsed = asyncio.run(main())
    assert elapsed < 0.5


# -- URLs this plugin cannot serve ------------------------------------------------------------------


@pytest.mark.parametrize("url", ["redis+sentinel://127.0.0.1:26379/mymaster", "sentinel://127.0.0.1:26379",
                                 "redis+cluster://127.0.0.1:7000"])
@pytest.mark.parametrize("group", ["rate_limiter", "retry_policy"])
def test_sentinel_and_cluster_urls_fail_at_build_naming_the_key(url: str, group: str) -> None:
    container = ClientContainer()
    container.config.from_dict({group: "redis" if group == "rate_limiter" else "redis_budgeted",
                                "rate_limit": {"url": url, "rps": 5}})
    with pytest.raises(ConfigurationError, match=r"'rate_limit.url'.*Sentinel and Redis Cluster are not supported"):
        SyncAPIClient(version="1", base_url="http://127.0.0.1:9", container=container)


@pytest.fixture
def cluster_node(tmp_path: Path) -> Iterator[str]:
    """A real redis-server in cluster mode, no slots assigned yet (every key is refused)."""
    binary = shutil.which("redis-server")
    assert binary is not None
    port = _free_port()
    bus = _free_port()  # the cluster bus (else port + 10000, which may be taken or past 65535)
    process = subprocess.Popen(
        [binary, "--port", str(port), "--cluster-port", str(bus), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
         "--cluster-config-file",
         str(tmp_path / "nodes.conf"), "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        # A socket timeout too: a node still starting may accept and not answer yet.
        with redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.2, socket_timeout=0.2) as client:
            give_up = time.monotonic() + 10
            while True:
                try:
                    client.ping()
                    break
                except (redis.ConnectionError, redis.TimeoutError):
                    if process.poll() is not None or time.monotonic() > give_up:
                        raise RuntimeError("redis-server --cluster-enabled did not start") from None
                    time.sleep(0.01)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        process.terminate()
        process.wait(10)


def test_a_cluster_node_is_a_configuration_error_not_an_outage(kind: str, cluster_node: str) -> None:
    limiter = RedisRateLimiter(cluster_node, rps=10, key="k")
    if kind == "sync":
        with pytest.raises(ConfigurationError, match=r"'rate_limit.url'.*is a Redis Cluster node"):
            limiter.acquire(1.0)
    else:
        async def main() -> None:
            with pytest.raises(ConfigurationError, match=r"'rate_limit.url'.*is a Redis Cluster node"):
                await limiter.acquire_async(1.0)
            await limiter.aclose()

        asyncio.run(main())
    assert limiter.store.outages == 0  # not let through as if Redis were down
    limiter.close()


# -- held connections and fork ------------------------------------------------------------------------


def test_a_forked_child_opens_its_own_connection_and_the_parents_still_works(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, rps=1000, burst=100, key="fork", fail_open=False)
    limiter.acquire(1.0)  # the parent holds a connection now
    pid = os.fork()
    if pid == 0:  # the child: its own connection, the parent's left alone
        try:
            limiter.acquire(1.0)
            os._exit(0 if limiter.store.outages == 0 else 3)
        except BaseException:
            os._exit(4)
    assert child_exit_code(pid) == 0
    limiter.acquire(1.0)  # the parent's connection survived the child
    assert limiter.store.outages == 0
    with redis_server.client() as admin:
        assert float(admin.get("genai_base:rate:fork") or 0) > 0
    limiter.close()


def test_one_command_per_attempt_and_none_for_silent_feedback(kind: str, redis_server: RedisServer,
                                                             fake_api: FakeAPIServer) -> None:
    container = ClientContainer()
    container.config.from_dict({"rate_limiter": "redis", "rate_limit": {"url": redis_server.url, "rps": 1000,
                                                                       "burst": 100, "lease": 0}})
    with redis_server.client() as admin:
        if kind == "sync":
            with SyncAPIClient(version="1", base_url=fake_api.url, container=container) as client:
                client.get("/echo", cast_to=dict)  # connected, the script loaded
                admin.config_resetstat()
                for _ in range(5):
                    client.get("/echo", cast_to=dict)
        else:
            async def main() -> None:
                async with AsyncAPIClient(version="1", base_url=fake_api.url, container=container) as client:
                    await client.get("/echo", cast_to=dict)
                    admin.config_resetstat()
                    for _ in range(5):
                        await client.get("/echo", cast_to=dict)

            asyncio.run(main())
        stats = admin.info("commandstats")
    assert stats["cmdstat_evalsha"]["calls"] == 5  # the slots; the responses said nothing: no feedback command
    assert stats["cmdstat_time"]["calls"] == 5  # every script asks TIME once: five takes, no feed script
    assert not [name for name in stats if name.startswith(("cmdstat_script", "cmdstat_eval|", "cmdstat_ping"))]
