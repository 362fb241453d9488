"""Streams that resume after a break with ``Last-Event-ID``, on both shells, against the real fake server."""

from __future__ import annotations

import os
import time
from typing import Any

import pytest

from genai_base import (
    APITimeoutError,
    BearerAuth,
    ClientContainer,
    ExponentialRetryPolicy,
    NotFoundError,
    RetryEvent,
    RetryOutcome,
    ServerSentEvent,
    StreamInterruptedError,
    Timeout,
    make_request_options,
)
from genai_base.testing import Reply

from .conftest import Shell

E = ServerSentEvent
COUNT_HEADER = "x-genai-retry-count"


class Recorder:
    """Keeps every retry event and every request event."""

    def __init__(self) -> None:
        self.retries: list[RetryEvent] = []
        self.requests: list[Any] = []

    def on_retry(self, event: RetryEvent) -> None:
        self.retries.append(event)

    def on_request(self, event: Any) -> None:
        self.requests.append(event)


class FixedWait:
    """The exponential policy's decisions with a fixed, recognisable backoff."""

    def __init__(self, wait: float) -> None:
        self._policy = ExponentialRetryPolicy(initial_delay=0.001, max_delay=0.002)
        self._wait = wait
        self.asked: list[RetryOutcome] = []

    def should_retry(self, outcome: RetryOutcome) -> bool:
        return self._policy.should_retry(outcome)

    def wait(self, outcome: RetryOutcome) -> float:
        self.asked.append(outcome)
        return self._wait


def container(*, hooks: Any = None, policy: Any = None, **config: Any) -> ClientContainer:
    made = ClientContainer()
    made.config.from_dict(config)
    if hooks is not None:
        made.hooks.override(list(hooks))
    made.retry_policy.override(policy or ExponentialRetryPolicy(initial_delay=0.001, max_delay=0.002))
    return made


def numbered(count: int, **extra: Any) -> list[ServerSentEvent]:
    return [E(id=str(i), data=f'{{"n": {i}}}', **extra) for i in range(count)]


def read_all(shell: Shell, client: Any, path: str, method: str = "get", **kwargs: Any) -> tuple[list[Any], Any]:
    """Every item of a stream, and the stream (its response is the last one)."""
    call = getattr(client, method)(path, cast_to=dict, stream=True, **kwargs)
    stream = shell.run(call)
    return shell.collect(stream), stream


def read_into(shell: Shell, stream: Any, seen: list[Any]) -> None:
    if shell.is_async:

        async def run() -> None:
            async for item in stream:
                seen.append(item)

        shell.run(run())
    else:
        for item in stream:
            seen.append(item)


# -- resuming -----------------------------------------------------------------------------------


def test_a_cut_stream_resumes_after_the_last_event_id_and_yields_nothing_twice(shell: Shell) -> None:
    recorder = Recorder()
    shell.server.fail_stream("/sse", cut_after=2, times=2)
    client = shell.client(container=container(hooks=[recorder]))
    items, stream = read_all(shell, client, "/sse?count=7&ids=1&retry_ms=0")
    assert [i["index"] for i in items] == list(range(7))
    sent = shell.server.requests_to("/sse")
    assert [r.headers.get("last-event-id") for r in sent] == [None, "1", "3"]
    assert [r.headers[COUNT_HEADER] for r in sent] == ["0", "1", "2"]
    assert stream.reconnects == 2 and stream.response.retries_taken == 2
    assert stream.response.http_request.headers["last-event-id"] == "3"
    resumes = [(e.reason, e.attempt, e.wait) for e in recorder.retries]
    assert resumes == [("stream-resume", 0, 0.0), ("stream-resume", 1, 0.0)]
    assert all(e.url.endswith("/sse?count=7&ids=1&retry_ms=0") for e in recorder.retries)
    assert len(recorder.requests) == 3  # each reconnect went through the client's hooks


