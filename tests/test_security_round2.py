"""Security, round 2 (issue 22): credentials stay with their origin and out of every text, on both shells.

Same-origin judged the transport's way for redirects and next-page links,
every secret header dropped on a redirect to another origin, a URL's
password redacted wherever the URL is shown, a caller's
``Proxy-Authorization`` only to the proxy, a pool per process after
``os.fork()``, cookies per origin (IP hosts too).
"""

from __future__ import annotations

import asyncio
import base64
import logging
import os
import ssl
import traceback
from pathlib import Path
from typing import Any, Iterator

import pytest

from genai_base import (
    APIConnectionError,
    APIError,
    APIResponse,
    AsyncAPIClient,
    BearerAuth,
    ClientContainer,
    LinkHeaderPaginator,
    PaginationError,
    SyncAPIClient,
)
from genai_base._engine import EXCHANGE
from genai_base.testing import FakeAPIServer, RawSocketServer, ReadRequest, Reply, Tunnel

from .conftest import Shell, attempts, closed_port
from .test_tls import _pem_files

SECRET = "s3cr3t-value"


@pytest.fixture
def elsewhere() -> Iterator[RawSocketServer]:
    """Another origin that must never be reached: it answers 200 and counts connections."""
    body = b'{"leaked": true}'
    reply = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    with RawSocketServer([ReadRequest(), reply]) as server:
        yield server


def backslash_url(elsewhere: RawSocketServer, shell: Shell, path: str) -> str:
    """``http://<other origin>\\@<this server>/path``: the library's parser sees this server, urllib3 the other."""
    return f"http://127.0.0.1:{elsewhere.port}\\@127.0.0.1:{shell.server.port}{path}"


# -- same origin, the transport's way ----------------------------------------------------------------


def test_a_next_page_link_with_a_backslash_is_refused(shell: Shell, elsewhere: RawSocketServer) -> None:
    link = backslash_url(elsewhere, shell, "/items?page=2")
    shell.server.script("/items", Reply(json=[{"id": 1}], headers={"Link": f'<{link}>; rel="next"'}))
    client = shell.client(max_retries=0, auth=BearerAuth(SECRET))
    with pytest.raises(PaginationError, match="backslash"):
        shell.collect(client.get_api_list("/items", model=object, paginator=LinkHeaderPaginator()))
    assert elsewhere.connections == 0


def test_a_redirect_with_a_backslash_is_refused(shell: Shell, elsewhere: RawSocketServer) -> None:
    # Already refused by the engine before this round; kept as a real-socket check.
    location = backslash_url(elsewhere, shell, "/echo")
    shell.server.script("/go", Reply(status=302, headers={"Location": location}))
    client = shell.client(max_retries=0, auth=BearerAuth(SECRET))
    with pytest.raises(APIConnectionError, match="ambiguous"):
        shell.run(client.get("/go", cast_to=dict))
    assert elsewhere.connections == 0


def test_every_secret_header_is_dropped_on_a_redirect_to_another_origin(shell: Shell) -> None:
    # Already dropped by the engine before this round; kept as a real-socket check of each source.
    other = shell.server.url.replace("127.0.0.1", "localhost")  # same server, another origin
    shell.server.script("/go", Reply(status=307, headers={"Location": other + "/echo"}))
    shell.server.script("/stay", Reply(status=307, headers={"Location": "/echo"}))

    class KeyedMixin:
        @property
        def auth_headers(self) -> dict[str, str]:
            return {"x-goog-api-key": SECRET}

    cls = type("KeyedClient", (KeyedMixin, AsyncAPIClient if shell.is_async else SyncAPIClient), {})
    client = cls(version="1", base_url=shell.server.url, max_retries=0,
                 custom_headers={"X-Api-Key": SECRET, "Proxy-Authorization": SECRET})
    shell._clients.append(client)
    options = {"headers": {"Authorization": f"Bearer {SECRET}", "Cookie": f"c={SECRET}"}}
    echo = shell.run(client.get("/go", cast_to=dict, options=options))
    assert SECRET not in str(echo["headers"])
    same = shell.run(client.get("/stay", cast_to=dict, options=options))  # kept on the same origin
    assert same["headers"]["x-goog-api-key"] == SECRET and same["headers"]["x-api-key"] == SECRET


def test_a_scheme_relative_location_takes_the_current_scheme_and_strips_credentials_off_origin(shell: Shell) -> None:
    # ``Location: //host/path`` is resolved as browsers and requests do: the current URL's scheme, that host.
    here = shell.server.url.split("://", 1)[1]
    other = here.replace("127.0.0.1", "localhost")  # the same server under another origin
    shell.server.script("/same", Reply(status=302, headers={"Location": f"//{here}/echo?hop=same"}))
    shell.server.script("/other", Reply(status=307, headers={"Location": f"//{other}/echo?hop=other"}))
    client = shell.client(max_retries=0, auth=BearerAuth(SECRET), custom_headers={"X-Api-Key": SECRET})
    same = shell.run(client.get("/same", cast_to=dict))
    assert (same["path"], same["query"]) == ("/echo", {"hop": ["same"]})
    assert same["headers"]["authorization"] == f"Bearer {SECRET}" and same["headers"]["x-api-key"] == SECRET
    moved = shell.run(client.get("/other", cast_to=dict))
    assert (moved["path"], moved["query"], moved["headers"]["host"]) == ("/echo", {"hop": ["other"]}, other)
    assert SECRET not in str(moved["headers"])
    assert [len(shell.server.requests_to(p)) for p in ("/same", "/other")] == [1, 1]  # no loop


