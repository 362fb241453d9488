"""Rate limiters: the ``none`` and ``local`` built-ins, server feedback, deadlines, settings (both shells)."""

from __future__ import annotations

import asyncio
import dataclasses
import os
import threading
import time
from typing import Any, Iterator, Mapping, Optional

import pytest
from requests.structures import CaseInsensitiveDict

from genai_base import (
    APIResponse,
    APITimeoutError,
    AsyncAPIClient,
    ClientContainer,
    ConfigurationError,
    Headers,
    LocalRateLimiter,
    NoRateLimiter,
    RateLimiter,
    RateLimitError,
    ServerFeedback,
    SyncAPIClient,
    Timeout,
    read_feedback,
)
from genai_base._config_report import describe
from genai_base._engine import EXCHANGE, FEEDBACK, LIMIT, READ, SEND, SLEEP, Call, FlowRunner
from genai_base._options import FinalRequestOptions
from genai_base._ratelimit import parse_duration
from genai_base.testing import FakeAPIServer, Reply

from .conftest import Shell


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    for name in list(os.environ):
        if name.startswith("GENAI_BASE_"):
            monkeypatch.delenv(name)
    yield


def limited(**rate_limit: Any) -> ClientContainer:
    container = ClientContainer()
    container.config.from_dict({"rate_limiter": "local", "rate_limit": rate_limit})
    return container


def timed(shell: Shell, client: Any, n: int, path: str = "/echo") -> float:
    started = time.monotonic()
    for _ in range(n):
        shell.run(client.get(path, cast_to=dict))
    return time.monotonic() - started


def headers(**values: str) -> CaseInsensitiveDict[str]:
    return CaseInsensitiveDict({k.replace("_", "-"): v for k, v in values.items()})


# -- reading what a server says ------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, seconds",
    [("30", 30.0), ("0.5", 0.5), ("1m30s", 90.0), ("6m0s", 360.0), ("20ms", 0.02), ("1h", 3600.0),
     ("1.5s", 1.5), (" 2s ", 2.0), ("", None), ("soon", None), ("1x", None), ("-1", None), ("inf", None),
     ("1m30", None), (None, None)],
)
def test_parse_duration(text: Optional[str], seconds: Optional[float]) -> None:
    assert parse_duration(text) == (None if seconds is None else pytest.approx(seconds))


@pytest.mark.parametrize(
    "status, values, expected",
    [
        (200, {}, None),
        (200, {"x_ratelimit_remaining_requests": "7"}, ServerFeedback(None, 7)),
        (429, {"retry_after": "2"}, ServerFeedback(2.0, None)),
        (503, {"retry_after_ms": "250"}, ServerFeedback(0.25, None)),
        (500, {"retry_after": "2"}, None),  # only 429 and 503 pause everyone
        (429, {"retry_after": "3600"}, None),  # beyond the ceiling: not honoured
        (429, {"retry_after": "0"}, None),
        (200, {"x_ratelimit_remaining_requests": "0", "x_ratelimit_reset_requests": "1m30s"}, ServerFeedback(60.0, 0)),
        (200, {"x_ratelimit_remaining_requests": "0", "x_ratelimit_reset_requests": "900ms",
               "x_ratelimit_limit_requests": "3"}, ServerFeedback(pytest.approx(0.3), 0)),
        (200, {"x_ratelimit_remaining_requests": "0"}, ServerFeedback(None, 0)),
        (200, {"x_ratelimit_remaining_requests": "lots"}, None),
        (429, {"retry_after": "1", "x_ratelimit_remaining_requests": "0", "x_ratelimit_reset_requests": "9"},
         ServerFeedback(1.0, 0)),
    ],
)
def test_read_feedback(status: int, values: dict[str, str], expected: Optional[ServerFeedback]) -> None:
    assert read_feedback(status, headers(**values)) == expected


def test_the_built_ins_follow_the_protocol() -> None:
    assert isinstance(NoRateLimiter(), RateLimiter)
    assert isinstance(LocalRateLimiter(5), RateLimiter)


@pytest.mark.parametrize("rps, burst", [(0, 1), (-1, 1), (float("inf"), 1), (1, 0), (1, 1.5), (True, 1)])
def test_local_limiter_refuses_bad_numbers(rps: Any, burst: Any) -> None:
    with pytest.raises(ValueError, match=r"rps|burst"):
        LocalRateLimiter(rps, burst)


# -- the limit, end to end -------------------------------------------------------------------------


