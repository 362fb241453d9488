"""Timeouts on both shells: read timeouts retried, the per-call deadline, and pool timeouts.

Every wait here is a few tens of milliseconds at most: timeouts are short,
backoff waits are a millisecond or two, and slow server routes are left
behind rather than waited for.
"""

from __future__ import annotations

import time
from typing import Any, Optional

import pytest

from genai_base import (
    APIConnectionError,
    APIResponse,
    APIStatusError,
    APITimeoutError,
    ClientContainer,
    ExponentialRetryPolicy,
    InternalServerError,
    PoolTimeoutError,
    SyncAPIClient,
    Timeout,
    make_request_options,
)
from genai_base._transports.aiohttp import client_timeout
from genai_base._transports.requests import current_attempt_timeout
from genai_base.testing import Reply

from .conftest import Shell, attempts


def fast_client(shell: Shell, *, config: Optional[dict[str, Any]] = None, **kwargs: Any) -> Any:
    """A client whose backoff waits are a millisecond or two."""
    container = ClientContainer()
    if config:
        container.config.from_dict(config)
    container.retry_policy.override(ExponentialRetryPolicy(initial_delay=0.001, max_delay=0.002))
    return shell.client(container=container, **kwargs)


# -- read timeouts -------------------------------------------------------------------------------


def test_read_timeout_is_retried_then_raised(shell: Shell) -> None:
    client = fast_client(shell, timeout=Timeout(2, read=0.03), max_retries=2)
    with pytest.raises(APITimeoutError, match="read timed out"):
        shell.run(client.get("/slow?seconds=0.5", cast_to=dict))
    assert attempts(shell, "/slow") == 3
    assert [r.headers["x-genai-retry-count"] for r in shell.server.requests_to("/slow")] == ["0", "1", "2"]


def test_read_timeout_then_success(shell: Shell) -> None:
    shell.server.script("/f", [Reply(json={}, delay=1), Reply(json={"ok": True})])
    client = fast_client(shell, timeout=Timeout(2, read=0.1))
    response = shell.run(client.get("/f", cast_to=APIResponse[dict]))
    assert response.retries_taken == 1
    assert shell.run(response.parse()) == {"ok": True}


def test_per_call_timeout_wins(shell: Shell) -> None:
    client = fast_client(shell, timeout=Timeout(2, read=0.02), max_retries=0)
    body = shell.run(client.get("/slow?seconds=0.05", cast_to=dict, options=make_request_options(timeout=2)))
    assert body == {"slept": 0.05}


# -- the call's deadline ---------------------------------------------------------------------------


def test_deadline_stops_retries_before_the_next_wait_would_pass_it(shell: Shell) -> None:
    shell.server.script("/f", Reply(status=503, headers={"retry-after-ms": "30"}))
    client = fast_client(shell, deadline=0.1, max_retries=20)
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match=r"deadline of 0\.1s ran out") as info:
        shell.run(client.get("/f", cast_to=dict))
    assert time.monotonic() - started < 0.5  # 21 attempts 30 ms apart would take 0.6 s
    assert 1 <= attempts(shell, "/f") <= 4  # waits of 30 ms fit at most three times into 100 ms
    # The last error: the 503 (no wait fitted), or an attempt the deadline cut (a slow answer on a busy machine).
    assert isinstance(info.value.__cause__, (InternalServerError, APITimeoutError))
    assert "503" in str(info.value) or isinstance(info.value.__cause__, APITimeoutError)


def test_deadline_cuts_the_attempt_timeout(shell: Shell) -> None:
    client = fast_client(shell, timeout=Timeout(5), max_retries=5)
    shell.run(client.get("/echo", cast_to=dict))  # the async session (its TLS context: ~50 ms) exists first
    started = time.monotonic()
    # Long enough for the server (a thread of this process) to take the request before it is cut.
    with pytest.raises(APITimeoutError, match=r"deadline of 0\.25s ran out after 1 attempt") as info:
        shell.run(client.get("/slow?seconds=2", cast_to=dict, options=make_request_options(deadline=0.25)))
    assert time.monotonic() - started < 1.0  # not the attempt's own 5 s
    assert attempts(shell, "/slow") == 1
    assert isinstance(info.value.__cause__, APITimeoutError)