# -- a password in the URL --------------------------------------------------------------------------


class Recorder:
    """A hook keeping the text of every record it gets."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def _keep(self, event: Any) -> None:
        self.texts.append(repr(event))

    on_request = on_response = on_retry = on_error = on_end = _keep


def test_a_password_in_the_url_is_redacted_everywhere(shell: Shell, caplog: pytest.LogCaptureFixture) -> None:
    from genai_base import ExponentialRetryPolicy, LoggingHook

    recorder = Recorder()
    container = ClientContainer()
    container.hooks.override([LoggingHook(), recorder])
    container.retry_policy.override(ExponentialRetryPolicy(initial_delay=0.001, max_delay=0.002))
    caplog.set_level(logging.DEBUG)
    base = shell.server.url.replace("http://", f"http://user:{SECRET}@")
    client = shell.client(base_url=base, container=container, max_retries=1)
    assert SECRET not in repr(client)
    shell.run(client.get("/echo", cast_to=dict))
    with pytest.raises(APIError) as status_error:
        shell.run(client.get("/status/503", cast_to=dict))
    dead = shell.client(base_url=f"http://user:{SECRET}@127.0.0.1:{closed_port()}/", container=container,
                        max_retries=0)
    with pytest.raises(APIConnectionError) as connection_error:
        shell.run(dead.get("/x?token=" + SECRET, cast_to=dict))
    texts = [caplog.text, *recorder.texts]
    for info in (status_error, connection_error):
        error = info.value
        texts += [str(error), repr(error), repr(error.request), "".join(traceback.format_exception(error))]
    leaked = [text[:200] for text in texts if SECRET in text]
    assert not leaked
    assert any("user:<redacted>@" in text for text in texts)


def test_a_urls_credentials_are_sent_as_basic_auth_on_both_shells(shell: Shell) -> None:
    # What requests and aiohttp each do with user:password in a URL (the sync shell's fast path skipped it).
    client = shell.client(base_url=shell.server.url.replace("http://", f"http://user:{SECRET}@"), max_retries=0)
    echo = shell.run(client.get("/echo", cast_to=dict))
    assert echo["headers"]["authorization"] == "Basic " + base64.b64encode(f"user:{SECRET}".encode()).decode()
    # A caller's own Authorization wins.
    echo = shell.run(client.get("/echo", cast_to=dict, options={"headers": {"Authorization": "Bearer own"}}))
    assert echo["headers"]["authorization"] == "Bearer own"


@pytest.mark.parametrize("where", ["auth", "header"])
def test_a_credential_with_a_newline_is_refused_naming_the_header_only(shell: Shell, where: str) -> None:
    client = shell.client(max_retries=0, **({"auth": BearerAuth(SECRET + "\n")} if where == "auth" else {}))
    options = {"headers": {"X-Api-Key": SECRET + "\r\nX-Injected: 1"}} if where == "header" else {}
    with pytest.raises(ValueError, match=r"X-Api-Key|Authorization") as info:
        shell.run(client.get("/echo", cast_to=dict, options=options))
    assert not isinstance(info.value, APIError)
    assert SECRET not in "".join(traceback.format_exception(info.value))
    assert attempts(shell, "/echo") == 0  # nothing was sent


def test_urllib3_debug_lines_carry_no_query_values(fake_api: FakeAPIServer, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="urllib3")
    with SyncAPIClient(version="1", base_url=fake_api.url, max_retries=0) as client:
        client.get(f"/echo?key={SECRET}&page=2&my_param={SECRET}", cast_to=dict)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("urllib3")]
    assert any('"GET /echo?' in line for line in lines)  # urllib3 still logs its request line
    assert not [line for line in lines if SECRET in line]


# -- Proxy-Authorization and the CONNECT tunnel -----------------------------------------------------------


@pytest.fixture(scope="module")
def tls_origin(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FakeAPIServer, Path]]:
    ca_path, cert_path, key_path = _pem_files(tmp_path_factory.mktemp("tls"))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    with FakeAPIServer(ssl_context=context) as server:
        yield server, ca_path


def test_a_callers_proxy_authorization_goes_to_the_proxy_only(
    shell: Shell, tls_origin: tuple[FakeAPIServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy", "NO_PROXY",
                 "no_proxy"):
        monkeypatch.delenv(name, raising=False)
    origin, ca_path = tls_origin
    origin.clear()
    with RawSocketServer([Tunnel()]) as proxy:
        container = ClientContainer()
        container.config.from_dict({"proxies": proxy.url, "verify": str(ca_path)})
        client = shell.client(base_url=origin.url, container=container, max_retries=0,
                              custom_headers={"Proxy-Authorization": f"Basic {SECRET}"})
        echo = shell.run(client.get("/echo", cast_to=dict))
        (connect,) = proxy.requests
    assert connect.method == "CONNECT" and connect.header("proxy-authorization") == f"Basic {SECRET}"
    assert "proxy-authorization" not in echo["headers"]  # not inside the tunnel, to the origin
    assert origin.requests_to("/echo")[0].headers.get("proxy-authorization") is None


# -- os.fork() ----------------------------------------------------------------------------------------------


def test_async_client_in_a_forked_child_gets_its_own_pool(fake_api: FakeAPIServer) -> None:
    loop = asyncio.new_event_loop()
    client = AsyncAPIClient(version="1", base_url=fake_api.url, max_retries=0)
    try:
        assert loop.run_until_complete(client.get("/echo", cast_to=dict))["method"] == "GET"  # a pooled socket
        parent_transport = client._shared.current[1]
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: a loop of its own, and must not touch the parent's pooled socket
            try:

                async def child() -> bool:
                    answers = [await client.get(f"/echo?n={i}", cast_to=dict) for i in range(20)]
                    ok = all(a["query"] == {"n": [str(i)]} for i, a in enumerate(answers))
                    return ok and client._shared.current[1] is not parent_transport

                os.write(write, b"1" if asyncio.run(child()) else b"0")
            except BaseException:
                os.write(write, b"0")
            finally:
                os._exit(0)
        answers = [loop.run_until_complete(client.get(f"/echo?p={i}", cast_to=dict)) for i in range(20)]
        os.waitpid(pid, 0)
        assert os.read(read, 1) == b"1"
        assert all(a["query"] == {"p": [str(i)]} for i, a in enumerate(answers))
        assert client._shared.current[1] is parent_transport
    finally:
        loop.run_until_complete(client.close())
        loop.close()


# -- cookies ------------------------------------------------------------------------------------------------


def test_cookies_from_an_ip_host_are_kept_and_sent_only_there(shell: Shell) -> None:
    shell.server.script("/login", Reply(json={}, headers={"Set-Cookie": f"sid={SECRET}; Path=/"}))
    client = shell.client(max_retries=0)
    shell.run(client.get("/login", cast_to=dict))
    assert shell.run(client.get("/echo", cast_to=dict))["headers"].get("cookie") == f"sid={SECRET}"
    other = shell.server.url.replace("127.0.0.1", "localhost")  # the same server as another origin
    assert "cookie" not in shell.run(client.get(other + "/echo", cast_to=dict))["headers"]


def test_set_cookie_is_redacted_in_response_records(shell: Shell) -> None:
    recorder = Recorder()
    container = ClientContainer()
    container.hooks.override([recorder])
    shell.server.script("/login", Reply(json={}, headers={"Set-Cookie": f"sid={SECRET}"}))
    shell.run(shell.client(container=container, max_retries=0).get("/login", cast_to=dict))
    assert recorder.texts and not [t for t in recorder.texts if SECRET in t]


def test_the_per_origin_environment_cache_stays_bounded(shell: Shell) -> None:
    client = shell.client(max_retries=0)
    port = closed_port()
    for host in range(300):  # 127.0.0.x: every one a new origin, each refused at once
        with pytest.raises(APIConnectionError):
            shell.run(client.get(f"http://127.0.{host // 250}.{host % 250 + 1}:{port}/x", cast_to=dict))
    transport = client._shared.current[1][EXCHANGE].__self__ if shell.is_async else client._shared.for_this_process()
    assert 0 < len(transport._env_by_origin) <= 256


# -- after redirects, and as bytes arrive -----------------------------------------------------------------------


def test_a_raw_response_describes_the_final_hop(shell: Shell) -> None:
    client = shell.client(max_retries=0)
    raw = shell.run(client.get("/redirect?to=/echo%3Fhop%3D2", cast_to=APIResponse[dict]))
    assert raw.url == shell.server.url + "/echo?hop=2"
    assert raw.http_request.url == raw.url and raw.status_code == 200


def test_iter_bytes_yields_as_bytes_arrive(shell: Shell) -> None:
    import time

    shell.server.script("/drip", Reply(chunks=[b"first", b"second"], chunk_delay=0.5))
    client = shell.client(max_retries=0)
    raw = shell.run(client.get("/drip", cast_to=APIResponse[bytes], stream=True))
    started = time.monotonic()

    async def first_async() -> bytes:
        async for chunk in raw.iter_bytes():
            return bytes(chunk)
        return b""

    first = shell.run(first_async()) if shell.is_async else next(iter(raw.iter_bytes()))
    assert first == b"first" and time.monotonic() - started < 0.4
    shell.run(raw.close())
