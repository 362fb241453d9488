"""Bounds on what a server can make a client hold or wait for, on both shells.

``max_response_size`` (bodies, decompressed bodies, streams), the call's
deadline against a body that trickles in, ``Timeout.write`` against a
server that stops reading an upload, and the sockets such uploads leave.
"""

from __future__ import annotations

import asyncio
import gzip
import time
import tracemalloc
from typing import Any

import pytest

from genai_base import (
    APIConnectionError,
    APIError,
    APIResponse,
    APITimeoutError,
    AsyncAPIClient,
    BadRequestError,
    ClientContainer,
    ConfigurationError,
    ResponseTooLargeError,
    Timeout,
    make_request_options,
)
from genai_base.testing import Hold, RawSocketServer, ReadHead, ReadRequest, Reply

from .conftest import Shell, attempts

MIB = 1024 * 1024


def sized_client(shell: Shell, limit: Any, **kwargs: Any) -> Any:
    container = ClientContainer()
    container.config.from_dict({"max_response_size": limit})
    return shell.client(container=container, **kwargs)


# -- max_response_size ------------------------------------------------------------------------------


def test_max_response_size_defaults_to_256_mib_and_is_validated() -> None:
    from genai_base import DEFAULT_MAX_RESPONSE_SIZE
    from genai_base._settings import resolve_settings

    assert DEFAULT_MAX_RESPONSE_SIZE == 256 * MIB
    assert resolve_settings({}, {})["max_response_size"] == 256 * MIB
    assert resolve_settings({"max_response_size": "2MiB"}, {})["max_response_size"] == 2 * MIB
    assert resolve_settings({}, {"max_response_size": "none"})["max_response_size"] is None
    for bad in (0, -1, "lots", 1.5, True):
        with pytest.raises(ConfigurationError, match="max_response_size"):
            resolve_settings({"max_response_size": bad}, {})


def test_a_declared_body_past_the_bound_is_refused_unread(shell: Shell) -> None:
    shell.server.script("/big", Reply(body=b"x" * 5000))
    client = sized_client(shell, 4096, max_retries=3)
    with pytest.raises(ResponseTooLargeError, match=r"max_response_size \(4096 bytes\).*declares 5000") as info:
        shell.run(client.get("/big", cast_to=bytes))
    assert isinstance(info.value, APIError) and info.value.limit == 4096
    assert attempts(shell, "/big") == 1  # the same body would come again: not retried
    shell.server.script("/small", Reply(body=b"x" * 4096))
    assert shell.run(client.get("/small", cast_to=bytes)) == b"x" * 4096


def test_a_chunked_body_is_cut_once_it_grows_past_the_bound(shell: Shell) -> None:
    shell.server.script("/chunks", Reply(chunks=[b"y" * 1000] * 10))
    client = sized_client(shell, 4500, max_retries=0)
    with pytest.raises(ResponseTooLargeError):
        shell.run(client.get("/chunks", cast_to=bytes))
    raw = shell.run(client.get("/chunks", cast_to=APIResponse[bytes], stream=True))
    seen = []

    async def drain_async() -> None:
        async for chunk in raw.iter_bytes():
            seen.append(chunk)

    with pytest.raises(ResponseTooLargeError):
        if shell.is_async:
            shell.run(drain_async())
        else:
            seen.extend(raw.iter_bytes())
    assert sum(map(len, seen)) <= 4500
    assert raw.is_closed  # the connection was let go, not handed back half-read


def test_an_event_stream_is_bounded_too(shell: Shell) -> None:
    client = sized_client(shell, 2000, max_retries=0)
    stream = shell.run(client.post("/sse?count=200&size=50", cast_to=dict, stream=True))
    with pytest.raises(APIError):  # a stream reports the cut as its own error, ResponseTooLarge as cause
        shell.collect(stream)


def test_a_gzip_bomb_is_stopped_before_it_is_held(shell: Shell) -> None:
    bomb = gzip.compress(b"\0" * (256 * MIB), compresslevel=9)  # ~255 KB on the wire
    assert len(bomb) < MIB
    shell.server.script("/bomb", Reply(body=bomb, headers={"Content-Encoding": "gzip"},
                                       content_type="application/json"))
    client = sized_client(shell, 4 * MIB, max_retries=0)
    tracemalloc.start()
    try:
        started = time.monotonic()
        with pytest.raises(ResponseTooLargeError):
            shell.run(client.get("/bomb", cast_to=dict))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 64 * MIB, f"held {peak / MIB:.0f} MiB for a 4 MiB bound"
    assert time.monotonic() - started < 5