def test_deadline_does_not_touch_a_final_error_or_a_success(shell: Shell) -> None:
    shell.server.script("/bad", Reply(status=400))
    client = fast_client(shell, deadline=0.5)
    with pytest.raises(APIStatusError) as info:
        shell.run(client.get("/bad", cast_to=dict))
    assert info.value.status_code == 400
    shell.server.script("/flaky", [Reply(status=503), Reply(json={"ok": 1})])
    assert shell.run(client.get("/flaky", cast_to=dict)) == {"ok": 1}


def test_deadline_is_off_by_default_and_per_call_none_turns_it_off(shell: Shell) -> None:
    assert fast_client(shell).deadline is None
    client = fast_client(shell, deadline=0.01, max_retries=0)
    body = shell.run(client.get("/slow?seconds=0.03", cast_to=dict, options=make_request_options(deadline=None)))
    assert body == {"slept": 0.03}


def test_deadline_from_configuration(shell: Shell) -> None:
    client = fast_client(shell, config={"deadline": 0.03})
    assert client.deadline == 0.03
    with pytest.raises(APITimeoutError, match="deadline"):
        shell.run(client.get("/slow?seconds=1", cast_to=dict))


def test_attempt_timeout_is_cut_to_what_is_left(shell: Shell) -> None:
    client = shell.client(timeout=Timeout(60, connect=5), deadline=10)
    response = shell.run(client.get("/echo", cast_to=APIResponse[dict]))
    # What the attempt was sent with: its timeouts already cut to the deadline.
    timeout = response.http_request.timeout
    assert timeout.connect == 5 and timeout.read is not None and 9 < timeout.read <= 10


def test_the_requests_adapter_reads_the_attempt_timeout(fake_api: Any) -> None:
    # requests cannot pass a pool timeout to urllib3: the sync shell publishes the attempt's
    # timeouts in a context variable just before sending, and the adapter's pools read it there.
    seen: list[Optional[Timeout]] = []

    class Spy:
        def on_response(self, event: Any) -> None:
            seen.append(current_attempt_timeout())

    container = ClientContainer()
    container.hooks.override([Spy()])
    with SyncAPIClient(version="1", base_url=fake_api.url, container=container, timeout=Timeout(7, pool=3)) as client:
        client.get("/echo", cast_to=dict)
    (timeout,) = seen
    assert timeout is not None and timeout.pool == 3 and timeout.read == 7


# -- pool timeouts ------------------------------------------------------------------------------------


def _hold_the_only_connection(shell: Shell, client: Any) -> Any:
    """A streamed response whose body is still coming, so its connection stays out of the pool."""
    return shell.run(client.get("/slow-body?seconds=5", cast_to=APIResponse[bytes], stream=True))


def test_pool_timeout_when_every_connection_is_busy(shell: Shell) -> None:
    client = fast_client(shell, config={"pool_size": 1, "pool_keepalive": 1}, max_retries=0)
    held = _hold_the_only_connection(shell, client)
    started = time.monotonic()
    # aiohttp has one timer for the pool wait and the connect (set to pool + connect): keep both short.
    timeout = Timeout(2, connect=0.02, pool=0.02)
    try:
        with pytest.raises(PoolTimeoutError, match=r"no pooled connection became free within 0\.02s") as info:
            shell.run(client.get("/echo", cast_to=dict, options=make_request_options(timeout=timeout)))
    finally:
        shell.run(held.close())
    elapsed = time.monotonic() - started
    assert isinstance(info.value, APIConnectionError) and not isinstance(info.value, APITimeoutError)
    assert elapsed < 1.5
    assert attempts(shell, "/echo") == 0
    assert shell.run(client.get("/echo", cast_to=dict))["method"] == "GET"  # free again


