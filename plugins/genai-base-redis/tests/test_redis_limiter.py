"""The ``redis`` rate limiter against a real redis-server and the fake API server, on both clients."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
import time
from typing import Any, Callable

import pytest
from conftest import RedisServer, closed_port
from genai_base_redis import RedisRateLimiter
from genai_base_redis._limiter import KEY_PREFIX

from genai_base import (
    APITimeoutError,
    AsyncAPIClient,
    ClientContainer,
    ConfigurationError,
    RateLimitError,
    RateLimiterUnavailableError,
    SyncAPIClient,
)
from genai_base.testing import FakeAPIServer, Reply


def container_for(url: str, **rate_limit: Any) -> ClientContainer:
    container = ClientContainer()
    container.config.from_dict({"rate_limiter": "redis", "rate_limit": {"url": url, **rate_limit}})
    return container


def with_limiter(limiter: Any) -> ClientContainer:
    container = ClientContainer()
    container.rate_limiter.override(limiter)
    return container


def run(kind: str, base_url: str, containers: list[ClientContainer], work: Callable[[list[Any]], Any],
        **kwargs: Any) -> Any:
    """Build one client per container (sync or async), run ``work(clients)``, close them."""
    cls = SyncAPIClient if kind == "sync" else AsyncAPIClient
    clients = [cls(version="1", base_url=base_url, container=c, **kwargs) for c in containers]
    if kind == "sync":
        try:
            return work(clients)
        finally:
            for client in clients:
                client.close()

    async def main() -> Any:
        try:
            return await work(clients)
        finally:
            for client in clients:
                await client.close()

    return asyncio.run(main())


def calls(kind: str, pattern: list[Any], path: str = "/echo") -> Callable[[list[Any]], Any]:
    """Work that calls ``pattern``'s clients in order; returns the seconds it took."""
    if kind == "sync":
        def work(clients: list[Any]) -> float:
            started = time.monotonic()
            for index in pattern:
                clients[index].get(path, cast_to=dict)
            return time.monotonic() - started
        return work

    async def awork(clients: list[Any]) -> float:
        started = time.monotonic()
        for index in pattern:
            await clients[index].get(path, cast_to=dict)
        return time.monotonic() - started
    return awork


# -- one limit across independent clients ------------------------------------------------------------


def test_the_entry_point_builds_it_with_the_origin_as_key(redis_server: RedisServer, fake_api: FakeAPIServer) -> None:
    client = SyncAPIClient(version="1", base_url=fake_api.url + "/v1", container=container_for(redis_server.url,
                                                                                                 rps=50))
    limiter = client._rate_limiter
    assert isinstance(limiter, RedisRateLimiter)
    assert limiter.key == f"http://127.0.0.1:{fake_api.port}"
    assert client.copy()._rate_limiter is limiter
    client.get(fake_api.url + "/echo", cast_to=dict)
    client.close()
    with redis_server.client() as r:
        assert r.exists(KEY_PREFIX + limiter.key)


def test_independent_clients_share_one_limit(kind: str, redis_server: RedisServer, fake_api: FakeAPIServer) -> None:
    containers = [container_for(redis_server.url, rps=20) for _ in range(3)]  # three limiters, one key
    elapsed = run(kind, fake_api.url, containers, calls(kind, [0, 1, 2, 0, 1, 2]))
    assert elapsed >= 5 * 0.05 - 0.01


def test_other_keys_have_their_own_limit(kind: str, redis_server: RedisServer, fake_api: FakeAPIServer) -> None:
    containers = [container_for(redis_server.url, rps=2, key=f"tenant-{n}") for n in range(4)]
    elapsed = run(kind, fake_api.url, containers, calls(kind, [0, 1, 2, 3]))
    assert elapsed < 1.2  # each key's first request is free (one shared key: 1.5 s)


def test_threads_and_instances_never_exceed_the_burst(redis_server: RedisServer, fake_api: FakeAPIServer) -> None:
    limiters = [RedisRateLimiter(redis_server.url, rps=100, burst=5, key="shared") for _ in range(4)]
    clients = [SyncAPIClient(version="1", base_url=fake_api.url, container=with_limiter(lim)) for lim in limiters]

    def work(client: SyncAPIClient) -> None:
        for _ in range(10):
            client.get("/echo", cast_to=dict)

    threads = [threading.Thread(target=work, args=(c,)) for c in clients]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.monotonic() - started
    for client in clients:
        client.close()
    # 40 requests at 100/s with a burst of 5: the 40th slot is 35 intervals after the first.
    assert elapsed >= 35 * 0.01 - 0.01
    assert len(fake_api.requests) == 40


# -- server feedback reaches every sharer ----------------------------------------------------------