def test_an_error_body_is_quoted_cut_short(shell: Shell) -> None:
    shell.server.script("/huge-error", Reply(status=400, body="e" * 2_000_000, content_type="text/plain"))
    client = shell.client(max_retries=0)
    with pytest.raises(BadRequestError) as info:
        shell.run(client.get("/huge-error", cast_to=dict))
    assert len(str(info.value)) < 8192 and "more characters" in str(info.value)
    assert info.value.body == "e" * 2_000_000  # the body itself stays whole on the error


# -- a body that trickles in --------------------------------------------------------------------------


def test_the_deadline_bounds_a_body_that_trickles_in(shell: Shell) -> None:
    shell.server.script("/drip", Reply(chunks=[b"x"] * 40, chunk_delay=0.05))  # 2 s in all
    client = shell.client(max_retries=3, timeout=Timeout(5))
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match=r"deadline of 0\.3s"):
        shell.run(client.get("/drip", cast_to=bytes, options=make_request_options(deadline=0.3)))
    assert time.monotonic() - started < 0.9
    assert attempts(shell, "/drip") == 1


def test_timeout_total_bounds_a_body_that_trickles_in(shell: Shell) -> None:
    shell.server.script("/drip", Reply(chunks=[b"x"] * 40, chunk_delay=0.05))
    client = shell.client(max_retries=0, timeout=Timeout(5, total=0.3))
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match=r"total of 0\.3s"):
        shell.run(client.get("/drip", cast_to=bytes))
    assert time.monotonic() - started < 0.9


def test_a_silent_body_is_bounded_by_what_is_left_not_the_read_timeout(shell: Shell) -> None:
    shell.server.script("/stall", Reply(chunks=[b"x", b"y"], chunk_delay=3))
    client = shell.client(max_retries=0, timeout=Timeout(5))
    started = time.monotonic()
    with pytest.raises(APITimeoutError):
        shell.run(client.get("/stall", cast_to=bytes, options=make_request_options(deadline=0.3)))
    assert time.monotonic() - started < 0.9


# -- uploads and Timeout.write ---------------------------------------------------------------------


def test_a_stalled_upload_fails_as_a_write_timeout(shell: Shell) -> None:
    with RawSocketServer([ReadHead(), Hold(5)]) as server:  # reads the head, then never the body
        client = shell.client(base_url=server.url, max_retries=0, timeout=Timeout(5, write=0.2))
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="write timed out"):
            shell.run(client.post("/upload", cast_to=dict, content=b"u" * (32 * MIB)))
        assert time.monotonic() - started < 3
        assert server.connections == 1


@pytest.mark.parametrize("size", [1, 16 * 1024, 64 * 1024 - 1])
def test_a_small_upload_the_server_never_reads_is_bounded_by_the_read_timeout(shell: Shell, size: int) -> None:
    # A body under 64 KiB goes into the socket's buffers at once on both shells, so no write waits for the
    # server; the wait that follows is for the response, which the read timeout bounds (see TIMED_BODY_MIN).
    with RawSocketServer([ReadHead(), Hold(5)]) as server:
        client = shell.client(base_url=server.url, max_retries=0, timeout=Timeout(5, read=0.3, write=0.3))
        started = time.monotonic()
        with pytest.raises(APITimeoutError, match="read timed out"):
            shell.run(client.post("/upload", cast_to=dict, content=b"u" * size))
        assert time.monotonic() - started < 2


def test_a_stalled_upload_on_a_kept_alive_connection_is_a_write_timeout(shell: Shell) -> None:
    ok = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
    with RawSocketServer([ReadRequest(), ok, ReadHead(), Hold(5)]) as server:
        client = shell.client(base_url=server.url, max_retries=0, timeout=Timeout(5, write=0.2))
        assert shell.run(client.get("/first", cast_to=dict)) == {}
        with pytest.raises(APITimeoutError, match="write timed out"):
            shell.run(client.post("/upload", cast_to=dict, content=b"u" * (32 * MIB)))
        assert server.connections == 1  # the second call went out on the first call's connection


