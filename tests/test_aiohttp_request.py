"""The request class of the transport's own sessions (``genai_base._transports.aiohttp_request``): the
prebuilt headers it takes over go out exactly as aiohttp sends them per request, nothing it was handed
reaches another request, and the probe falls back to a plain session. Real loopback servers only."""

from __future__ import annotations

import asyncio
from typing import Any, Optional

import aiohttp
import pytest
from multidict import CIMultiDict

from genai_base import AsyncAPIClient, ClientContainer, Timeout
from genai_base._transports.aiohttp_request import hands_over, request_class_for, transport_session
from genai_base.testing import FakeAPIServer, RawSocketServer, ReadRequest

OK = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"


def heads_sent(make_session: Any, calls: int = 3, **client_kwargs: Any) -> list[bytes]:
    """The request heads a client sends (a GET, a POST with a body, a GET) through ``make_session``'s
    sessions, as a raw server read them (the Host line's port left out)."""
    script = [step for _ in range(calls) for step in (ReadRequest(), OK)]
    with RawSocketServer(script) as server:
        container = ClientContainer()
        container.async_session_factory.override(lambda settings: make_session(settings))

        async def main() -> None:
            async with AsyncAPIClient(version="1", base_url=server.url, container=container, max_retries=0,
                                      **client_kwargs) as client:
                await client.get("/a", cast_to=dict)
                await client.post("/b", cast_to=dict, body={"n": 1})
                await client.get("/c", cast_to=dict, options={"headers": {"X-Call": "3"}})

        asyncio.run(main())
        port = server.url.rsplit(":", 1)[1].encode()
        return [request.head.replace(b":" + port, b"") for request in server.requests]


def ours(**kwargs: Any) -> Any:
    return lambda settings: transport_session(**kwargs)


def plain(**kwargs: Any) -> Any:
    return lambda settings: aiohttp.ClientSession(**kwargs)


def test_the_prebuilt_headers_go_out_as_aiohttp_sends_headers_given_per_request() -> None:
    taken = heads_sent(ours())
    assert taken == heads_sent(plain())
    first = taken[0].split(b"\r\n")
    assert first[1] == b"Host: 127.0.0.1" and first.count(b"Accept: application/json") == 1
    assert b"X-Genai-Lang: python" in first
    assert b"X-Call: 3" in taken[2] and b"X-Call" not in taken[0]


def test_a_host_among_the_default_headers_is_sent_once_with_its_value() -> None:
    headers = {"Host": "api.example.test"}
    taken = heads_sent(ours(), custom_headers=headers)
    assert taken == heads_sent(plain(), custom_headers=headers)
    lines = taken[0].lower().split(b"\r\n")
    assert [line for line in lines if line.startswith(b"host:")] == [b"host: api.example.test"]


def test_the_sessions_own_default_headers_are_merged_under_the_requests() -> None:
    defaults = {"X-Session": "s", "Accept": "text/plain"}
    taken = heads_sent(ours(headers=defaults))
    assert taken == heads_sent(plain(headers=defaults))
    assert b"X-Session: s" in taken[0] and b"Accept: application/json" in taken[0]
    assert b"text/plain" not in taken[0]


def test_nothing_handed_over_reaches_a_later_request_of_the_same_task(fake_api: FakeAPIServer) -> None:
    # The task's context keeps the last hand-over: a request the app sends itself on the transport's
    # session afterwards carries its own headers only, and no read wait of the client's.
    async def main() -> tuple[dict[str, Any], dict[str, Any]]:
        async with AsyncAPIClient(version="1", base_url=fake_api.url, max_retries=0,
                                  timeout=Timeout(5, read=0.05)) as client:
            await client.get("/echo", cast_to=dict)
            _, performers = client._shared.current
            assert performers is not None
            session = performers["exchange"].__self__.session  # type: ignore[attr-defined]
            assert hands_over(session)
            async with session.get(fake_api.url + "/slow?seconds=0.2") as slow:  # past the client's read
                await slow.read()
            async with session.get(fake_api.url + "/echo", headers={"X-App": "1"}) as response:
                mine = await response.json()
            theirs = await client.get("/echo", cast_to=dict)
            return mine["headers"], theirs["headers"]

    mine, theirs = asyncio.run(main())
    assert mine["x-app"] == "1" and "x-genai-lang" not in mine
    assert theirs["x-genai-lang"] == "python" and "x-app" not in theirs


