"""No leaks: file descriptors and pooled connections return to their baseline; threads and cancellation."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import Awaitable, Callable

import pytest

from genai_base import APITimeoutError, AsyncAPIClient, ClientContainer, SyncAPIClient, Timeout
from genai_base.testing import FakeAPIServer

from .conftest import Shell


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def settle(baseline: int, slack: int = 4, seconds: float = 2.0) -> int:
    """Wait (briefly) for closed sockets to be reaped; return the last count seen."""
    deadline = time.monotonic() + seconds
    count = open_fds()
    while count > baseline + slack and time.monotonic() < deadline:
        time.sleep(0.02)
        count = open_fds()
    return count


pytestmark = pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count descriptors")


def test_sequential_calls_do_not_leak(shell: Shell) -> None:
    baseline = open_fds()
    client = shell.client()

    async def many_async() -> int:
        return sum([(await client.get("/echo", cast_to=dict))["method"] == "GET" for _ in range(10_000)])

    def many_sync() -> int:
        return sum(client.get("/echo", cast_to=dict)["method"] == "GET" for _ in range(10_000))

    assert (shell.run(many_async()) if shell.is_async else many_sync()) == 10_000
    assert open_fds() <= baseline + 12  # a handful of pooled keep-alive sockets, not thousands
    shell.run(client.close())
    assert settle(baseline) <= baseline + 4


def test_concurrent_async_calls_do_not_leak(fake_api: FakeAPIServer) -> None:
    baseline = open_fds()

    async def run() -> list[int]:
        async with AsyncAPIClient(version="1", base_url=fake_api.url, timeout=30) as client:
            results = await asyncio.gather(
                *(client.get("/echo", cast_to=dict, options={"params": {"i": i}}) for i in range(1000))
            )
            return [int(r["query"]["i"][0]) for r in results]

    assert asyncio.run(run()) == list(range(1000))
    assert settle(baseline) <= baseline + 4


def test_abandoned_streams_do_not_leak(shell: Shell) -> None:
    baseline = open_fds()
    container = ClientContainer()
    container.config.from_dict({"pool_size": 10})
    client = shell.client(container=container, timeout=Timeout(10, pool=5))

    async def abandon_async() -> int:
        n = 0
        for _ in range(1000):
            stream = await client.get("/sse?count=20", cast_to=dict, stream=True)
            async for _event in stream:
                n += 1
                break
        return n

    def abandon_sync() -> int:
        n = 0
        for _ in range(1000):
            for _event in client.get("/sse?count=20", cast_to=dict, stream=True):
                n += 1
                break
        return n

    assert (shell.run(abandon_async()) if shell.is_async else abandon_sync()) == 1000
    shell.run(client.close())
    assert settle(baseline) <= baseline + 4


def test_one_sync_client_shared_by_sixteen_threads(fake_api: FakeAPIServer) -> None:
    client = SyncAPIClient(version="1", base_url=fake_api.url, timeout=30)
    errors: list[str] = []

    def worker(tid: int) -> None:
        for i in range(200):
            echo = client.post("/echo", cast_to=dict, body={"t": tid, "i": i}, options={"params": {"t": tid, "i": i}})
            if echo["json"] != {"t": tid, "i": i} or echo["query"] != {"t": [str(tid)], "i": [str(i)]}:
                errors.append(f"thread {tid} call {i} got {echo['json']} {echo['query']}")

    threads = [threading.Thread(target=worker, args=(t,)) for t in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    client.close()
    assert errors == []
    assert len(fake_api.requests_to("/echo")) == 16 * 200


async def _single_connection_client(url: str) -> AsyncAPIClient:
    container = ClientContainer()
    container.config.from_dict({"pool_size": 1})
    return AsyncAPIClient(version="1", base_url=url, container=container, max_retries=0,
                          timeout=Timeout(5, pool=1, connect=1))


def pool_still_serves_after(url: str, scenario: Callable[[AsyncAPIClient], Awaitable[None]]) -> str:
    """Run ``scenario`` on a one-connection client, then call again: that works only if the connection was freed."""

    async def run() -> str:
        client = await _single_connection_client(url)
        try:
            await scenario(client)
            # The only connection must be free again (pool timeout is 1 s).
            return str((await client.get("/echo", cast_to=dict))["method"])
        finally:
            await client.close()

    return asyncio.run(run())


def test_cancelled_call_releases_its_connection(fake_api: FakeAPIServer) -> None:
    async def cancel_mid_request(client: AsyncAPIClient) -> None:
        task = asyncio.ensure_future(client.get("/slow?seconds=2", cast_to=dict))
        await asyncio.sleep(0.1)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    assert pool_still_serves_after(fake_api.url, cancel_mid_request) == "GET"


def test_cancelled_stream_releases_its_connection(fake_api: FakeAPIServer) -> None:
    async def cancel_mid_stream(client: AsyncAPIClient) -> None:
        seen: list[int] = []

        async def consume() -> None:
            stream = await client.get("/sse?count=100&delay_ms=20", cast_to=dict, stream=True)
            async for event in stream:
                seen.append(event["index"])

        task = asyncio.ensure_future(consume())
        while len(seen) < 2:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    assert pool_still_serves_after(fake_api.url, cancel_mid_stream) == "GET"


def test_asyncio_timeout_around_a_call(fake_api: FakeAPIServer) -> None:
    async def time_out(client: AsyncAPIClient) -> None:
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await client.get("/slow?seconds=2", cast_to=dict)

    assert pool_still_serves_after(fake_api.url, time_out) == "GET"


def test_read_timeout_is_an_api_timeout_not_a_hang(fake_api: FakeAPIServer) -> None:
    async def read_timeout(client: AsyncAPIClient) -> None:
        with pytest.raises(APITimeoutError):
            await client.get("/slow?seconds=2", cast_to=dict, options={"timeout": 0.1})

    assert pool_still_serves_after(fake_api.url, read_timeout) == "GET"