def test_none_is_the_default_and_skipped(shell: Shell) -> None:
    client = shell.client()
    assert isinstance(client._rate_limiter, NoRateLimiter) and client._rate_limited is False
    assert shell.run(client.get("/echo", cast_to=dict))["method"] == "GET"


def test_local_spaces_requests(shell: Shell) -> None:
    client = shell.client(container=limited(rps=20))
    assert isinstance(client._rate_limiter, LocalRateLimiter)
    assert timed(shell, client, 5) >= 4 * 0.05 - 0.01


def test_local_allows_a_burst_then_the_rate(shell: Shell) -> None:
    client = shell.client(container=limited(rps=10, burst=4))
    started = time.monotonic()
    timed(shell, client, 1)  # the first call also makes the transport (a TLS context, a session): not timed
    assert timed(shell, client, 3) < 0.18  # the rest of the burst: not spaced (that would take 0.3 s)
    timed(shell, client, 1)
    assert time.monotonic() - started >= 0.095  # the 5th waits for the first slot that came back


def test_copies_share_one_bucket(shell: Shell) -> None:
    client = shell.client(container=limited(rps=20))
    copy = client.copy(max_retries=1)
    assert copy._rate_limiter is client._rate_limiter
    started = time.monotonic()
    for made in (client, copy, client, copy):
        shell.run(made.get("/echo", cast_to=dict))
    assert time.monotonic() - started >= 3 * 0.05 - 0.01


def test_threads_share_the_bucket(fake_api: FakeAPIServer) -> None:
    container = limited(rps=100)
    with SyncAPIClient(version="1", base_url=fake_api.url, container=container) as client:
        def work() -> None:
            for _ in range(5):
                client.get("/echo", cast_to=dict)

        threads = [threading.Thread(target=work) for _ in range(4)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert time.monotonic() - started >= 19 * 0.01 - 0.01
    assert len(fake_api.requests) == 20


def test_a_429_retry_after_pauses_every_sharer(shell: Shell, fake_api: FakeAPIServer) -> None:
    client = shell.client(container=limited(rps=1000, burst=10), max_retries=0)
    copy = client.copy()
    fake_api.script("/busy", Reply(status=429, headers={"retry-after": "0.3"}, json={"error": "slow down"}))
    with pytest.raises(RateLimitError):
        shell.run(client.get("/busy", cast_to=dict))
    assert timed(shell, copy, 1) >= 0.25


def test_remaining_zero_pauses_until_the_servers_next_request(shell: Shell, fake_api: FakeAPIServer) -> None:
    client = shell.client(container=limited(rps=1000, burst=10))
    fake_api.script("/last", Reply(json={}, headers={"x-ratelimit-remaining-requests": "0",
                                                     "x-ratelimit-reset-requests": "900ms",
                                                     "x-ratelimit-limit-requests": "3"}))
    shell.run(client.get("/last", cast_to=dict))
    assert 0.25 <= timed(shell, client, 1) < 0.75  # reset / limit, not the whole 0.9 s reset


def test_remaining_lowers_the_burst(shell: Shell, fake_api: FakeAPIServer) -> None:
    client = shell.client(container=limited(rps=20, burst=5))
    fake_api.script("/few", Reply(json={}, headers={"x-ratelimit-remaining-requests": "1"}))
    started = time.monotonic()
    shell.run(client.get("/few", cast_to=dict))  # the server says one is left: the burst is gone
    timed(shell, client, 3)  # one at once, then one every 50 ms (with the burst: all three at once)
    assert time.monotonic() - started >= 0.095


def test_no_slot_within_the_deadline_fails_at_once(shell: Shell, fake_api: FakeAPIServer) -> None:
    client = shell.client(container=limited(rps=1), deadline=0.3)
    shell.run(client.get("/echo", cast_to=dict))
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match=r"no free slot within the 0\.\d+s the call has left"):
        shell.run(client.get("/echo", cast_to=dict))
    assert time.monotonic() - started < 0.2  # sleeping for the slot would take the 0.3 s
    assert len(fake_api.requests) == 1  # nothing was sent


def test_the_attempts_total_timeout_bounds_the_wait(shell: Shell) -> None:
    client = shell.client(container=limited(rps=2), timeout=Timeout(5, total=0.2))
    shell.run(client.get("/echo", cast_to=dict))
    with pytest.raises(APITimeoutError, match="no free slot"):
        shell.run(client.get("/echo", cast_to=dict))