def test_a_silent_stream_resumes_after_the_read_timeout(shell: Shell) -> None:
    shell.server.fail_stream("/sse", stall_after=3)
    client = shell.client(container=container(), timeout=Timeout(5, read=0.2))
    items, stream = read_all(shell, client, "/sse?count=5&ids=1&retry_ms=0")
    assert [i["index"] for i in items] == [0, 1, 2, 3, 4]
    assert [r.headers.get("last-event-id") for r in shell.server.requests_to("/sse")] == [None, "2"]
    assert stream.reconnects == 1


def test_the_wait_is_the_servers_retry_value_else_the_policys_backoff(shell: Shell) -> None:
    recorder, policy = Recorder(), FixedWait(0.02)
    client = shell.client(container=container(hooks=[recorder], policy=policy))
    shell.server.script("/r", Reply(events=[E(id="0", retry=60, data="{}"), *numbered(3)[1:]], cut_after=1))
    started = time.monotonic()
    items, _ = read_all(shell, client, "/r", options=make_request_options(max_retries=0))
    # Each connection sends one event and breaks (the third after its event, before the body ends).
    assert len(items) == 3 and time.monotonic() - started >= 0.18
    assert [e.wait for e in recorder.retries] == [0.06] * 3  # the retry: value is kept across connections
    assert policy.asked == []
    # No retry: field: the policy's backoff, asked with the break and the retries so far.
    recorder.retries.clear()
    shell.server.script("/b", Reply(events=numbered(3), cut_after=1))
    items, _ = read_all(shell, client, "/b")
    assert len(items) == 3 and [e.wait for e in recorder.retries] == [0.02] * 3
    assert [o.retries_taken for o in policy.asked] == [0, 1, 2]
    assert all(isinstance(o.exception, StreamInterruptedError) for o in policy.asked)
    # A retry: beyond the retry-after ceiling is not obeyed: the backoff again.
    recorder.retries.clear()
    shell.server.script("/c", Reply(events=[E(id="0", retry=3_600_000, data="{}"), E(id="1", data="{}")], cut_after=1))
    assert len(read_all(shell, client, "/c")[0]) == 2 and [e.wait for e in recorder.retries] == [0.02] * 2


def test_events_after_the_resume_keep_the_last_id_when_they_carry_none(shell: Shell) -> None:
    shell.server.script("/p", [
        Reply(events=[E(id="a", data="{}"), E(data='{"x": 1}')], cut_after=2),
        Reply(events=[E(data='{"x": 2}')], cut_after=1),
        Reply(events=[E(data='{"x": 3}')]),
    ])
    items, _ = read_all(shell, shell.client(container=container()), "/p")
    assert items == [{}, {"x": 1}, {"x": 2}, {"x": 3}]
    assert [r.headers.get("last-event-id") for r in shell.server.requests_to("/p")] == [None, "a", "a"]


def test_the_resumed_request_is_signed_and_hooked_like_any_other(shell: Shell) -> None:
    shell.server.script("/s", Reply(events=numbered(3)))
    shell.server.fail_stream("/s", cut_after=1)
    client = shell.client(container=container(), auth=BearerAuth("sk-live"), custom_headers={"X-Tenant": "t1"})
    call_options = make_request_options(extra_headers={"X-Call": "c1", "last-event-id": "stale"})
    items, _ = read_all(shell, client, "/s", options=call_options)
    assert [i["n"] for i in items] == [0, 1, 2]
    first, resumed = shell.server.requests_to("/s")
    for request in (first, resumed):
        assert request.headers["authorization"] == "Bearer sk-live"
        assert request.headers["x-tenant"] == "t1" and request.headers["x-call"] == "c1"
    assert first.headers["last-event-id"] == "stale"  # the caller's own, on the first request
    assert [v for k, v in resumed.header_items if k.lower() == "last-event-id"] == ["0"]