def test_a_stalled_upload_is_retried_as_a_timeout(shell: Shell) -> None:
    from genai_base import ExponentialRetryPolicy

    with RawSocketServer([ReadHead(), Hold(5)]) as server:
        container = ClientContainer()
        container.retry_policy.override(ExponentialRetryPolicy(initial_delay=0.001, max_delay=0.002))
        client = shell.client(base_url=server.url, container=container, max_retries=1,
                              timeout=Timeout(5, write=0.1))
        with pytest.raises(APITimeoutError, match="write timed out"):
            shell.run(client.post("/upload", cast_to=dict, content=b"u" * (32 * MIB)))
        assert len(server.wait_for_requests(2)) == 2


def client_sockets_to(port: int) -> int:
    """Open TCP connections to ``port`` on 127.0.0.1 (their client ends), from /proc/net/tcp."""
    count = 0
    with open("/proc/net/tcp") as table:
        next(table)
        for line in table:
            fields = line.split()
            remote, state = fields[2], fields[3]
            if remote.endswith(f":{port:04X}") and state not in ("06", "07"):  # TIME_WAIT / CLOSE: gone
                count += 1
    return count


def test_an_async_upload_that_times_out_or_is_cancelled_frees_its_socket() -> None:
    # A stalled upload's socket holds megabytes the server never reads; closing it politely would
    # wait for ever to flush them. It must be gone once the call has failed or been cancelled.
    async def scenario(server: RawSocketServer) -> tuple[int, int]:
        client = AsyncAPIClient(version="1", base_url=server.url, max_retries=0, timeout=Timeout(5, write=0.1))
        for _ in range(3):
            with pytest.raises(APITimeoutError):
                await client.post("/upload", cast_to=dict, content=b"u" * (16 * MIB))
        await asyncio.sleep(0.05)
        after_timeouts = client_sockets_to(server.port)
        for _ in range(3):
            task = asyncio.ensure_future(client.post("/upload", cast_to=dict, content=b"u" * (16 * MIB)))
            await asyncio.sleep(0.1)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        await asyncio.sleep(0.05)
        after_cancels = client_sockets_to(server.port)
        await client.close()
        return after_timeouts, after_cancels

    with RawSocketServer([ReadHead(), Hold(5)]) as server:
        after_timeouts, after_cancels = asyncio.run(scenario(server))
        assert server.connections == 6
    assert (after_timeouts, after_cancels) == (0, 0)


def test_a_small_body_is_not_held_up_by_the_write_timeout(shell: Shell) -> None:
    client = shell.client(max_retries=0, timeout=Timeout(5, write=0.05))
    body = shell.run(client.post("/echo", cast_to=dict, content=b"z" * (200 * 1024)))
    assert len(body["body"]) == 200 * 1024


def test_a_file_body_is_sent_under_the_write_timeout_and_left_open(shell: Shell, tmp_path: Any) -> None:
    path = tmp_path / "upload.bin"
    path.write_bytes(b"f" * (300 * 1024))
    with open(path, "rb") as file:
        client = shell.client(max_retries=0, timeout=Timeout(5, write=1))
        body = shell.run(client.post("/echo", cast_to=dict, content=file))
        assert len(body["body"]) == 300 * 1024
        assert not file.closed


def test_timeouts_name_their_phase(shell: Shell, blackhole_port: int) -> None:
    client = shell.client(max_retries=0, timeout=Timeout(5, read=0.05))
    with pytest.raises(APITimeoutError, match="read timed out"):
        shell.run(client.get("/slow?seconds=1", cast_to=dict))
    client = shell.client(base_url=f"http://127.0.0.1:{blackhole_port}", max_retries=0,
                          timeout=Timeout(5, connect=0.05))
    with pytest.raises(APITimeoutError, match="connect timed out"):
        shell.run(client.get("/x", cast_to=dict))
    client = shell.client(max_retries=0, timeout=Timeout(5, total=0.1))
    with pytest.raises(APITimeoutError, match=r"total of 0\.1s"):
        shell.run(client.get("/slow-body?seconds=1", cast_to=bytes))


def test_a_stalled_upload_is_not_a_connection_error(shell: Shell) -> None:
    with RawSocketServer([ReadHead(), Hold(5)]) as server:
        client = shell.client(base_url=server.url, max_retries=0, timeout=Timeout(5, connect=0.1, write=0.3))
        with pytest.raises(APIConnectionError) as info:
            shell.run(client.post("/upload", cast_to=dict, content=b"u" * (32 * MIB)))
    assert isinstance(info.value, APITimeoutError) and "write" in str(info.value)
