"""The async transport's read timeouts: one watch per loop, not aiohttp's per-read timers (see
``genai_base._transports.aiohttp_reads``), against real loopback servers; and the fallback to aiohttp's
``sock_read`` for a session whose requests do not start the waits (an app's own)."""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import aiohttp
import pytest

from genai_base import APIResponse, APITimeoutError, AsyncAPIClient, ClientContainer, Timeout
from genai_base._settings import resolve_settings
from genai_base._transports.aiohttp import aiohttp_session_factory, client_timeout
from genai_base._transports.aiohttp_reads import ReadWait, ReadWatch
from genai_base._transports.aiohttp_request import hands_over, transport_session
from genai_base.testing import Delay, FakeAPIServer, RawSocketServer, ReadRequest, Reply, Trickle


def plain_session(settings: Any) -> aiohttp.ClientSession:
    """An app's own session: its requests start no read waits (aiohttp's sock_read applies)."""
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector())


class SlowToConnect(aiohttp.TCPConnector):
    """Takes 0.2 s to hand out a connection, as a slow TCP or TLS handshake would."""

    async def connect(self, req: Any, traces: Any, timeout: Any) -> Any:
        await asyncio.sleep(0.2)
        return await super().connect(req, traces, timeout)


def client_for(url: str, read: float, factory: Any = None, **kwargs: Any) -> AsyncAPIClient:
    container = ClientContainer()
    if factory is not None:
        container.async_session_factory.override(factory)
    return AsyncAPIClient(version="1", base_url=url, container=container, timeout=Timeout(5, read=read),
                          max_retries=0, **kwargs)


async def watch_of(client: AsyncAPIClient) -> Any:
    """The read watch of the client's transport in this loop (made by a first call)."""
    await client.get("/echo", cast_to=dict)
    _, performers = client._shared.current
    assert performers is not None
    return performers["exchange"].__self__._watch  # type: ignore[attr-defined]


@pytest.mark.parametrize("factory", [None, plain_session], ids=["watched", "sock_read"])
def test_a_head_slower_than_read_times_out(fake_api: FakeAPIServer, factory: Any) -> None:
    async def main() -> float:
        async with client_for(fake_api.url, 0.1, factory) as client:
            watch = await watch_of(client)
            assert (watch is None) == (factory is not None)
            started = time.monotonic()
            with pytest.raises(APITimeoutError, match="read timed out"):
                await client.get("/slow?seconds=1", cast_to=dict)
            return time.monotonic() - started

    assert 0.09 <= asyncio.run(main()) < 0.8


@pytest.mark.parametrize("factory", [None, plain_session], ids=["watched", "sock_read"])
def test_each_piece_of_a_stream_has_its_own_read_timeout(fake_api: FakeAPIServer, factory: Any) -> None:
    # Six pieces 60 ms apart, 300 ms in all, each within the 150 ms read timeout: no timeout.
    fake_api.script("/pieces", Reply(chunks=[b"a" * 10] * 6, chunk_delay=0.06, content_type="text/plain"))
    fake_api.script("/stalls", Reply(chunks=[b"a", b"b"], chunk_delay=0.5, content_type="text/plain"))

    async def main() -> None:
        async with client_for(fake_api.url, 0.15, factory) as client:
            response = await client.get("/pieces", cast_to=APIResponse[bytes], stream=True)
            body = b"".join([piece async for piece in response.iter_bytes()])
            assert body == b"a" * 60
            started = time.monotonic()
            response = await client.get("/stalls", cast_to=APIResponse[bytes], stream=True)
            with pytest.raises(APITimeoutError, match="read timed out"):
                async for _ in response.iter_bytes():
                    pass
            assert response.is_closed
            assert time.monotonic() - started < 0.45  # the 0.5 s gap was not waited out

    asyncio.run(main())


def test_a_small_body_is_one_wait_and_a_large_one_a_wait_per_piece() -> None:
    # A 20-byte body whose head comes at once and whose bytes then stop for 0.4 s: past the read
    # timeout. A 100 KiB body trickling in 8 KiB pieces 40 ms apart: 0.5 s in all, each piece in time.
    head = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n"
    small = [ReadRequest(), head % 20, Delay(0.4), b'{"x": "0123456789ab"}'[:20]]
    big_body = b'"' + b"x" * (100 * 1024 - 2) + b'"'
    big = [ReadRequest(), head % len(big_body), Trickle(big_body, every=0.04, size=8192)]

    async def main() -> None:
        with RawSocketServer(small) as server:
            async with client_for(server.url, 0.15) as client:
                started = time.monotonic()
                with pytest.raises(APITimeoutError, match="read timed out"):
                    await client.get("/x", cast_to=dict)
                assert time.monotonic() - started < 0.35
        with RawSocketServer(big) as server:
            async with client_for(server.url, 0.15) as client:
                assert await client.get("/x", cast_to=bytes) == big_body

    asyncio.run(main())