@pytest.mark.parametrize("deadline", [None, 30.0], ids=["no-deadline", "deadline"])
def test_a_reconnect_that_fails_is_retried_by_the_client_and_counted(shell: Shell, deadline: Any) -> None:
    # With a deadline every attempt's request is rebuilt: the reconnect's first attempt still says 1, not 0.
    events = numbered(3)
    shell.server.script("/f", [
        Reply(events=events, cut_after=1),
        Reply(status=503, json={"error": {"message": "busy"}}, headers={"retry-after-ms": "1"}),
        Reply(events=events),
    ])
    options = make_request_options() if deadline is None else make_request_options(deadline=deadline)
    items, stream = read_all(shell, shell.client(container=container()), "/f", options=options)
    assert [i["n"] for i in items] == [0, 1, 2]
    # The count goes on across the reconnect: the reconnect is the stream's first retry, its retry the second.
    assert [r.headers[COUNT_HEADER] for r in shell.server.requests_to("/f")] == ["0", "1", "2"]
    assert stream.response.retries_taken == 2  # the reconnect, and the retry of the reconnect
    assert stream.reconnects == 1


def test_the_resume_retry_event_carries_the_broken_calls_id(shell: Shell) -> None:
    recorder = Recorder()
    shell.server.fail_stream("/sse", cut_after=2, times=2)
    client = shell.client(container=container(hooks=[recorder]))
    read_all(shell, client, "/sse?count=7&ids=1&retry_ms=0")
    calls = [e.call_id for e in recorder.requests]
    assert len(calls) == 3 and all(calls) and len(set(calls)) == 3  # the first call, then each reconnect's
    # Each resume is a retry of the call whose stream broke: the first call, then the first reconnect.
    assert [e.call_id for e in recorder.retries] == calls[:2]


def test_a_reconnect_answered_with_an_error_status_raises_it(shell: Shell) -> None:
    gone = Reply(status=404, json={"error": {"message": "gone"}})
    shell.server.script("/g", [Reply(events=numbered(3), cut_after=1), gone])
    seen: list[Any] = []
    with pytest.raises(NotFoundError, match="gone"):
        read_into(shell, shell.run(shell.client(container=container()).get("/g", cast_to=dict, stream=True)), seen)
    assert seen == [{"n": 0}]


def test_a_stream_from_a_wrapped_resource_method_resumes_too(shell: Shell) -> None:
    from genai_base import (
        AsyncAPIResource,
        SyncAPIResource,
        async_to_raw_response_wrapper,
        to_raw_response_wrapper,
    )

    class Items(SyncAPIResource):
        def events(self, *, extra_headers: Any = None) -> Any:
            options = make_request_options(extra_headers=extra_headers)
            return self._get("/sse?count=4&ids=1&retry_ms=0", cast_to=dict, stream=True, options=options)

    class AsyncItems(AsyncAPIResource):
        async def events(self, *, extra_headers: Any = None) -> Any:
            options = make_request_options(extra_headers=extra_headers)
            return await self._get("/sse?count=4&ids=1&retry_ms=0", cast_to=dict, stream=True, options=options)

    shell.server.fail_stream("/sse", cut_after=2)
    client = shell.client(container=container())
    if shell.is_async:

        async def parsed() -> Any:
            return await (await async_to_raw_response_wrapper(AsyncItems(client).events)()).parse()

        stream = shell.run(parsed())
    else:
        stream = to_raw_response_wrapper(Items(client).events)().parse()
    assert [i["index"] for i in shell.collect(stream)] == [0, 1, 2, 3]
    assert stream.reconnects == 1
    assert [r.headers.get("last-event-id") for r in shell.server.requests_to("/sse")] == [None, "1"]


# -- when a stream does not resume --------------------------------------------------------------


def test_without_ids_a_break_is_reported_not_resumed(shell: Shell) -> None:
    shell.server.fail_stream("/sse", cut_after=2)
    seen: list[Any] = []
    with pytest.raises(StreamInterruptedError, match="cut off") as info:
        client = shell.client(container=container())
        read_into(shell, shell.run(client.get("/sse?count=5", cast_to=dict, stream=True)), seen)
    assert len(seen) == 2 and "not resumed" not in str(info.value)
    assert len(shell.server.requests_to("/sse")) == 1


