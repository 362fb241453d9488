"""What a hostile or broken server sends ends as an ``APIError`` (or is handled), the same on both shells.

Raw-socket servers (``genai_base.testing.RawSocketServer``) send what an
HTTP server library would not: informational responses before the final
one, a bare CR or a NUL inside a header, a negative chunk size, lines past
the header limit, a mislabelled ``Content-Encoding``, malformed redirects.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests

from genai_base import (
    APIConnectionError,
    APIError,
    APIResponse,
    APIResponseValidationError,
    APIStatusError,
    ClientContainer,
    StreamInterruptedError,
    SyncAPIClient,
)
from genai_base._transports.base import MAX_RESPONSE_HEADERS
from genai_base.testing import RawSocketServer, ReadRequest, Reply

from .conftest import Shell


def response(status: str = "200 OK", body: bytes = b"{}", headers: str = "", close: bool = False) -> bytes:
    """One raw HTTP/1.1 response with a Content-Length."""
    extra = "Connection: close\r\n" if close else ""
    return (
        f"HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n{headers}{extra}\r\n"
    ).encode("latin-1") + body


def get(shell: Shell, server: RawSocketServer, path: str = "/x", cast_to: Any = dict, **kwargs: Any) -> Any:
    client = shell.client(base_url=server.url, max_retries=0, **kwargs)
    return shell.run(client.get(path, cast_to=cast_to))


# -- informational responses ------------------------------------------------------------------------


@pytest.mark.parametrize("informational", [b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n",
                                           b"HTTP/1.1 102 Processing\r\n\r\n"])
def test_an_informational_response_before_the_final_one_is_skipped(shell: Shell, informational: bytes) -> None:
    script = [ReadRequest(), informational, informational, response(body=b'{"n": 1}'),
              ReadRequest(), response(body=b'{"n": 2}')]
    with RawSocketServer(script) as server:
        client = shell.client(base_url=server.url, max_retries=0)
        assert shell.run(client.get("/a", cast_to=dict)) == {"n": 1}
        # The same connection carries the next call: nothing of the first was left unread on it.
        assert shell.run(client.get("/b", cast_to=dict)) == {"n": 2}
        assert server.connections == 1


def test_a_session_without_the_librarys_adapter_refuses_a_1xx_rather_than_misreading_it() -> None:
    container = ClientContainer()
    container.session_factory.override(lambda settings: requests.Session())  # plain requests: no 1xx skip
    script = [ReadRequest(), b"HTTP/1.1 103 Early Hints\r\n\r\n", response(body=b'{"stale": true}')]
    with RawSocketServer(script, [ReadRequest(), response(body=b'{"fresh": true}')]) as server:
        client = SyncAPIClient(version="1", base_url=server.url, container=container, max_retries=0)
        with pytest.raises(APIConnectionError, match="informational 103") as info:
            client.get("/a", cast_to=dict)
        assert not isinstance(info.value, APIStatusError)
        # The connection holding the unread 200 was dropped: the next call gets its own answer.
        assert client.get("/b", cast_to=dict) == {"fresh": True}
        assert server.connections == 2
        client.close()


# -- bad header lines -------------------------------------------------------------------------------


def test_a_bare_cr_in_a_header_cannot_inject_another_header(shell: Shell) -> None:
    line = "X-Note: a\rx-should-retry: true\r\n"  # split at the CR, a 400 would be retried
    with RawSocketServer([ReadRequest(), response("400 Bad Request", headers=line, close=True)]) as server:
        client = shell.client(base_url=server.url, max_retries=2)
        with pytest.raises(APIError) as info:
            shell.run(client.get("/x", cast_to=dict))
        assert not isinstance(info.value, APIStatusError)  # refused, not parsed into a 400 with two headers
        assert "malformed response" in str(info.value)


def test_a_nul_in_a_header_is_refused(shell: Shell) -> None:
    with RawSocketServer([ReadRequest(), response(headers="X-Note: a\x00b\r\n", close=True)]) as server:
        with pytest.raises(APIConnectionError, match="malformed response"):
            get(shell, server)


def test_both_shells_take_header_lines_up_to_64_kib_and_refuse_longer(shell: Shell) -> None:
    long_ok = "X-Big: " + "v" * 60_000 + "\r\n"
    with RawSocketServer([ReadRequest(), response(headers=long_ok, close=True)]) as server:
        client = shell.client(base_url=server.url, max_retries=0)
        raw = shell.run(client.get("/x", cast_to=APIResponse[dict]))
        assert len(raw.headers["x-big"]) == 60_000
    too_long = "X-Big: " + "v" * 70_000 + "\r\n"
    with RawSocketServer([ReadRequest(), response(headers=too_long, close=True)]) as server:
        with pytest.raises(APIConnectionError):
            get(shell, server)


def _head(count: int) -> str:
    """``count`` header lines in all: Content-Type and Content-Length (from ``response``) and fillers."""
    return "".join(f"X-Filler-{i}: v\r\n" for i in range(count - 2))


def test_both_shells_take_the_same_number_of_response_headers_and_name_the_limit(shell: Shell) -> None:
    # One limit for both: aiohttp's own default took 128, http.client 99.
    with RawSocketServer([ReadRequest(), response(headers=_head(MAX_RESPONSE_HEADERS))]) as server:
        client = shell.client(base_url=server.url, max_retries=0)
        raw = shell.run(client.get("/x", cast_to=APIResponse[dict]))
        assert len(raw.headers) == MAX_RESPONSE_HEADERS
    for count in (MAX_RESPONSE_HEADERS + 1, 128):
        with RawSocketServer([ReadRequest(), response(headers=_head(count))]) as server:
            with pytest.raises(APIConnectionError) as info:
                get(shell, server)
        assert f"more than MAX_RESPONSE_HEADERS ({MAX_RESPONSE_HEADERS}) response headers" in str(info.value)


def test_the_header_limit_applies_to_each_head_not_to_an_informational_one_and_the_final_one_together(
    shell: Shell,
) -> None:
    hints = "HTTP/1.1 103 Early Hints\r\n" + "".join(f"Link: </a{i}.css>\r\n" for i in range(60)) + "\r\n"
    with RawSocketServer([ReadRequest(), hints.encode(), response(headers=_head(60))]) as server:
        assert get(shell, server) == {}


# -- bad framing ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n-2\r\n{}\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"a\":",
        b"HTTP/1.1 2x0 OK\r\nContent-Length: 2\r\n\r\n{}",
        b"NOT HTTP AT ALL\r\n\r\n",
    ],
    ids=["chunk-size-negative", "chunk-size-garbage", "short-body", "bad-status", "no-http"],
)
def test_bad_framing_ends_as_an_api_error(shell: Shell, raw: bytes) -> None:
    with RawSocketServer([ReadRequest(), raw]) as server:
        with pytest.raises(APIError):
            get(shell, server)


def test_a_streamed_raw_response_cut_off_raises_the_librarys_errors(shell: Shell) -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: 100000\r\n\r\n" + b"x" * 500
    for how in ("read", "iter_bytes"):
        with RawSocketServer([ReadRequest(), cut]) as server:
            client = shell.client(base_url=server.url, max_retries=0)
            raw = shell.run(client.get("/x", cast_to=APIResponse[bytes], stream=True))
            with pytest.raises(StreamInterruptedError):
                if how == "read":
                    shell.run(raw.read())
                else:
                    shell.collect(raw.iter_bytes())
            assert raw.is_closed


def test_reading_a_closed_raw_response_or_stream_is_the_librarys_error(shell: Shell) -> None:
    client = shell.client(max_retries=0)
    raw = shell.run(client.get("/bytes?size=1000", cast_to=APIResponse[bytes], stream=True))
    shell.run(raw.close())
    with pytest.raises(StreamInterruptedError, match="closed before its body was read"):
        shell.run(raw.read())
    stream = shell.run(client.post("/sse?count=3", cast_to=dict, stream=True))
    shell.run(stream.close())
    with pytest.raises(StreamInterruptedError):
        shell.collect(stream)


# -- bodies that break decoders ---------------------------------------------------------------------


DEEP = b"[" * 100_000 + b"]" * 100_000


def test_deeply_nested_json_is_a_validation_error_not_a_recursion_error(shell: Shell) -> None:
    shell.server.script("/deep", Reply(body=DEEP, content_type="application/json"))
    strict = shell.client(max_retries=0, _strict_response_validation=True)
    with pytest.raises(APIResponseValidationError):
        shell.run(strict.get("/deep", cast_to=list))
    raw = shell.run(shell.client(max_retries=0).get("/deep", cast_to=APIResponse[object]))
    with pytest.raises(APIResponseValidationError, match="not valid JSON"):
        shell.run(raw.json())
    shell.server.script("/bad", Reply(body=b"{nope", content_type="application/json"))
    raw = shell.run(shell.client(max_retries=0).get("/bad", cast_to=APIResponse[object]))
    with pytest.raises(APIResponseValidationError):
        shell.run(raw.json())


def test_a_deeply_nested_stream_event_is_a_stream_error(shell: Shell) -> None:
    event = b"data: " + DEEP + b"\n\n"
    shell.server.script("/deep-sse", Reply(chunks=[event], content_type="text/event-stream"))
    client = shell.client(max_retries=0)
    stream = shell.run(client.get("/deep-sse", cast_to=dict, stream=True))
    with pytest.raises(StreamInterruptedError, match="not valid JSON"):
        shell.collect(stream)


@pytest.mark.parametrize("charset", ["idna", "punycode", "base64", "no-such-charset", "undefined"])
def test_an_unusable_charset_decodes_as_utf8(shell: Shell, charset: str) -> None:
    body = "..é..".encode()
    shell.server.script("/text", Reply(body=body, content_type=f"text/plain; charset={charset}"))
    client = shell.client(max_retries=0)
    assert shell.run(client.get("/text", cast_to=str)) == "..é.."
    assert shell.run(client.get("/text", cast_to=object)) == "..é.."
    raw = shell.run(client.get("/text", cast_to=APIResponse[str], stream=True))
    assert "".join(shell.collect(raw.iter_text())) == "..é.."


def test_a_mislabelled_content_encoding_is_the_same_error_on_both_shells(shell: Shell) -> None:
    headers = "Content-Encoding: gzip\r\n"
    with RawSocketServer([ReadRequest(), response(body=b'{"plain": true}', headers=headers, close=True)]) as server:
        with pytest.raises(APIConnectionError, match="the response body could not be decoded") as info:
            get(shell, server)
    assert not isinstance(info.value, StreamInterruptedError)


# -- malformed redirects ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "location",
    ["http://[::1", "http://127.0.0.1:99999/", "http://a b/", "http://127.0.0.1:abc/", "http://%zz/",
     "ftp://127.0.0.1/", "http://evil.test\\@127.0.0.1/", "http://evil.test\\.127.0.0.1/"],
)
def test_a_malformed_location_is_an_api_error(shell: Shell, location: str) -> None:
    redirect = (f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n").encode("latin-1")
    with RawSocketServer([ReadRequest(), redirect]) as server:
        with pytest.raises(APIError):
            get(shell, server)
        assert server.connections == 1  # refused (or failed to connect): nothing reached this server again


@pytest.mark.parametrize("location", ["//", "http:///nohost", "\x7fhttp://x/"])
def test_a_location_that_resolves_to_the_same_origin_stays_there(shell: Shell, location: str) -> None:
    # urljoin keeps the base's host for these: the loop ends at max_redirects, as any loop does.
    redirect = (f"HTTP/1.1 302 Found\r\nLocation: {location}\r\nContent-Length: 0\r\n"
                "Connection: close\r\n\r\n").encode("latin-1")
    with RawSocketServer([ReadRequest(), redirect]) as server:
        with pytest.raises(APIError):
            get(shell, server, max_redirects=2)
        assert 1 <= server.connections <= 3
