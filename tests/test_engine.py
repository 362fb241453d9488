"""The call flow driven by a scripted driver: no sockets, no transport, a clock the test moves.

Each test gives the flow a script of what the "server" answers, runs it with
:func:`drive`, and checks what the flow asked for (the requests it sent, the
sleeps) and what it concluded.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Iterator, Optional, Union

import pytest

from genai_base import (
    APIConnectionError,
    APIResponse,
    APITimeoutError,
    BearerAuth,
    Headers,
    InternalServerError,
    SyncAPIClient,
    TooManyRedirectsError,
)
from genai_base._engine import AUTH, EXCHANGE, READ, SEND, SLEEP, Call, FlowRunner
from genai_base._options import FinalRequestOptions
from genai_base._request import PreparedRequest


class ScriptedResponse:
    """A response head and body the script hands the flow (the transport-neutral interface)."""

    def __init__(self, status: int, body: bytes = b"{}", headers: Optional[dict[str, str]] = None) -> None:
        self.status_code = status
        self.headers = Headers({"content-type": "application/json", **(headers or {})})
        self.content_type = self.headers.get("content-type")
        self.http_version = "HTTP/1.1"
        self.url = ""
        self.body = body
        self.is_closed = False

    def read(self) -> bytes:
        self.is_closed = True
        return self.body

    def close(self) -> None:
        self.is_closed = True


Reply = Union[ScriptedResponse, Exception]


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def make_call(
    replies: list[Reply], *, cast_to: Any = dict, clock: Optional[Clock] = None, stream: bool = False, **client: Any
) -> tuple[Call, "Script"]:
    client.setdefault("max_retries", 2)
    made = SyncAPIClient(version="1", base_url="https://api.test/v1", **client)
    made.close()  # the scripted driver never touches the pool
    config = dataclasses.replace(made._engine, clock=clock or Clock())
    options = FinalRequestOptions(method="get", url="/items")
    return Call(config, options, cast_to, stream), Script(replies, clock)


class Script:
    """Answers each SEND with the next reply; records what the flow asked for."""

    def __init__(self, replies: list[Reply], clock: Optional[Clock]) -> None:
        self.replies: Iterator[Reply] = iter(replies)
        self.sent: list[PreparedRequest] = []
        self.slept: list[float] = []
        self.responses: list[ScriptedResponse] = []
        self.clock = clock
        self.asked_exchange = False

    def drive(self, call: Call) -> Any:
        runner = FlowRunner(call)
        while runner.step is not None:
            kind, arg = runner.step
            result: Any = None
            if kind is SEND or kind is EXCHANGE:
                self.sent.append(arg)
                reply = next(self.replies)
                if isinstance(reply, Exception):
                    result = reply
                else:
                    self.responses.append(reply)
                    result = reply
                if self.clock is not None:
                    self.clock.now += 1.0  # every exchange takes a second of the test's clock
                if kind is EXCHANGE and not isinstance(result, Exception):
                    self.asked_exchange = True
                    result = (result, result.read())
            elif kind is READ:
                result = arg.read()
            elif kind is SLEEP:
                self.slept.append(arg)
                if self.clock is not None:
                    self.clock.now += arg
            else:
                assert kind is AUTH
                pytest.fail("the sync flow asked for an async auth step")
            runner.answer(result)
        assert runner.attempt is not None
        return call.conclude(runner.attempt, APIResponse)[0]


def test_a_plain_call_sends_once_and_loads_the_body() -> None:
    call, script = make_call([ScriptedResponse(200, b'{"id": "a"}')])
    assert script.drive(call) == {"id": "a"}
    assert len(script.sent) == 1 and script.slept == []
    assert script.sent[0].url == "https://api.test/v1/items"
    assert script.sent[0].headers["x-genai-retry-count"] == "0"
    assert script.responses[0].is_closed
    assert script.asked_exchange  # send and read as one step: nothing sits between them


def test_a_plain_call_asks_one_exchange_step() -> None:
    call, script = make_call([ScriptedResponse(200, b'{"id": "a"}')])
    runner = FlowRunner(call)
    assert runner.step is not None and runner.step[0] is EXCHANGE
    response = next(script.replies)
    assert isinstance(response, ScriptedResponse)
    runner.answer((response, response.read()))
    assert runner.step is None and runner.attempt is not None and runner.attempt.ok
    assert call.conclude(runner.attempt, APIResponse)[0] == {"id": "a"}


def test_retries_sleep_the_servers_wait_and_count_attempts() -> None:
    replies: list[Reply] = [
        ScriptedResponse(503, b"busy", {"retry-after-ms": "250"}),
        ScriptedResponse(429, b"slow down", {"retry-after": "2"}),
        ScriptedResponse(200, b'{"ok": true}'),
    ]
    call, script = make_call(replies)
    assert script.drive(call) == {"ok": True}
    assert script.slept == [0.25, 2.0]
    assert [r.headers["x-genai-retry-count"] for r in script.sent] == ["0", "1", "2"]
    assert call.retries_taken == 2
    assert all(r.is_closed for r in script.responses)  # every error body read, every connection released


def test_retries_stop_at_max_retries_with_the_status_error() -> None:
    call, script = make_call([ScriptedResponse(500, b'{"error": "x"}')] * 3, max_retries=2)
    with pytest.raises(InternalServerError) as info:
        script.drive(call)
    assert len(script.sent) == 3
    assert info.value.body == {"error": "x"} and "Error code: 500" in info.value.message


def test_x_should_retry_false_overrides_the_status_rule() -> None:
    call, script = make_call([ScriptedResponse(503, b"", {"x-should-retry": "false"})])
    with pytest.raises(InternalServerError):
        script.drive(call)
    assert len(script.sent) == 1 and script.slept == []


def test_a_transport_error_is_thrown_in_and_retried() -> None:
    replies: list[Reply] = [APIConnectionError("connection error: refused"), ScriptedResponse(200)]
    call, script = make_call(replies)
    assert script.drive(call) == {}
    assert len(script.sent) == 2 and len(script.slept) == 1
    assert 0.375 <= script.slept[0] <= 0.5  # the first backoff step, jittered into [0.75, 1]


def test_the_deadline_ends_retries_by_the_clock_it_is_given() -> None:
    clock = Clock()
    timeouts: list[Reply] = [APITimeoutError("read timed out")] * 10
    call, script = make_call(timeouts, clock=clock, deadline=2.5, max_retries=10)
    with pytest.raises(APITimeoutError) as info:
        script.drive(call)
    assert "deadline of 2.5s" in info.value.message
    assert clock.now - 100.0 <= 2.5 + 1.0  # no sleep past the deadline
    # Every attempt's timeouts were cut to what was left of the deadline.
    assert all(r.timeout.read is not None and r.timeout.read <= 2.5 for r in script.sent)


def test_redirects_are_followed_and_credentials_dropped_off_origin() -> None:
    replies: list[Reply] = [
        ScriptedResponse(302, b"", {"location": "/v1/moved"}),
        ScriptedResponse(307, b"", {"location": "https://other.test/x"}),
        ScriptedResponse(200, b'{"here": 1}'),
    ]
    call, script = make_call(replies, auth=BearerAuth("tok"), custom_headers={"x-goog-api-key": "k"})
    assert script.drive(call) == {"here": 1}
    first, same_origin, other = script.sent
    assert first.headers["authorization"] == "Bearer tok" and same_origin.url == "https://api.test/v1/moved"
    assert same_origin.headers["authorization"] == "Bearer tok"
    assert other.url == "https://other.test/x"
    assert "authorization" not in other.headers and "x-goog-api-key" not in other.headers
    assert script.responses[0].is_closed and script.responses[1].is_closed


def test_redirect_loops_end_with_too_many_redirects() -> None:
    loop: list[Reply] = [ScriptedResponse(302, b"", {"location": "/v1/items"})] * 30
    call, script = make_call(loop, max_retries=0, max_redirects=3)
    with pytest.raises(TooManyRedirectsError):
        script.drive(call)
    assert len(script.sent) == 4


@pytest.mark.parametrize("location", ["http://evil.test\\@api.test/", "ftp://api.test/x", "http:///nohost"])
def test_ambiguous_redirect_locations_are_refused(location: str) -> None:
    call, script = make_call([ScriptedResponse(302, b"", {"location": location})], max_retries=0)
    with pytest.raises(APIConnectionError, match="refusing to follow a redirect"):
        script.drive(call)
    assert len(script.sent) == 1


def test_a_raw_call_gets_an_unfollowed_3xx_as_its_response() -> None:
    call, script = make_call([ScriptedResponse(304, b"")], cast_to=APIResponse[dict])
    call.follow_redirects = False
    response = script.drive(call)
    assert isinstance(response, APIResponse) and response.status_code == 304


def test_auth_refresh_after_a_401_sends_the_new_token() -> None:
    tokens = iter(["old", "new"])
    replies: list[Reply] = [ScriptedResponse(401, b"", {}), ScriptedResponse(200)]
    call, script = make_call(replies, auth=BearerAuth(token_provider=lambda: next(tokens)))
    assert script.drive(call) == {}
    assert [r.headers["authorization"] for r in script.sent] == ["Bearer old", "Bearer new"]
    assert script.responses[0].is_closed  # the refused response is released before the retry


def test_a_streamed_call_leaves_the_body_unread() -> None:
    call, script = make_call([ScriptedResponse(200, b"data: x\n\n")], stream=True)
    runner = FlowRunner(call)
    asked = []
    while runner.step is not None:
        kind, arg = runner.step
        asked.append(kind)
        runner.answer(script.replies.__next__() if kind is SEND else arg.read())
    assert asked == [SEND]
    assert runner.attempt is not None and runner.attempt.ok and runner.attempt.content is None


def test_closing_an_interrupted_flow_releases_its_response() -> None:
    response = ScriptedResponse(500)
    call, _ = make_call([response], stream=True)  # a failed stream: sent, then its error body read
    runner = FlowRunner(call)
    assert runner.step is not None and runner.step[0] is SEND
    runner.answer(response)
    assert runner.step is not None and runner.step[0] is READ
    runner.close()  # e.g. the driver was cancelled while reading
    assert response.is_closed