def test_without_ids_a_silent_stream_still_raises_the_timeout(shell: Shell) -> None:
    shell.server.fail_stream("/sse", stall_after=1)
    client = shell.client(container=container(), timeout=Timeout(5, read=0.2))
    with pytest.raises(APITimeoutError, match=r"silent for more than 0\.2s"):
        read_all(shell, client, "/sse?count=3")


def test_post_streams_resume_only_when_asked_and_send_the_same_request(shell: Shell) -> None:
    shell.server.script("/p", Reply(events=numbered(4), cut_after=2))
    client = shell.client(container=container(), idempotency_header="Idempotency-Key")
    with pytest.raises(StreamInterruptedError, match=r"not resumed: a POST stream resumes only with .*resumable=True"):
        read_all(shell, client, "/p", method="post", body={"q": 1})
    assert len(shell.server.requests_to("/p")) == 1
    shell.server.clear()
    shell.server.script("/p", Reply(events=numbered(3), cut_after=2))
    resumable = make_request_options(resumable=True)
    items, stream = read_all(shell, client, "/p", method="post", body={"q": 1}, options=resumable)
    assert [i["n"] for i in items] == [0, 1, 2] and stream.reconnects == 1
    first, resumed = shell.server.requests_to("/p")
    assert first.json() == resumed.json() == {"q": 1}
    assert first.headers["idempotency-key"] == resumed.headers["idempotency-key"]
    assert resumed.headers["last-event-id"] == "1"


def test_resumable_false_and_stream_reconnects_zero_turn_it_off(shell: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    shell.server.script("/o", Reply(events=numbered(4), cut_after=1))
    client = shell.client(container=container())
    with pytest.raises(StreamInterruptedError, match="not resumed: the call was made with resumable=False"):
        read_all(shell, client, "/o", options=make_request_options(resumable=False))
    with pytest.raises(StreamInterruptedError, match="not resumed: stream_reconnects is 0"):
        read_all(shell, shell.client(container=container(), stream_reconnects=0), "/o")
    monkeypatch.setenv("GENAI_BASE_STREAM_RECONNECTS", "0")
    with pytest.raises(StreamInterruptedError, match="stream_reconnects is 0"):
        read_all(shell, shell.client(container=container()), "/o")
    assert len(shell.server.requests_to("/o")) == 3


def test_after_stream_reconnects_breaks_it_gives_up(shell: Shell) -> None:
    shell.server.script("/x", Reply(events=numbered(10), cut_after=1))  # every connection breaks after one event
    client = shell.client(container=container(stream_reconnects=2))
    stream = shell.run(client.get("/x", cast_to=dict, stream=True))
    seen: list[Any] = []
    gave_up = r"broke again after 2 reconnect\(s\) \(stream_reconnects=2\)"
    with pytest.raises(StreamInterruptedError, match=gave_up) as info:
        read_into(shell, stream, seen)
    assert [i["n"] for i in seen] == [0, 1, 2]
    assert isinstance(info.value.__cause__, StreamInterruptedError)
    assert len(shell.server.requests_to("/x")) == 3
    assert stream.response.is_closed


def test_an_id_that_cannot_be_a_header_is_not_sent(shell: Shell) -> None:
    shell.server.script("/u", Reply(events=[E(id="ünï", data="{}"), E(id="2", data="{}")], cut_after=1))
    with pytest.raises(StreamInterruptedError, match="not resumed: the last event ID is not printable ASCII"):
        read_all(shell, shell.client(container=container()), "/u")


def test_resumable_is_checked_where_it_is_given(shell: Shell) -> None:
    client = shell.client()
    with pytest.raises(ValueError, match=r"resumable=True.*streamed calls"):
        shell.run(client.get("/echo", cast_to=dict, options=make_request_options(resumable=True)))
    with pytest.raises(TypeError, match="True, False or None"):
        make_request_options(resumable="yes")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="resumable='yes'"):
        shell.run(client.get("/sse", cast_to=dict, stream=True, options={"resumable": "yes"}))  # type: ignore[typeddict-item]
    not_resumable = make_request_options(resumable=False)
    assert shell.run(client.get("/echo", cast_to=dict, options=not_resumable))["method"] == "GET"
    assert len(shell.server.requests_to("/sse")) == 0