def test_the_read_timeout_starts_once_the_connection_is_ready(fake_api: FakeAPIServer) -> None:
    # Connecting takes 0.2 s, longer than the 0.1 s read timeout: only the wait after it counts.
    def factory(settings: Any) -> aiohttp.ClientSession:
        return transport_session(connector=SlowToConnect())

    async def main() -> None:
        async with client_for(fake_api.url, 0.1, factory) as client:
            started = time.monotonic()
            assert await client.get("/echo", cast_to=dict)
            assert time.monotonic() - started >= 0.2
            with pytest.raises(APITimeoutError, match="read timed out"):
                await client.get("/slow?seconds=1", cast_to=dict)

    asyncio.run(main())


def test_only_the_slow_call_of_many_times_out(fake_api: FakeAPIServer) -> None:
    async def main() -> list[Any]:
        async with client_for(fake_api.url, 0.15) as client:
            calls = [client.get("/echo", cast_to=dict) for _ in range(8)]
            calls.insert(3, client.get("/slow?seconds=1", cast_to=dict))
            return await asyncio.gather(*calls, return_exceptions=True)

    results = asyncio.run(main())
    assert isinstance(results[3], APITimeoutError)
    assert all(isinstance(result, dict) for index, result in enumerate(results) if index != 3)


def test_a_cancellation_from_outside_is_not_a_read_timeout(fake_api: FakeAPIServer) -> None:
    async def main() -> None:
        async with client_for(fake_api.url, 5.0) as client:
            task = asyncio.ensure_future(client.get("/slow?seconds=1", cast_to=dict))
            await asyncio.sleep(0.05)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            assert await client.get("/echo", cast_to=dict)  # the pool slot was given back

    asyncio.run(main())


@pytest.mark.skipif(sys.version_info < (3, 11), reason="Task.uncancel (Python 3.11) tells the two apart")
def test_a_cancellation_at_the_same_time_as_the_timeout_still_propagates() -> None:
    async def main() -> str:
        watch = ReadWatch()
        blocker: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        armed = asyncio.Event()

        async def waiting() -> str:
            wait = ReadWait(0.0)
            wait.task = asyncio.current_task()
            watch.arm(wait)
            armed.set()
            try:
                await blocker
            except asyncio.CancelledError:
                return "timed out" if watch.timed_out(wait) else "cancelled"
            finally:
                watch.end(wait)
            return "done"

        task = asyncio.ensure_future(waiting())
        await armed.wait()
        watch._fire()  # the wait's deadline has passed: the watch cancels the task for it...
        task.cancel()  # ...and somebody else asks too, before the task runs again
        return await task

    assert asyncio.run(main()) == "cancelled"


def test_a_wait_armed_and_ended_in_time_is_never_cancelled() -> None:
    async def main() -> None:
        watch = ReadWatch()
        for _ in range(50):
            wait = ReadWait(0.02)
            wait.task = asyncio.current_task()
            watch.arm(wait)
            await asyncio.sleep(0.001)
            watch.end(wait)
        await asyncio.sleep(0.05)  # the timer fires with nothing past its deadline
        assert not watch._waits
        watch.close()
        assert watch._timer is None

    asyncio.run(main())


def test_outside_a_task_a_request_keeps_aiohttps_sock_read() -> None:
    async def main() -> Any:
        loop = asyncio.get_running_loop()
        done: asyncio.Future[Any] = loop.create_future()
        loop.call_soon(lambda: done.set_result(ReadWatch().prepare(1.0)))  # a callback: no current task
        return await done

    assert asyncio.run(main()) is None


def test_the_session_decides_who_bounds_the_reads(fake_api: FakeAPIServer) -> None:
    timeout = Timeout(60, read=7)
    assert client_timeout(timeout).sock_read == 7
    assert client_timeout(timeout, False).sock_read is None

    async def main() -> None:
        ours = aiohttp_session_factory(resolve_settings({}, {}))
        plain = plain_session({})
        try:
            assert hands_over(ours)
            assert not hands_over(plain)
        finally:
            await ours.close()
            await plain.close()
        async with client_for(fake_api.url, 5.0) as client:
            assert isinstance(await watch_of(client), ReadWatch)
        async with client_for(fake_api.url, 5.0, plain_session) as client:
            assert await watch_of(client) is None

    asyncio.run(main())


@pytest.mark.parametrize("outcome", ["answered", "status error", "refused"])
def test_a_finished_call_does_not_keep_its_task_alive(fake_api: FakeAPIServer, outcome: str) -> None:
    # The task's context holds what the transport handed over for the last request; that must not
    # hold the task (a cycle only the garbage collector would break), whether the call got its
    # answer or failed before it.
    import gc
    import socket
    import weakref

    if outcome == "refused":
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{probe.getsockname()[1]}"  # nothing listens there once closed
    else:
        url = fake_api.url
    path = "/status/500" if outcome == "status error" else "/echo"

    async def main() -> Any:
        async with client_for(url, 5.0) as client:
            async def call() -> None:
                try:
                    await client.get(path, cast_to=dict)
                except Exception:
                    pass

            task = asyncio.ensure_future(call())
            await task
            gone = weakref.ref(task)
            del task
            return gone

    gc.disable()
    try:
        gone = asyncio.run(main())
        assert gone() is None
    finally:
        gc.enable()