def test_a_429_pauses_every_client_of_the_key(kind: str, redis_server: RedisServer, fake_api: FakeAPIServer) -> None:
    fake_api.script("/busy", Reply(status=429, headers={"retry-after": "0.4"}, json={"error": "slow down"}))
    containers = [container_for(redis_server.url, rps=1000, burst=10) for _ in range(2)]

    def sync_work(clients: list[Any]) -> float:
        with pytest.raises(RateLimitError):
            clients[0].get("/busy", cast_to=dict)
        started = time.monotonic()
        clients[1].get("/echo", cast_to=dict)
        return time.monotonic() - started

    async def async_work(clients: list[Any]) -> float:
        with pytest.raises(RateLimitError):
            await clients[0].get("/busy", cast_to=dict)
        started = time.monotonic()
        await clients[1].get("/echo", cast_to=dict)
        return time.monotonic() - started

    waited = run(kind, fake_api.url, containers, sync_work if kind == "sync" else async_work, max_retries=0)
    assert 0.3 <= waited < 0.8


def test_remaining_zero_pauses_until_the_reset(kind: str, redis_server: RedisServer, fake_api: FakeAPIServer) -> None:
    fake_api.script("/last", Reply(json={}, headers={"x-ratelimit-remaining-requests": "0",
                                                     "x-ratelimit-reset-requests": "300ms"}))
    containers = [container_for(redis_server.url, rps=1000, burst=10) for _ in range(2)]
    elapsed = run(kind, fake_api.url, containers, calls(kind, [0, 1], path="/last"))
    assert 0.28 <= elapsed < 0.8


def test_more_remaining_than_a_burst_costs_no_round_trip(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, rps=10, burst=2, key="k")
    assert limiter._feed_words(200, {"x-ratelimit-remaining-requests": "2"}) is None
    assert limiter._feed_words(200, {"x-ratelimit-remaining-requests": "1"}) is not None
    limiter.close()


# -- deadlines -------------------------------------------------------------------------------------


def test_no_slot_within_the_deadline_fails_at_once(kind: str, redis_server: RedisServer,
                                                   fake_api: FakeAPIServer) -> None:
    containers = [container_for(redis_server.url, rps=1) for _ in range(2)]

    def sync_work(clients: list[Any]) -> float:
        clients[0].get("/echo", cast_to=dict)
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match=r"no free slot within the 0\.\d+s"):
            clients[1].get("/echo", cast_to=dict)
        return time.monotonic() - started

    async def async_work(clients: list[Any]) -> float:
        await clients[0].get("/echo", cast_to=dict)
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match=r"no free slot within the 0\.\d+s"):
            await clients[1].get("/echo", cast_to=dict)
        return time.monotonic() - started

    elapsed = run(kind, fake_api.url, containers, sync_work if kind == "sync" else async_work, deadline=0.3)
    assert elapsed < 0.2  # sleeping for the slot would take the 0.3 s
    assert len(fake_api.requests) == 1


# -- faults ----------------------------------------------------------------------------------------