def test_pool_timeout_is_retried(shell: Shell) -> None:
    sent: list[int] = []

    class Spy:
        def on_request(self, event: Any) -> None:
            sent.append(event.attempt)

    container = ClientContainer()
    container.config.from_dict({"pool_size": 1, "pool_keepalive": 1})
    container.retry_policy.override(ExponentialRetryPolicy(initial_delay=0.001, max_delay=0.002))
    container.hooks.override([Spy()])
    client = shell.client(container=container, max_retries=2)
    held = _hold_the_only_connection(shell, client)
    sent.clear()
    try:
        with pytest.raises(PoolTimeoutError):
            shell.run(client.get("/echo", cast_to=dict, options=make_request_options(timeout=Timeout(0.02))))
    finally:
        shell.run(held.close())
    assert sent == [0, 1, 2]
    assert attempts(shell, "/echo") == 0


def test_deadline_cuts_the_pool_wait(shell: Shell) -> None:
    client = fast_client(shell, config={"pool_size": 1, "pool_keepalive": 1}, timeout=Timeout(5), max_retries=3)
    held = _hold_the_only_connection(shell, client)
    started = time.monotonic()
    try:
        with pytest.raises(APITimeoutError, match="deadline") as info:
            shell.run(client.get("/echo", cast_to=dict, options=make_request_options(deadline=0.03)))
    finally:
        shell.run(held.close())
    assert time.monotonic() - started < 1
    assert isinstance(info.value.__cause__, PoolTimeoutError)


def test_connect_timeout_is_not_a_pool_timeout(shell: Shell, blackhole_port: int) -> None:
    client = fast_client(
        shell, base_url=f"http://127.0.0.1:{blackhole_port}", timeout=Timeout(2, connect=0.03), max_retries=0
    )
    with pytest.raises(APITimeoutError, match="connect timed out") as info:
        shell.run(client.get("/x", cast_to=dict))
    assert not isinstance(info.value, PoolTimeoutError)


def test_a_pool_of_one_serves_calls_one_after_another(shell: Shell) -> None:
    client = fast_client(shell, config={"pool_size": 1, "pool_keepalive": 1}, timeout=Timeout(2, pool=0.05))
    for _ in range(5):
        assert shell.run(client.get("/echo", cast_to=dict))["method"] == "GET"




# -- how Timeout maps onto aiohttp -------------------------------------------------------------------


def test_aiohttp_timeouts() -> None:
    mapped = client_timeout(Timeout(60, connect=5, pool=2, total=100))
    assert (mapped.total, mapped.connect, mapped.sock_connect, mapped.sock_read) == (100, 5, 5, 60)
    unbounded = client_timeout(Timeout(None))
    assert (unbounded.total, unbounded.connect, unbounded.sock_connect, unbounded.sock_read) == (None,) * 4


def test_a_cancelled_pool_wait_leaves_no_mark_on_the_next_timeout(fake_api: Any) -> None:
    # A pool wait cut short by the caller (not by a timeout) must not make a later read
    # timeout in the same task look like a pool timeout.
    import asyncio

    from genai_base import AsyncAPIClient

    async def scenario() -> BaseException:
        container = ClientContainer()
        container.config.from_dict({"pool_size": 1, "pool_keepalive": 1})
        client = AsyncAPIClient(version="1", base_url=fake_api.url, container=container, max_retries=0)
        held = await client.get("/slow-body?seconds=5", cast_to=APIResponse[bytes], stream=True)
        this_task = asyncio.current_task()
        assert this_task is not None
        try:
            # Cancelled while queued for the only connection, in this very task (so in its context).
            asyncio.get_running_loop().call_later(0.05, this_task.cancel)
            with pytest.raises(asyncio.CancelledError):
                await client.get("/echo", cast_to=dict)
            if hasattr(this_task, "uncancel"):
                this_task.uncancel()
        finally:
            await held.close()
        try:
            await client.get("/slow?seconds=1", cast_to=dict, options=make_request_options(timeout=Timeout(0.05)))
        except APITimeoutError as exc:
            return exc
        finally:
            await client.close()
        raise AssertionError("no timeout")

    error = asyncio.run(scenario())
    assert "read timed out" in str(error) and not isinstance(error, PoolTimeoutError)