def test_async_waiting_does_not_block_the_loop(fake_api: FakeAPIServer) -> None:
    async def main() -> int:
        ticks = 0
        async with AsyncAPIClient(version="1", base_url=fake_api.url, container=limited(rps=10)) as client:
            async def ticker() -> None:
                nonlocal ticks
                while True:
                    await asyncio.sleep(0.01)
                    ticks += 1

            task = asyncio.create_task(ticker())
            await asyncio.gather(*(client.get("/echo", cast_to=dict) for _ in range(3)))
            task.cancel()
        return ticks

    assert asyncio.run(main()) >= 10  # ~0.2 s of waiting, the ticker ran all along


def test_an_object_can_be_put_in(shell: Shell) -> None:
    limiter = LocalRateLimiter(50)
    container = ClientContainer()
    container.rate_limiter.override(limiter)
    client = shell.client(container=container)
    assert client._rate_limiter is limiter and client._rate_limited


class Recorder:
    """A rate limiter that records what the client asked of it."""

    def __init__(self) -> None:
        self.timeouts: list[Optional[float]] = []
        self.statuses: list[int] = []

    def acquire(self, timeout: Optional[float]) -> None:
        self.timeouts.append(timeout)

    async def acquire_async(self, timeout: Optional[float]) -> None:
        self.timeouts.append(timeout)

    def feedback(self, status: int, headers: Mapping[str, str]) -> None:
        assert headers.get("CONTENT-TYPE") == headers.get("content-type")  # case-insensitive
        self.statuses.append(status)

    async def feedback_async(self, status: int, headers: Mapping[str, str]) -> None:
        self.feedback(status, headers)


def test_every_attempt_asks_and_every_response_tells(shell: Shell, fake_api: FakeAPIServer) -> None:
    recorder = Recorder()
    container = ClientContainer()
    container.rate_limiter.override(recorder)
    client = shell.client(container=container, deadline=5.0)
    fake_api.script("/flaky", [Reply(status=503, headers={"retry-after": "0.01"}), Reply(json={"ok": True})])
    assert shell.run(client.get("/flaky", cast_to=dict)) == {"ok": True}
    assert recorder.statuses == [503, 200]
    assert len(recorder.timeouts) == 2
    assert all(t is not None and 4.5 < t <= 5.0 for t in recorder.timeouts)
    shell.run(client.copy(deadline=None).get("/echo", cast_to=dict))
    assert recorder.timeouts[-1] is None  # no deadline and no total timeout: no bound


# -- settings --------------------------------------------------------------------------------------