def test_redis_down_fail_open_warns_once_and_lets_calls_through(
    kind: str, fake_api: FakeAPIServer, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"redis://:s3cret@127.0.0.1:{closed_port()}/0"
    caplog.set_level(logging.WARNING, logger="genai_base.redis")
    elapsed = run(kind, fake_api.url, [container_for(url, rps=2)], calls(kind, [0] * 5))
    assert elapsed < 1.0  # at 2/s these five would take 2 s
    warnings = [r for r in caplog.records if r.name == "genai_base.redis"]
    assert len(warnings) == 1
    assert "unavailable" in warnings[0].getMessage() and "fail_open is true" in warnings[0].getMessage()
    assert "s3cret" not in caplog.text and "<redacted>@127.0.0.1" in caplog.text


def test_redis_down_fail_closed_raises_and_sends_nothing(kind: str, fake_api: FakeAPIServer) -> None:
    url = f"redis://:s3cret@127.0.0.1:{closed_port()}/0"
    containers = [container_for(url, rps=2, fail_open=False)]

    def sync_work(clients: list[Any]) -> float:
        started = time.monotonic()
        for _ in range(3):
            with pytest.raises(RateLimiterUnavailableError, match="fail_open is false") as info:
                clients[0].get("/echo", cast_to=dict)
            assert "s3cret" not in str(info.value)
        return time.monotonic() - started

    async def async_work(clients: list[Any]) -> float:
        started = time.monotonic()
        for _ in range(3):
            with pytest.raises(RateLimiterUnavailableError, match="fail_open is false") as info:
                await clients[0].get("/echo", cast_to=dict)
            assert "s3cret" not in str(info.value)
        return time.monotonic() - started

    elapsed = run(kind, fake_api.url, containers, sync_work if kind == "sync" else async_work)
    assert elapsed < 1.0  # no waiting on a Redis that refuses connections
    assert fake_api.requests == []


def test_a_slow_redis_never_holds_a_call_past_its_timeout(
    kind: str, redis_server: RedisServer, fake_api: FakeAPIServer
) -> None:
    limiter = RedisRateLimiter(redis_server.url, rps=1000, lease=0, key="slow", timeout=0.1)
    containers = [with_limiter(limiter)]
    with redis_server.client() as admin:
        admin.execute_command("CLIENT", "PAUSE", "1000", "WRITE")
        try:
            elapsed = run(kind, fake_api.url, containers, calls(kind, [0, 0, 0]))
        finally:
            admin.execute_command("CLIENT", "UNPAUSE")
    assert elapsed < 0.9  # one Redis timeout (0.1 s), then fail open until the recheck (the pause: 1 s)
    assert limiter.store.outages == 1
    assert len(fake_api.requests) == 3
    limiter.close()


def test_async_deadline_cuts_a_slow_redis_shorter(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, rps=1000, lease=0, key="k", timeout=1.0, fail_open=False)

    async def main() -> float:
        await limiter.acquire_async(None)  # connected before the pause
        admin.execute_command("CLIENT", "PAUSE", "1000", "WRITE")
        started = time.monotonic()
        with pytest.raises(RateLimiterUnavailableError):
            await limiter.acquire_async(0.1)  # the call has 0.1 s left: not the 1 s Redis timeout
        return time.monotonic() - started

    with redis_server.client() as admin:
        try:
            elapsed = asyncio.run(main())
        finally:
            admin.execute_command("CLIENT", "UNPAUSE")
    assert elapsed < 0.8  # not the 1 s Redis timeout
    limiter.close()


def test_redis_restarted_mid_run(redis_server: RedisServer, fake_api: FakeAPIServer,
                                 caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="genai_base.redis")
    limiter = RedisRateLimiter(redis_server.url, rps=200, key="restart", recheck=0.1)
    client = SyncAPIClient(version="1", base_url=fake_api.url, container=with_limiter(limiter))
    stop = threading.Event()
    done: list[float] = []
    errors: list[BaseException] = []

    def work() -> None:
        while not stop.is_set():
            try:
                client.get("/echo", cast_to=dict)
                done.append(time.monotonic())
            except BaseException as exc:
                errors.append(exc)
                return

    thread = threading.Thread(target=work)
    thread.start()
    try:
        time.sleep(0.2)
        redis_server.stop()
        time.sleep(0.3)
        during = len(done)
        redis_server.start()  # same port, empty, and without the scripts: they are loaded again
        time.sleep(0.4)
    finally:
        stop.set()
        thread.join()
        client.close()
    assert errors == []
    assert len(done) > during > 0
    assert limiter.store.outages == 1
    messages = [r.getMessage() for r in caplog.records if r.name == "genai_base.redis"]
    assert len([m for m in messages if "unavailable" in m]) == 1
    assert any("is back" in m for m in messages)
    limiter.acquire(5.0)  # on a busy machine the last calls may all have come before the recovery
    with redis_server.client() as r:
        assert r.exists(KEY_PREFIX + "restart")  # limiting again, through Redis


def test_the_async_client_of_each_loop_is_closed_with_its_loop(redis_server: RedisServer) -> None:
    limiter = RedisRateLimiter(redis_server.url, rps=1000, lease=0, key="loops")

    async def once() -> None:
        await limiter.acquire_async(None)
        await limiter.feedback_async(429, {"retry-after": "0.01"})

    for _ in range(3):
        asyncio.run(once())  # each loop's connections go with it: no ResourceWarning (an error here)
    gc.collect()
    with redis_server.client() as admin:
        clients = admin.client_list()
    assert len(clients) <= 2  # the admin connection and at most the sync limiter's
    limiter.close()


# -- settings --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "rate_limit, message",
    [
        ({"rps": 5}, r"'rate_limit.url' is required"),
        ({"rps": 5, "url": "localhost:6379"}, r"invalid value for 'rate_limit.url': 'localhost:6379' \(Redis URL "),
        ({"rps": 5, "url": "redis://:hunter2@cache:port/0"}, r"'rate_limit.url': 'redis://<redacted>@cache:port/0'"),
        ({"rps": 5, "url": "redis://cache/zero"}, r"the database must be a number"),
        ({"rps": 5, "url": "redis:///0"}, r"no host"),
        ({"url": "redis://127.0.0.1:6379/0"}, r"the redis rate limiter needs 'rate_limit.rps'"),
        ({"url": "redis://127.0.0.1:6379/0", "rps": -5}, r"'rate_limit.rps'.*must be a positive"),
    ],
)
def test_bad_settings_fail_when_the_client_is_built(rate_limit: dict[str, Any], message: str) -> None:
    container = ClientContainer()
    container.config.from_dict({"rate_limiter": "redis", "rate_limit": rate_limit})
    with pytest.raises(ConfigurationError, match=message) as info:
        SyncAPIClient(version="1", base_url="http://127.0.0.1:9", container=container)
    assert "hunter2" not in str(info.value)


def test_repr_hides_the_password() -> None:
    limiter = RedisRateLimiter("redis://:hunter2@127.0.0.1:1/0", rps=3, key="k")
    assert "hunter2" not in repr(limiter) and "<redacted>" in repr(limiter)
    limiter.close()
