"""The transport seam: probes around third-party internals (both states), and what each transport maps."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
import pytest
import requests
import requests.cookies
from requests.structures import CaseInsensitiveDict

from genai_base import (
    APIResponse,
    AsyncAPIClient,
    ClientContainer,
    PoolTimeoutError,
    SyncAPIClient,
    Timeout,
    make_request_options,
)
from genai_base._transports import requests as requests_transport
from genai_base._transports.aiohttp import aiohttp_session_factory, disable_hidden_retry
from genai_base.testing import FakeAPIServer, Reply

from .conftest import Shell, attempts


def test_aiohttp_hidden_retry_is_turned_off_where_the_switch_exists() -> None:
    async def scenario() -> tuple[bool, Any]:
        session = aiohttp.ClientSession()
        try:
            return disable_hidden_retry(session), getattr(session, "_retry_connection", None)
        finally:
            await session.close()

    switched, value = asyncio.run(scenario())
    if hasattr(aiohttp.ClientSession, "_retry_connection") or value is not None:
        assert switched and value is False
    else:  # an aiohttp without the switch: the probe says so
        assert not switched


def test_aiohttp_hidden_retry_probe_falls_back_without_the_switch(caplog: pytest.LogCaptureFixture) -> None:
    class SessionWithoutSwitch:  # what an aiohttp release without the attribute looks like to the probe
        pass

    caplog.set_level(logging.DEBUG, logger="genai_base")
    assert disable_hidden_retry(SessionWithoutSwitch()) is False  # type: ignore[arg-type]
    assert "may resend once" in caplog.text


def test_the_built_in_aiohttp_factory_applies_the_probe(fake_api: FakeAPIServer) -> None:
    from genai_base._settings import resolve_settings

    async def scenario() -> Any:
        session = aiohttp_session_factory(resolve_settings({}, {}))
        try:
            return getattr(session, "_retry_connection", "absent")
        finally:
            await session.close()

    assert asyncio.run(scenario()) in (False, "absent")


def test_async_pool_wait_is_bounded_by_the_pool_timeout_alone(fake_api: FakeAPIServer) -> None:
    # aiohttp's own connect timer would cover the pool wait and the connect together
    # (pool=0.3, connect=5: ~5.3 s); the transport's slots bound it by pool alone.
    async def scenario() -> float:
        container = ClientContainer()
        container.config.from_dict({"pool_size": 1, "pool_keepalive": 1})
        client = AsyncAPIClient(version="1", base_url=fake_api.url, container=container, max_retries=0)
        held = await client.get("/slow-body?seconds=5", cast_to=APIResponse[bytes], stream=True)
        started = time.monotonic()
        try:
            with pytest.raises(PoolTimeoutError, match=r"within 0\.3s"):
                await client.get("/echo", cast_to=dict, options=make_request_options(timeout=Timeout(5, pool=0.3)))
            return time.monotonic() - started
        finally:
            await held.close()
            await client.close()

    elapsed = asyncio.run(scenario())
    assert 0.25 <= elapsed < 1.5


def test_a_released_slot_goes_to_the_caller_that_waited(shell: Shell) -> None:
    container = ClientContainer()
    container.config.from_dict({"pool_size": 1, "pool_keepalive": 1})
    client = shell.client(container=container, max_retries=0, timeout=Timeout(5, pool=3))
    held = shell.run(client.get("/slow-body?seconds=0.2", cast_to=APIResponse[bytes], stream=True))
    shell.run(held.read())  # reading to the end gives the slot back
    assert held.is_closed
    for _ in range(3):
        assert shell.run(client.get("/echo", cast_to=dict))["method"] == "GET"
    assert attempts(shell, "/echo") == 3


def test_transport_errors_keep_the_transports_exception_and_use_the_librarys_words(
    shell: Shell, blackhole_port: int
) -> None:
    from genai_base import APIConnectionError

    from .conftest import closed_port

    client = shell.client(base_url=f"http://127.0.0.1:{closed_port()}/", max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        shell.run(client.get("/x", cast_to=dict))
    assert info.value.__cause__ is not None
    assert "Max retries exceeded" not in str(info.value) and "HTTPConnectionPool" not in str(info.value)
    assert "connection error" in str(info.value)


def test_sync_client_in_a_forked_child_gets_its_own_pool(fake_api: FakeAPIServer) -> None:
    import os

    client = SyncAPIClient(version="1", base_url=fake_api.url, max_retries=0)
    assert client.get("/echo", cast_to=dict)["method"] == "GET"  # the parent holds a pooled connection
    parent_transport = client._shared.transport
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: must not use the parent's pooled socket
        try:
            ok = all(client.get(f"/echo?n={i}", cast_to=dict)["query"] == {"n": [str(i)]} for i in range(20))
            ok = ok and client._shared.transport is not parent_transport
            os.write(write, b"1" if ok else b"0")
        except BaseException:
            os.write(write, b"0")
        finally:
            os._exit(0)
    answers = [client.get(f"/echo?p={i}", cast_to=dict)["query"] == {"p": [str(i)]} for i in range(20)]
    os.waitpid(pid, 0)
    assert os.read(read, 1) == b"1"
    assert all(answers) and client._shared.transport is parent_transport
    client.close()


# -- requests: an empty cookie jar attached without its policy pass (probed) ------------------------


def test_the_empty_jar_probe_holds_on_this_requests() -> None:
    assert requests_transport.empty_jar_shortcut_supported()


def test_the_empty_jar_probe_refuses_a_requests_that_keeps_the_jar_elsewhere() -> None:
    class KeepsItElsewhere(requests.PreparedRequest):
        def prepare_cookies(self, cookies: Any) -> None:
            self.jar = cookies  # what a release that renamed the attribute would look like to the probe

    assert not requests_transport.empty_jar_shortcut_supported(KeepsItElsewhere)


@pytest.mark.parametrize("shortcut", [True, False])
def test_both_ways_of_attaching_an_empty_jar_prepare_the_same_request(shortcut: bool) -> None:
    jar = requests.cookies.RequestsCookieJar()
    prepared = requests.PreparedRequest()
    prepared.url, prepared.headers = "http://127.0.0.1/", CaseInsensitiveDict({"Accept": "application/json"})
    requests_transport.attach_empty_jar(prepared, jar, shortcut)
    assert prepared._cookies is jar  # type: ignore[attr-defined]  # what requests reads back for a redirect
    assert dict(prepared.headers) == {"Accept": "application/json"}  # no Cookie header


@pytest.mark.parametrize("shortcut", [True, False])
def test_sync_redirects_and_cookies_work_with_and_without_the_shortcut(
    fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch, shortcut: bool
) -> None:
    monkeypatch.setattr(requests_transport, "_EMPTY_JAR_SHORTCUT", shortcut)
    fake_api.script("/login", Reply(302, headers={"Set-Cookie": "sid=abc; Path=/", "Location": "/echo"}))
    with SyncAPIClient(version="1", base_url=fake_api.url, max_retries=0) as client:
        assert "cookie" not in client.get("/echo", cast_to=dict)["headers"]  # an empty jar: nothing sent
        followed = client.post("/login", cast_to=dict)  # a redirect answered while the jar was empty
        assert followed["method"] == "GET" and followed["headers"].get("cookie") == "sid=abc"
        assert client.get("/echo", cast_to=dict)["headers"].get("cookie") == "sid=abc"