def test_settings_defaults_and_sources(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = ClientContainer().settings()
    assert settings["rate_limiter"] == "none"
    assert settings["rate_limit"] == {"rps": None, "burst": 1, "key": None, "url": None, "fail_open": True,
                                      "redis_timeout": 0.1, "lease": 8, "lease_window": 0.005}
    monkeypatch.setenv("GENAI_BASE_RATE_LIMIT__RPS", "12.5")
    monkeypatch.setenv("GENAI_BASE_RATE_LIMIT__FAIL_OPEN", "false")
    container = ClientContainer()
    container.config.from_dict({"rate_limit": {"burst": "4"}})
    settings = container.settings()
    assert (settings["rate_limit"]["rps"], settings.source("rate_limit.rps")) == (12.5, "environment")
    assert (settings["rate_limit"]["burst"], settings.source("rate_limit.burst")) == (4, "configuration")
    assert settings["rate_limit"]["fail_open"] is False


@pytest.mark.parametrize(
    "variable, value, message",
    [
        ("RATE_LIMIT__RPS", "-5", r"'rate_limit.rps' from environment variable GENAI_BASE_RATE_LIMIT__RPS: '-5' "
                                  r"\(must be a positive finite number of requests per second\)"),
        ("RATE_LIMIT__RPS", "fast", r"'rate_limit.rps'.*expected a number of requests per second"),
        ("RATE_LIMIT__BURST", "0", r"'rate_limit.burst'.*must be >= 1"),
        ("RATE_LIMIT__FAIL_OPEN", "perhaps", r"'rate_limit.fail_open'.*boolean"),
        ("RATE_LIMIT__REDIS_TIMEOUT", "0", r"'rate_limit.redis_timeout'.*more than 0"),
        ("RATE_LIMIT__LEASE", "-1", r"'rate_limit.lease'.*must be >= 0"),
        ("RATE_LIMIT__LEASE_WINDOW", "0", r"'rate_limit.lease_window'.*more than 0"),
        ("RATE_LIMIT__RPM", "5", r"'rate_limit.rpm'.*unknown entry; known: rps, burst"),
        ("RATE_LIMITER", "leaky", r"no plugin named 'leaky' in group genai_base.rate_limiters.*local, none"),
    ],
)
def test_bad_settings_fail_when_the_client_is_built(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, message: str
) -> None:
    monkeypatch.setenv(f"GENAI_BASE_{variable}", value)
    with pytest.raises(ConfigurationError, match=message):
        SyncAPIClient(version="1", base_url="http://127.0.0.1:9")


def test_local_needs_a_rate() -> None:
    container = ClientContainer()
    container.config.from_dict({"rate_limiter": "local"})
    with pytest.raises(ConfigurationError, match=r"local rate limiter needs 'rate_limit.rps'"):
        SyncAPIClient(version="1", base_url="http://127.0.0.1:9", container=container)


def test_the_redis_url_password_is_never_shown() -> None:
    container = ClientContainer()
    container.config.from_dict({"rate_limit": {"url": "redis://:hunter2@cache.local:6379/0", "rps": 5}})
    settings = container.settings()
    described = describe(container)
    assert described["rate_limit.url"].value == "redis://<redacted>@cache.local:6379/0"
    assert described["rate_limit.rps"].value == 5.0
    assert "hunter2" not in repr(settings) and "hunter2" not in repr(described)
    container.config.from_dict({"rate_limit": {"url": "redis://:hunter2@cache.local:6379/0", "rps": -1}})
    with pytest.raises(ConfigurationError) as info:
        container.settings()
    assert "hunter2" not in str(info.value)
    container.config.from_dict({"rate_limit": {"url": 5}})
    with pytest.raises(ConfigurationError, match=r"'rate_limit.url'.*expected a string"):
        container.settings()


# -- the engine's steps (a scripted driver: no sockets, a test clock) --------------------------


class _Head:
    def __init__(self, status: int, headers: Optional[dict[str, str]] = None) -> None:
        self.status_code = status
        self.headers = Headers({"content-type": "application/json", **(headers or {})})
        self.content_type = "application/json"
        self.http_version = "HTTP/1.1"
        self.url = ""
        self.is_closed = False

    def read(self) -> bytes:
        self.is_closed = True
        return b"{}"

    def close(self) -> None:
        self.is_closed = True


def _scripted_call(**client: Any) -> tuple[Any, list[float]]:
    made = SyncAPIClient(version="1", base_url="https://api.test/v1", container=limited(rps=5), **client)
    made.close()
    now = [100.0]
    config = dataclasses.replace(made._engine, clock=lambda: now[0])
    return Call(config, FinalRequestOptions(method="get", url="/items"), dict), now


def test_the_flow_asks_for_a_slot_before_every_attempt_and_shows_every_response() -> None:
    call, now = _scripted_call(max_retries=1, deadline=10.0)
    replies = iter([_Head(503, {"retry-after": "0.5"}), _Head(200)])
    steps: list[tuple[str, Any]] = []
    runner = FlowRunner(call)
    while runner.step is not None:
        kind, arg = runner.step
        steps.append((kind, arg))
        result: Any = None
        if kind is SEND:
            result = next(replies)
            now[0] += 1.0
        elif kind is READ:
            result = arg.read()
        elif kind is SLEEP:
            now[0] += arg
        runner.answer(result)
    assert [kind for kind, _ in steps] == [LIMIT, SEND, FEEDBACK, READ, SLEEP, LIMIT, SEND, FEEDBACK, READ]
    assert [arg for kind, arg in steps if kind is LIMIT] == [10.0, 8.5]  # what the deadline left each time
    assert [arg.status_code for kind, arg in steps if kind is FEEDBACK] == [503, 200]


def test_a_limiter_error_ends_the_call_unsent_and_unretried() -> None:
    call, _ = _scripted_call(max_retries=3)
    runner = FlowRunner(call)
    assert runner.step == (LIMIT, None)  # no deadline, no total timeout: no bound
    runner.answer(APITimeoutError("no free slot"))
    assert runner.step is None and runner.attempt is not None
    with pytest.raises(APITimeoutError, match="no free slot"):
        call.conclude(runner.attempt, APIResponse)
    assert call.retries_taken == 0


def test_no_limiter_no_steps() -> None:
    made = SyncAPIClient(version="1", base_url="https://api.test/v1")
    made.close()
    assert made._engine.rate_limited is False
    runner = FlowRunner(Call(made._engine, FinalRequestOptions(method="get", url="/x"), dict))
    assert runner.step is not None and runner.step[0] is EXCHANGE  # straight to the exchange: no LIMIT step
    runner.close()
