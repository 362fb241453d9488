"""Tests of genai_base.testing.FakeAPIServer over real HTTP (requests and aiohttp)."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
import requests

from genai_base.testing import FakeAPIServer, RecordedRequest, Reply

_Params = dict[str, str | int]


@pytest.fixture(scope="module")
def _module_server() -> Iterator[FakeAPIServer]:
    with FakeAPIServer() as server:
        yield server


@pytest.fixture
def server(_module_server: FakeAPIServer) -> FakeAPIServer:
    _module_server.clear()
    return _module_server


async def _aio_get_raw(url: str) -> tuple[bytes, BaseException | None]:
    """Read a body incrementally with aiohttp; return what arrived and the error, if any."""
    received = b""
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        try:
            while chunk := await response.content.readany():
                received += chunk
        except (aiohttp.ClientPayloadError, aiohttp.ClientConnectionError) as exc:
            return received, exc
    return received, None


# -- basics -----------------------------------------------------------------


def test_url_port_and_unknown_route(server: FakeAPIServer) -> None:
    assert server.url == f"http://127.0.0.1:{server.port}"
    assert server.url_for("/echo") == server.url + "/echo"
    assert server.url_for("echo") == server.url + "/echo"
    response = requests.get(server.url_for("/nope/here"))
    assert response.status_code == 404
    assert response.json() == {"error": {"message": "no route for /nope/here"}}


def test_echo_query_headers_and_json(server: FakeAPIServer) -> None:
    response = requests.post(
        server.url_for("/echo/sub/path?a=1&a=2&b=x+y&c=%26"),
        json={"hello": "world"},
        headers={"X-Custom": "Value"},
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "req_1"
    data = response.json()
    assert data["method"] == "POST"
    assert data["path"] == "/echo/sub/path"
    assert data["query"] == {"a": ["1", "2"], "b": ["x y"], "c": ["&"]}
    assert data["query_string"] == "a=1&a=2&b=x+y&c=%26"
    assert data["headers"]["x-custom"] == "Value"
    assert data["json"] == {"hello": "world"}
    assert data["body"] == '{"hello": "world"}'
    assert data["content_type"] == "application/json"
    second = requests.get(server.url_for("/echo"))
    assert second.headers["x-request-id"] == "req_2"
    assert second.json()["json"] is None


def test_echo_multipart_and_urlencoded_forms(server: FakeAPIServer) -> None:
    payload = b"\x00\r\nbinary\xff" + b"y" * 2000
    response = requests.post(
        server.url_for("/echo"),
        data={"field": "value"},
        files={"upload": ("data.bin", payload, "application/x-test")},
    )
    data = response.json()
    assert data["form"] == {"field": "value"}
    [described] = data["files"]
    assert described["name"] == "upload"
    assert described["filename"] == "data.bin"
    assert described["content_type"] == "application/x-test"
    assert described["size"] == len(payload)
    assert described["text"].startswith("\x00\r\nbinary\ufffd")
    assert len(described["text"]) == 1000
    form = requests.post(server.url_for("/echo"), data={"a": "1", "b": "two words"}).json()
    assert form["form"] == {"a": "1", "b": "two words"}
    assert form["files"] == []


def test_echo_with_aiohttp(server: FakeAPIServer) -> None:
    async def call() -> dict[str, Any]:
        async with aiohttp.ClientSession() as session:
            async with session.put(server.url_for("/echo"), params={"q": "é"}, data=b"raw text") as response:
                assert response.status == 200
                result: dict[str, Any] = await response.json()
                return result

    data = asyncio.run(call())
    assert data["method"] == "PUT"
    assert data["query"] == {"q": ["é"]}
    assert data["body"] == "raw text"


def test_recorded_request_fields(server: FakeAPIServer) -> None:
    requests.post(server.url_for("/echo?x=1&x=2&y="), json={"k": [1, 2]}, headers={"X-Trace": "abc"})
    [recorded] = server.requests
    assert isinstance(recorded, RecordedRequest)
    assert recorded.method == "POST"
    assert recorded.path == "/echo"
    assert recorded.query_string == "x=1&x=2&y="
    assert recorded.query == [("x", "1"), ("x", "2"), ("y", "")]
    assert recorded.query_dict() == {"x": ["1", "2"], "y": [""]}
    assert recorded.headers["x-trace"] == "abc"
    assert ("X-Trace", "abc") in recorded.header_items
    assert recorded.json() == {"k": [1, 2]}
    assert recorded.url == server.url_for("/echo?x=1&x=2&y=")
    server.clear()
    assert server.requests == []


# -- scripts ----------------------------------------------------------------


def test_script_replies_in_order_then_last_repeats(server: FakeAPIServer) -> None:
    server.script(
        "/flaky",
        [Reply(status=503, headers={"retry-after-ms": "1"}), Reply(json={"ok": True})],
    )
    first = requests.get(server.url_for("/flaky"))
    assert first.status_code == 503
    assert first.headers["retry-after-ms"] == "1"
    for method in ("GET", "POST", "DELETE"):
        again = requests.request(method, server.url_for("/flaky"))
        assert again.status_code == 200
        assert again.json() == {"ok": True}
        assert again.headers["content-type"] == "application/json"
    assert [r.method for r in server.requests_to("/flaky")] == ["GET", "GET", "POST", "DELETE"]


def test_script_overrides_builtin_route_and_clear_removes_it(server: FakeAPIServer) -> None:
    server.script("/echo", [Reply(status=201, body="scripted")])
    response = requests.get(server.url_for("/echo"))
    assert (response.status_code, response.text) == (201, "scripted")
    assert response.headers["content-type"].startswith("text/plain")
    server.clear()
    assert requests.get(server.url_for("/echo")).json()["path"] == "/echo"


def test_fail_replaces_only_the_chosen_requests_to_a_real_route(server: FakeAPIServer) -> None:
    server.fail("/echo", Reply(status=503, json={"error": {"message": "busy"}}), after=1, times=2)
    statuses = [requests.get(server.url_for("/echo")).status_code for _ in range(5)]
    assert statuses == [200, 503, 503, 200, 200]
    assert requests.get(server.url_for("/echo")).json()["path"] == "/echo"  # the real route again
    server.clear()
    server.fail("/echo", Reply(status=500))  # clear() forgot the old fault; this one hits at once
    assert [requests.get(server.url_for("/echo")).status_code for _ in range(2)] == [500, 200]


def test_fail_rejects_nonsense(server: FakeAPIServer) -> None:
    with pytest.raises(ValueError, match="after >= 0 and times >= 1"):
        server.fail("/echo", Reply(status=500), times=0)
    with pytest.raises(TypeError, match="expected Reply"):
        server.fail("/echo", 500)  # type: ignore[arg-type]


def test_reply_body_content_type_and_headers(server: FakeAPIServer) -> None:
    server.script(
        "/custom",
        Reply(body=b"<a/>", content_type="application/xml", headers={"X-One": "1"}),
    )
    response = requests.get(server.url_for("/custom"))
    assert response.content == b"<a/>"
    assert response.headers["content-type"] == "application/xml"
    assert response.headers["x-one"] == "1"


def test_reply_validation() -> None:
    with pytest.raises(ValueError):
        Reply(reset="sometimes")
    with pytest.raises(ValueError):
        Reply(json={}, body="x")
    assert Reply(json=None).payload() == b"null"
    assert Reply().payload() == b""


def test_delay_and_chunks(server: FakeAPIServer) -> None:
    server.script("/delayed", Reply(delay=0.05, json=[1]))
    started = time.monotonic()
    assert requests.get(server.url_for("/delayed")).json() == [1]
    assert time.monotonic() - started >= 0.05
    server.script("/chunked", Reply(chunks=[b"ab", b"cd", b"ef"], chunk_delay=0.01))
    response = requests.get(server.url_for("/chunked"))
    assert response.headers["transfer-encoding"] == "chunked"
    assert response.content == b"abcdef"


# -- resets -----------------------------------------------------------------


def test_reset_before_headers_is_recorded_and_raises(server: FakeAPIServer) -> None:
    server.script("/reset", [Reply(reset="before_headers"), Reply(json={"ok": 1})])
    with pytest.raises(requests.ConnectionError):
        requests.post(server.url_for("/reset"), json={"attempt": 1})
    assert requests.post(server.url_for("/reset"), json={"attempt": 2}).json() == {"ok": 1}
    attempts = server.requests_to("/reset")
    assert [a.json() for a in attempts] == [{"attempt": 1}, {"attempt": 2}]


def test_reset_before_headers_with_aiohttp(server: FakeAPIServer) -> None:
    server.script("/reset", Reply(reset="before_headers"))

    async def call() -> None:
        # POST: aiohttp itself retries idempotent methods once on a dropped connection.
        async with aiohttp.ClientSession() as session:
            async with session.post(server.url_for("/reset")) as response:
                await response.read()

    with pytest.raises(aiohttp.ClientConnectionError):
        asyncio.run(call())
    assert len(server.requests_to("/reset")) == 1


def test_mid_body_reset_gives_incomplete_read(server: FakeAPIServer) -> None:
    server.script("/mid", Reply(reset="mid_body", body=b"0123456789" * 100))
    response = requests.get(server.url_for("/mid"), stream=True)
    assert response.status_code == 200
    assert response.headers["content-length"] == "1000"
    with pytest.raises(requests.RequestException):
        response.content  # noqa: B018
    received, error = asyncio.run(_aio_get_raw(server.url_for("/mid")))
    assert error is not None
    assert received == (b"0123456789" * 100)[:500]


def test_truncate_gives_incomplete_read(server: FakeAPIServer) -> None:
    server.script("/trunc", Reply(truncate=5, body="hello world"))
    with pytest.raises(requests.exceptions.ChunkedEncodingError):
        requests.get(server.url_for("/trunc"))
    received, error = asyncio.run(_aio_get_raw(server.url_for("/trunc")))
    assert received == b"hello"
    assert isinstance(error, aiohttp.ClientPayloadError)


# -- built-in routes ----------------------------------------------------------


def test_status_route(server: FakeAPIServer) -> None:
    response = requests.get(server.url_for("/status/429"))
    assert response.status_code == 429
    assert response.json() == {"error": {"message": "status 429", "code": 429}}
    assert response.headers["x-request-id"].startswith("req_")
    empty = requests.delete(server.url_for("/status/204"))
    assert (empty.status_code, empty.content) == (204, b"")


def test_slow_routes_and_client_timeout(server: FakeAPIServer) -> None:
    assert requests.get(server.url_for("/slow?seconds=0.01")).json() == {"slept": 0.01}
    with pytest.raises(requests.exceptions.ReadTimeout):
        requests.get(server.url_for("/slow?seconds=5"), timeout=0.1)
    response = requests.get(server.url_for("/slow-body?seconds=0.05"), stream=True)
    started = time.monotonic()
    chunks = response.iter_content(None)
    first = next(chunks)
    assert first == b'{"a":'
    assert time.monotonic() - started < 0.04
    assert first + b"".join(chunks) == b'{"a":1}'


def test_bytes_and_large_json(server: FakeAPIServer) -> None:
    response = requests.get(server.url_for("/bytes?size=3000"))
    assert response.content == b"x" * 3000
    assert response.headers["content-type"] == "application/octet-stream"
    data = requests.get(server.url_for("/large-json?items=3")).json()
    assert data == {"data": [{"id": i, "name": f"item {i}"} for i in range(3)]}


def test_redirects(server: FakeAPIServer) -> None:
    response = requests.get(server.url_for("/redirect?to=/echo/target&status=301"))
    assert [r.status_code for r in response.history] == [301]
    assert response.json()["path"] == "/echo/target"
    kept = requests.post(server.url_for("/redirect?to=/echo&status=307"), data=b"keep")
    assert (kept.json()["method"], kept.json()["body"]) == ("POST", "keep")
    chain = requests.get(server.url_for("/redirect-chain/3"))
    assert len(chain.history) == 3
    assert chain.json()["path"] == "/redirect-chain/0"
    no_follow = requests.get(server.url_for("/redirect-chain/2"), allow_redirects=False)
    assert no_follow.headers["location"] == "/redirect-chain/1"
    session = requests.Session()
    session.max_redirects = 5
    with pytest.raises(requests.TooManyRedirects):
        session.get(server.url_for("/redirect-loop"))
    session.close()


# -- paging -----------------------------------------------------------------


def _ids(items: list[dict[str, Any]]) -> list[int]:
    return [item["index"] for item in items]


def test_cursor_paging_get_and_post(server: FakeAPIServer) -> None:
    seen: list[int] = []
    token: str | None = None
    tokens: list[str | None] = []
    while True:
        params: _Params = {"total": 25, "limit": 10}
        if token:
            params["page_token"] = token
        page = requests.get(server.url_for("/items/cursor"), params=params).json()
        seen += _ids(page["data"])
        token = page["next_page_token"]
        tokens.append(token)
        if token is None:
            break
    assert seen == list(range(25))
    assert tokens[-1] is None and len(tokens) == 3
    posted = requests.post(server.url_for("/items/cursor?limit=2"), json={"limit": 4, "page_token": "4"}).json()
    assert _ids(posted["data"]) == [4, 5, 6, 7]
    assert posted["data"][0] == {"id": "item_4", "index": 4}
    bad = requests.get(server.url_for("/items/cursor?page_token=zzz"))
    assert bad.status_code == 400
    assert "page_token" in bad.json()["error"]["message"]


def test_cursor_variants(server: FakeAPIServer) -> None:
    last = requests.get(server.url_for("/items/cursor-empty-token?total=5&page_token=3")).json()
    assert (_ids(last["data"]), last["next_page_token"]) == ([3, 4], "")
    url = server.url_for("/items/cursor-empty-page")
    page = requests.get(url, params={"total": 5, "limit": 5}).json()
    assert _ids(page["data"]) == [0, 1, 2, 3, 4]
    params: _Params = {"total": 5, "page_token": page["next_page_token"]}
    extra = requests.get(url, params=params).json()
    assert extra == {"data": [], "next_page_token": "more"}
    again = requests.get(url + "?total=5&page_token=more").json()
    assert again == extra
    repeat_url = server.url_for("/items/cursor-repeat?limit=2&page_token=same")
    repeat = requests.get(repeat_url).json()
    assert repeat == {"data": [{"id": "item_0", "index": 0}, {"id": "item_1", "index": 1}], "next_page_token": "same"}


def test_offset_and_page_paging(server: FakeAPIServer) -> None:
    url = server.url_for("/items/offset")
    assert _ids(requests.get(url, params={"offset": 20, "limit": 10}).json()["data"]) == list(range(20, 25))
    assert requests.get(url, params={"offset": 30}).json() == {"data": []}
    by_post = requests.post(url, json={"offset": 2, "limit": 2}).json()
    assert _ids(by_post["data"]) == [2, 3]
    page_url = server.url_for("/items/page")
    assert _ids(requests.get(page_url, params={"page": 3}).json()["data"]) == list(range(20, 25))
    assert _ids(requests.get(page_url, params={"per_page": 3}).json()["data"]) == [0, 1, 2]
    assert requests.get(page_url, params={"page": 4}).json() == {"data": []}


@pytest.mark.parametrize("path", ["/items/cursor", "/items/offset", "/items/page", "/items/link"])
def test_paging_routes_wait_delay_ms_before_a_page(server: FakeAPIServer, path: str) -> None:
    started = time.monotonic()
    slow = requests.get(server.url_for(path), params={"delay_ms": 150, "total": 3})
    waited = time.monotonic() - started
    assert slow.status_code == 200 and waited >= 0.15, waited
    data = slow.json()
    assert _ids(data if isinstance(data, list) else data["data"]) == [0, 1, 2]
    assert requests.get(server.url_for(path), params={"delay_ms": "soon"}).status_code == 400


@pytest.mark.parametrize("path", ["/items/link", "/items/link-other"])
def test_link_paging(server: FakeAPIServer, path: str) -> None:
    url: str | None = server.url_for(f"{path}?total=12&per_page=5")
    seen: list[int] = []
    urls: list[str] = []
    while url is not None:
        urls.append(url)
        response = requests.get(url)
        seen += _ids(response.json())
        url = response.links.get("next", {}).get("url")
        if url is not None:
            assert response.links["first"]["url"].startswith(server.url_for(path + "?"))
    assert seen == list(range(12))
    assert len(urls) == 3
    expected_next = "/items/link" if path == "/items/link" else "/items/link-other-2"
    assert urls[1].startswith(server.url_for(expected_next + "?"))
    assert "total=12" in urls[1] and "per_page=5" in urls[1]


def test_empty_collection(server: FakeAPIServer) -> None:
    url = server.url_for("/items/empty")
    assert requests.get(url).json() == {"data": [], "next_page_token": None}
    assert requests.post(url, json={}).json() == {"data": [], "next_page_token": None}
    link_style = requests.get(url, params={"style": "link"})
    assert link_style.json() == []
    assert "link" not in link_style.headers


# -- SSE --------------------------------------------------------------------


def _event(index: int, eol: str, text: str | None = None) -> str:
    body = json.dumps({"index": index, "text": text if text is not None else f"event {index}"})
    return f"data: {body}{eol}{eol}"


@pytest.mark.parametrize(("framing", "eol"), [("lf", "\n"), ("crlf", "\r\n"), ("cr", "\r")])
def test_sse_framing_and_count(server: FakeAPIServer, framing: str, eol: str) -> None:
    params: _Params = {"count": 2, "framing": framing}
    response = requests.get(server.url_for("/sse"), params=params)
    assert response.headers["content-type"].startswith("text/event-stream")
    expected = _event(0, eol) + _event(1, eol) + f"data: [DONE]{eol}{eol}"
    assert response.text == expected


def test_sse_options(server: FakeAPIServer) -> None:
    url = server.url_for("/sse")
    no_done = requests.post(url + "?count=1&done=0&size=3").text
    assert no_done == _event(0, "\n", "event 0xxx")
    params: _Params = {"count": 1, "event": "delta", "comments": 1}
    decorated = requests.get(url, params=params).text
    assert decorated.startswith(": keepalive\nevent: delta\ndata: {")
    multiline = requests.get(url, params={"count": 1, "multiline": 1, "done": 0}).text
    assert multiline == 'data: {"index": 0,\ndata: "text": "event 0"}\n\n'
    assert json.loads('{"index": 0,\n"text": "event 0"}') == {"index": 0, "text": "event 0"}
    started = time.monotonic()
    requests.get(url, params={"count": 3, "delay_ms": 20})
    assert time.monotonic() - started >= 0.04


def test_sse_error_at(server: FakeAPIServer) -> None:
    text = requests.get(server.url_for("/sse"), params={"count": 4, "error_at": 1}).text
    error = 'event: error\ndata: {"error": {"message": "boom at 1"}}\n\n'
    assert text == _event(0, "\n") + error


def test_sse_cut_at(server: FakeAPIServer) -> None:
    received, error = asyncio.run(_aio_get_raw(server.url_for("/sse?count=5&cut_at=2")))
    assert error is not None
    assert received == (_event(0, "\n") + _event(1, "\n")).encode()
    with pytest.raises(requests.RequestException):
        requests.get(server.url_for("/sse?count=5&cut_at=0"))


def test_sse_stall_times_out_client(server: FakeAPIServer) -> None:
    response = requests.get(server.url_for("/sse?count=3&stall_after=1"), stream=True, timeout=0.2)
    lines = response.iter_lines()
    assert next(lines).startswith(b'data: {"index": 0')
    with pytest.raises(requests.ConnectionError):
        list(lines)
    response.close()


def test_sse_ids_retry_and_last_event_id(server: FakeAPIServer) -> None:
    url = server.url_for("/sse")
    text = requests.get(url, params={"count": 2, "ids": 1, "retry_ms": 50, "done": 0}).text
    assert text == (
        'id: 0\nretry: 50\ndata: {"index": 0, "text": "event 0"}\n\n'
        'id: 1\ndata: {"index": 1, "text": "event 1"}\n\n'
    )
    resumed = requests.get(url, params={"count": 4, "ids": 1}, headers={"Last-Event-ID": "1"}).text
    assert resumed == (
        'id: 2\ndata: {"index": 2, "text": "event 2"}\n\n'
        'id: 3\ndata: {"index": 3, "text": "event 3"}\n\n'
        "data: [DONE]\n\n"
    )
    # Without ids the header means nothing to the route; a foreign id is refused, not ignored.
    assert requests.get(url, params={"count": 1, "done": 0}, headers={"Last-Event-ID": "0"}).text == _event(0, "\n")
    refused = requests.get(url, params={"count": 3, "ids": 1}, headers={"Last-Event-ID": "x7"})
    assert refused.status_code == 400 and "Last-Event-ID" in refused.json()["error"]["message"]


def test_reply_events_are_written_field_by_field(server: FakeAPIServer) -> None:
    from genai_base import ServerSentEvent

    server.script("/ev", Reply(events=[
        ServerSentEvent(event="message_start", id="m1", data='{"a": 1}'),
        ServerSentEvent(retry=250, data="line one\nline two"),
        "plain text",
        {"type": "delta", "n": 2},
        ServerSentEvent(event="ping"),
    ]))
    response = requests.get(server.url_for("/ev"))
    assert response.headers["content-type"] == "text/event-stream"
    assert response.text == (
        'event: message_start\nid: m1\ndata: {"a": 1}\n\n'
        "retry: 250\ndata: line one\ndata: line two\n\n"
        "data: plain text\n\n"
        'data: {"type": "delta", "n": 2}\n\n'
        "event: ping\n\n"
    )


def test_reply_events_resume_after_last_event_id(server: FakeAPIServer) -> None:
    from genai_base import ServerSentEvent

    events = [ServerSentEvent(id=str(i), data=str(i)) for i in range(4)]
    server.script("/ev", Reply(events=events))
    resumed = requests.get(server.url_for("/ev"), headers={"Last-Event-ID": "1"}).text
    assert resumed == "id: 2\ndata: 2\n\nid: 3\ndata: 3\n\n"
    # An ID the stream never sent: from the start (as a server that lost its place would).
    assert requests.get(server.url_for("/ev"), headers={"Last-Event-ID": "9"}).text.startswith("id: 0\n")
    server.script("/ev", Reply(events=events, resume=False))
    assert requests.get(server.url_for("/ev"), headers={"Last-Event-ID": "1"}).text.startswith("id: 0\n")


def test_reply_events_cut_or_stall_after_n_events(server: FakeAPIServer) -> None:
    server.script("/cut", Reply(events=["a", "b", "c"], cut_after=2))
    received, error = asyncio.run(_aio_get_raw(server.url_for("/cut")))
    assert received == b"data: a\n\ndata: b\n\n" and error is not None
    server.script("/cut-end", Reply(events=["a"], cut_after=1))  # all events sent, but the body never ends
    received, error = asyncio.run(_aio_get_raw(server.url_for("/cut-end")))
    assert received == b"data: a\n\n" and error is not None
    server.script("/quiet", Reply(events=["a", "b"], stall_after=1))
    response = requests.get(server.url_for("/quiet"), stream=True, timeout=0.2)
    lines = response.iter_lines()
    assert next(lines) == b"data: a"
    with pytest.raises(requests.ConnectionError):
        list(lines)
    response.close()


def test_fail_stream_breaks_the_chosen_streams_of_a_route(server: FakeAPIServer) -> None:
    server.fail_stream("/sse", cut_after=1, after=1, times=2)
    url = server.url_for("/sse?count=2&done=0")
    outcomes = [asyncio.run(_aio_get_raw(url)) for _ in range(4)]
    assert [error is None for _, error in outcomes] == [True, False, False, True]
    assert outcomes[1][0] == _event(0, "\n").encode()
    assert outcomes[3][0] == (_event(0, "\n") + _event(1, "\n")).encode()
    server.fail_stream("/sse", stall_after=0)
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=0.2)
    server.clear()  # forgets stream faults too
    assert asyncio.run(_aio_get_raw(url))[1] is None


def test_stream_fault_and_event_reply_validation(server: FakeAPIServer) -> None:
    for bad in ({}, {"cut_after": 1, "stall_after": 1}, {"cut_after": -1}):
        with pytest.raises(ValueError):
            server.fail_stream("/sse", **bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="times >= 1"):
        server.fail_stream("/sse", cut_after=1, times=0)
    with pytest.raises(ValueError, match="events replace"):
        Reply(events=["a"], json={"a": 1})
    with pytest.raises(ValueError, match="cut_after=N"):
        Reply(events=["a"], reset="mid_body")
    with pytest.raises(ValueError, match="apply to event streams"):
        Reply(json={}, cut_after=1)
    with pytest.raises(ValueError, match="not both"):
        Reply(events=["a"], cut_after=1, stall_after=1)
    with pytest.raises(TypeError, match="list of events"):
        Reply(events="data: a\n\n")  # type: ignore[arg-type]


# -- lifecycle ----------------------------------------------------------------


def test_start_stop_without_context_manager_is_idempotent() -> None:
    server = FakeAPIServer()
    server.start()
    try:
        assert requests.get(server.url_for("/echo")).status_code == 200
    finally:
        server.stop()
    server.stop()
    with pytest.raises(RuntimeError):
        server.port  # noqa: B018


def test_stop_is_quick_with_sleeping_handlers() -> None:
    server = FakeAPIServer().start()
    errors: list[BaseException] = []

    def call(path: str) -> None:
        try:
            requests.get(server.url_for(path), timeout=10)
        except requests.RequestException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call, args=(path,)) for path in ("/slow?seconds=30", "/sse?stall_after=0")]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 5
    while len(server.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.5
    for thread in threads:
        thread.join(5)
    assert len(errors) == 2


def test_start_fails_fast_on_busy_port() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        server = FakeAPIServer(port=busy.getsockname()[1])
        with pytest.raises(RuntimeError):
            server.start()
        server.stop()


def test_concurrent_requests_are_all_recorded(server: FakeAPIServer) -> None:
    def call(index: int) -> None:
        requests.get(server.url_for(f"/echo?i={index}"))

    threads = [threading.Thread(target=call, args=(index,)) for index in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    indexes = sorted(int(r.query_dict()["i"][0]) for r in server.requests_to("/echo"))
    assert indexes == list(range(20))


def test_https_with_self_signed_certificate(tmp_path: Path) -> None:
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl command not available")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    args = "req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 -addext subjectAltName=IP:127.0.0.1"
    made = subprocess.run(
        [openssl, *args.split(), "-keyout", str(key), "-out", str(cert)],
        capture_output=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"openssl could not make a certificate: {made.stderr!r}")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    with FakeAPIServer(ssl_context=context) as server:
        assert server.url.startswith("https://127.0.0.1:")
        response = requests.get(server.url_for("/echo"), verify=str(cert))
        assert response.json()["path"] == "/echo"
        assert server.requests[0].url.startswith("https://")


def test_pytest_plugin_fixture(tmp_path: Path) -> None:
    (tmp_path / "test_uses_fixture.py").write_text(
        "import requests\n"
        "from genai_base.testing import Reply\n"
        "def test_one(fake_api):\n"
        "    fake_api.script('/x', Reply(status=418))\n"
        "    assert requests.get(fake_api.url_for('/x')).status_code == 418\n"
        "def test_two(fake_api):\n"
        "    assert fake_api.requests == []\n"
        "    assert requests.get(fake_api.url_for('/x')).status_code == 404\n"
    )
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root), env.get("PYTHONPATH")]))
    plugin_args = ["-p", "genai_base.testing.pytest_plugin", "-p", "no:cacheprovider"]
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", *plugin_args, "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