def test_the_probe_accepts_aiohttps_request_class() -> None:
    async def main() -> Optional[type]:
        return request_class_for(aiohttp.ClientRequest)

    taking = asyncio.run(main())
    assert taking is not None and issubclass(taking, aiohttp.ClientRequest)


def test_the_probe_gives_the_same_answer_outside_a_loop() -> None:
    # Probed with a loop of its own for the request to name, closed again (a session factory might
    # be called before the loop runs).
    class Subclass(aiohttp.ClientRequest):
        pass

    taking = request_class_for(Subclass)
    assert taking is not None and issubclass(taking, Subclass)
    assert request_class_for(BuildsHeadersOtherwise) is None


class BuildsHeadersOtherwise(aiohttp.ClientRequest):
    """As an aiohttp whose requests no longer get their headers from ``update_headers`` would."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.headers = CIMultiDict(Host=self.url.host or "", **dict(kwargs.get("headers") or {}))


class AddsAHeader(aiohttp.ClientRequest):
    """An app's request class with an ``update_headers`` of its own, which the hand-over would skip."""

    def update_headers(self, headers: Any) -> None:
        super().update_headers(headers)
        self.headers["X-Added"] = "yes"


@pytest.mark.parametrize("base", [BuildsHeadersOtherwise, AddsAHeader])
def test_where_the_probe_fails_the_session_is_plain_and_still_sends_everything(
    base: type, fake_api: FakeAPIServer
) -> None:
    async def probe() -> Optional[type]:
        return request_class_for(base)

    assert asyncio.run(probe()) is None
    container = ClientContainer()
    container.async_session_factory.override(lambda settings: transport_session(request_class=base))

    async def main() -> tuple[bool, dict[str, Any]]:
        async with AsyncAPIClient(version="1", base_url=fake_api.url, container=container, max_retries=0,
                                  timeout=Timeout(5, read=0.1)) as client:
            sent = await client.get("/echo", cast_to=dict)
            _, performers = client._shared.current
            assert performers is not None
            transport = performers["exchange"].__self__  # type: ignore[attr-defined]
            with pytest.raises(Exception, match="read timed out"):  # aiohttp's sock_read bounds the reads
                await client.get("/slow?seconds=1", cast_to=dict)
            return hands_over(transport.session) or transport._watch is not None, sent["headers"]

    taking, headers = asyncio.run(main())
    assert not taking
    assert headers["x-genai-lang"] == "python" and headers["accept"] == "application/json"
    if base is AddsAHeader:
        assert headers["x-added"] == "yes"


def test_a_session_with_trace_configs_takes_nothing_and_its_traces_see_the_headers(fake_api: FakeAPIServer) -> None:
    seen: list[str] = []

    async def on_start(session: Any, context: Any, params: aiohttp.TraceRequestStartParams) -> None:
        seen.append(params.headers.get("X-Genai-Lang", "missing"))

    trace = aiohttp.TraceConfig()
    trace.on_request_start.append(on_start)
    container = ClientContainer()
    container.async_session_factory.override(lambda settings: transport_session(trace_configs=[trace]))

    async def main() -> bool:
        async with AsyncAPIClient(version="1", base_url=fake_api.url, container=container, max_retries=0) as client:
            await client.get("/echo", cast_to=dict)
            _, performers = client._shared.current
            assert performers is not None
            return hands_over(performers["exchange"].__self__.session)  # type: ignore[attr-defined,no-any-return]

    assert asyncio.run(main()) is False
    assert seen == ["python"]
