"""Server-sent-event streams on both shells: framing, the end, errors, cuts, stalls, leaks."""

from __future__ import annotations

import asyncio
import time
import tracemalloc
from typing import Any

import pytest

from genai_base import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    AsyncStream,
    ClientContainer,
    InternalServerError,
    Stream,
    StreamInterruptedError,
    Timeout,
)
from genai_base.models import Model
from genai_base.testing import RawSocketServer, ReadRequest, Reply

from .conftest import Shell


class Event(Model):
    index: int
    text: str


def stream_of(shell: Shell, client: Any, path: str, item: Any = dict) -> Any:
    cls = AsyncStream[item] if shell.is_async else Stream[item]
    return shell.run(client.get(path, cast_to=item, stream=True, stream_cls=cls))


@pytest.mark.parametrize("framing", ["lf", "crlf", "cr"])
def test_every_framing_yields_every_event(shell: Shell, framing: str) -> None:
    events = shell.collect(stream_of(shell, shell.client(), f"/sse?count=4&framing={framing}"))
    assert [e["index"] for e in events] == [0, 1, 2, 3]
    assert events[2]["text"] == "event 2"


def test_multiline_data_comments_and_event_names(shell: Shell) -> None:
    events = shell.collect(stream_of(shell, shell.client(), "/sse?count=3&multiline=1&comments=1&event=delta"))
    assert [e["index"] for e in events] == [0, 1, 2]


def test_events_parse_into_models(shell: Shell) -> None:
    events = shell.collect(stream_of(shell, shell.client(), "/sse?count=2&size=5", item=Event))
    assert all(isinstance(e, Event) for e in events)
    assert events[1].index == 1 and events[1].text == "event 1xxxxx"


def test_done_ends_the_stream_and_nothing_after_it_is_read(shell: Shell) -> None:
    body = b'data: {"a": 1}\n\ndata: [DONE]\n\ndata: {"a": 2}\n\n'
    shell.server.script("/done", Reply(body=body, content_type="text/event-stream"))
    assert shell.collect(stream_of(shell, shell.client(), "/done")) == [{"a": 1}]


def test_stream_without_done_ends_at_the_end_of_the_body(shell: Shell) -> None:
    events = shell.collect(stream_of(shell, shell.client(), "/sse?count=2&done=0"))
    assert [e["index"] for e in events] == [0, 1]


def test_error_event_raises_api_error_with_the_message(shell: Shell) -> None:
    stream = stream_of(shell, shell.client(), "/sse?count=5&error_at=2")
    seen: list[Any] = []

    async def consume_async() -> None:
        async for event in stream:
            seen.append(event)

    with pytest.raises(APIError, match="boom at 2") as info:
        if shell.is_async:
            shell.run(consume_async())
        else:
            for event in stream:
                seen.append(event)
    assert [e["index"] for e in seen] == [0, 1]
    assert info.value.body == {"error": {"message": "boom at 2"}}


def test_items_before_an_error_event_in_the_same_chunk_are_yielded_first(shell: Shell) -> None:
    # The whole response goes out in one write, so the client reads the three events as one chunk.
    body = b'data: {"n": 1}\n\ndata: {"n": 2}\n\nevent: error\ndata: {"error": {"message": "late"}}\n\n'
    head = f"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: {len(body)}\r\n\r\n"
    with RawSocketServer([ReadRequest(), head.encode() + body]) as server:
        stream = stream_of(shell, shell.client(base_url=server.url, max_retries=0), "/one-chunk")
        if shell.is_async:
            iterator = stream.__aiter__()
            taken = [shell.run(iterator.__anext__()), shell.run(iterator.__anext__())]
            with pytest.raises(APIError, match="late"):
                shell.run(iterator.__anext__())
        else:
            iterator = iter(stream)
            taken = [next(iterator), next(iterator)]
            with pytest.raises(APIError, match="late"):
                next(iterator)
        assert taken == [{"n": 1}, {"n": 2}]


def test_error_object_in_data_raises(shell: Shell) -> None:
    body = b'data: {"error": {"message": "quota"}}\n\n'
    shell.server.script("/err-data", Reply(body=body, content_type="text/event-stream"))
    with pytest.raises(APIError, match="quota"):
        shell.collect(stream_of(shell, shell.client(), "/err-data"))


def test_cut_stream_raises_instead_of_ending_silently(shell: Shell) -> None:
    stream = stream_of(shell, shell.client(), "/sse?count=10&cut_at=3")
    with pytest.raises(APIConnectionError) as info:
        shell.collect(stream)
    assert isinstance(info.value, StreamInterruptedError)