# -- connections --------------------------------------------------------------------------------


def small_pool_client(shell: Shell, **kwargs: Any) -> Any:
    return shell.client(container=container(pool_size=1), timeout=Timeout(5, pool=1, read=1), **kwargs)


def test_every_path_after_a_resume_releases_the_connection(shell: Shell) -> None:
    client = small_pool_client(shell)
    shell.server.script("/e", Reply(events=numbered(6), cut_after=2))

    async def leave_early_async() -> None:
        async for item in await client.get("/e", cast_to=dict, stream=True):
            if item["n"] == 3:
                break

    def leave_early_sync() -> None:
        for item in client.get("/e", cast_to=dict, stream=True):
            if item["n"] == 3:
                break

    for _ in range(3):  # a connection kept by an abandoned resumed stream would block the next one-connection call
        shell.run(leave_early_async()) if shell.is_async else leave_early_sync()
    shell.server.script("/e", [Reply(events=numbered(3), cut_after=1), Reply(status=404, json={})])
    for _ in range(3):
        with pytest.raises(NotFoundError):
            read_all(shell, client, "/e")
        shell.server.script("/e", [Reply(events=numbered(3), cut_after=1), Reply(status=404, json={})])
    shell.server.script("/e", Reply(events=numbered(3), cut_after=1))
    for _ in range(3):
        with pytest.raises(StreamInterruptedError):
            read_all(shell, small_pool_client(shell, stream_reconnects=1), "/e")
    assert shell.run(client.get("/echo", cast_to=dict))["method"] == "GET"


def open_fds() -> int:
    return len(os.listdir("/proc/self/fd"))


@pytest.mark.slow
@pytest.mark.skipif(not os.path.isdir("/proc/self/fd"), reason="needs /proc to count descriptors")
def test_a_thousand_streams_resumed_twice_leave_nothing_behind(shell: Shell) -> None:
    # Every stream is cut after two events, twice, and resumes at once (retry: 0): 3,000 requests.
    events = [E(id=str(i), data=f'{{"n": {i}}}', retry=0 if i == 0 else None) for i in range(5)]
    shell.server.script("/many", Reply(events=events, cut_after=2))
    baseline = open_fds()
    # Two pooled connections and a short pool timeout: one leaked connection per stream would stall the loop.
    client = shell.client(container=container(pool_size=2, hooks=[]), timeout=Timeout(5, pool=1))

    def one_sync() -> int:
        stream = client.get("/many", cast_to=dict, stream=True)
        assert [i["n"] for i in stream] == [0, 1, 2, 3, 4]
        return stream.reconnects  # type: ignore[no-any-return]

    async def all_async() -> list[int]:
        out = []
        for _ in range(1000):
            stream = await client.get("/many", cast_to=dict, stream=True)
            assert [i["n"] async for i in stream] == [0, 1, 2, 3, 4]
            out.append(stream.reconnects)
        return out

    started = time.monotonic()
    reconnects = shell.run(all_async()) if shell.is_async else [one_sync() for _ in range(1000)]
    elapsed = time.monotonic() - started
    assert reconnects == [2] * 1000
    assert len(shell.server.requests_to("/many")) == 3000
    assert open_fds() <= baseline + 4  # at most the two pooled keep-alive sockets
    shell.run(client.close())
    deadline = time.monotonic() + 2
    while open_fds() > baseline and time.monotonic() < deadline:
        time.sleep(0.02)
    assert open_fds() <= baseline
    assert elapsed < 30