def test_stalled_stream_raises_timeout_naming_the_silence(shell: Shell) -> None:
    client = shell.client(timeout=Timeout(5, read=0.2), max_retries=0)
    stream = stream_of(shell, client, "/sse?count=5&stall_after=2")
    with pytest.raises(APITimeoutError, match=r"silent for more than 0\.2s"):
        shell.collect(stream)


def test_status_error_raised_before_the_first_event_after_retries(shell: Shell) -> None:
    shell.server.script(
        "/sse-fail", Reply(status=503, json={"error": {"message": "down"}}, headers={"retry-after-ms": "1"})
    )
    client = shell.client(max_retries=2)
    with pytest.raises(InternalServerError, match="down"):
        shell.run(client.get("/sse-fail", cast_to=dict, stream=True))
    assert len(shell.server.requests_to("/sse-fail")) == 3


def test_response_headers_are_reachable(shell: Shell) -> None:
    stream = stream_of(shell, shell.client(), "/sse?count=1")
    assert stream.response.status_code == 200
    assert stream.response.headers["content-type"].startswith("text/event-stream")
    shell.run(stream.close())


def test_early_exit_releases_connections_to_a_small_pool(shell: Shell) -> None:
    container = ClientContainer()
    container.config.from_dict({"pool_size": 5})
    client = shell.client(container=container, timeout=Timeout(5, connect=2, pool=2))

    async def break_early_async() -> int:
        stream = await client.get("/sse?count=50&delay_ms=1", cast_to=dict, stream=True)
        async for event in stream:
            return int(event["index"])
        return -1

    def break_early_sync() -> int:
        for event in client.get("/sse?count=50&delay_ms=1", cast_to=dict, stream=True):
            return int(event["index"])
        return -1

    for _ in range(55):
        assert shell.run(break_early_async()) == 0 if shell.is_async else break_early_sync() == 0
    # The pool still serves ordinary calls once all those streams were abandoned.
    assert shell.run(client.get("/echo", cast_to=dict))["method"] == "GET"


def test_context_manager_and_close_release(shell: Shell) -> None:
    client = shell.client()
    if shell.is_async:

        async def use() -> Any:
            async with await client.get("/sse?count=3", cast_to=dict, stream=True) as stream:
                return await stream.__anext__()

        assert shell.run(use())["index"] == 0
    else:
        with client.get("/sse?count=3", cast_to=dict, stream=True) as stream:
            assert next(stream)["index"] == 0
        stream.close()  # idempotent


def test_large_stream_memory_stays_flat(shell: Shell) -> None:
    # 2,000 events of ~10 KB each: ~20 MB through the client.
    client = shell.client(timeout=30)
    tracemalloc.start()
    try:
        stream = stream_of(shell, client, "/sse?count=2000&size=10000")
        total = 0
        if shell.is_async:

            async def consume() -> int:
                n = 0
                async for event in stream:
                    n += len(event["text"])
                return n

            total = shell.run(consume())
        else:
            for event in stream:
                total += len(event["text"])
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert total >= 2000 * 10000
    assert peak < 8 * 1024 * 1024, f"peak {peak} bytes: the stream was buffered"


def test_events_that_arrived_before_a_cut_are_all_handed_over(shell: Shell) -> None:
    # The server sends five events and drops the connection before the consumer reads any:
    # both shells hand over all five, then report the break.
    shell.server.script("/cut", Reply(events=[{"n": n} for n in range(5)], cut_after=5))
    stream = stream_of(shell, shell.client(), "/cut")
    seen: list[Any] = []

    async def consume_async() -> None:
        await asyncio.sleep(0.1)  # the loop runs on: aiohttp sees the body and the break before we read
        async for event in stream:
            seen.append(event["n"])

    with pytest.raises(StreamInterruptedError):
        if shell.is_async:
            shell.run(consume_async())
        else:
            time.sleep(0.1)
            for event in stream:
                seen.append(event["n"])
    assert seen == [0, 1, 2, 3, 4]


def test_unread_bytes_probe_falls_back_to_nothing() -> None:
    import collections

    from genai_base._transports.aiohttp import unread_bytes

    class Reader:
        _buffer = collections.deque([b"data: 1\n", b"\n"])

    assert unread_bytes(object()) == b""
    assert unread_bytes(type("Odd", (), {"_buffer": [b"x"]})()) == b""
    reader = Reader()
    assert unread_bytes(reader) == b"data: 1\n\n" and not reader._buffer
