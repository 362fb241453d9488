"""Both shells against the real fake server: what is sent, what comes back, errors, pools."""

from __future__ import annotations

import asyncio
import inspect
from typing import Any

import pytest

from genai_base import (
    DEFAULT_MAX_RETRIES,
    APIConnectionError,
    APIResponse,
    APIStatusError,
    APITimeoutError,
    AsyncAPIClient,
    AuthenticationError,
    BadRequestError,
    ConflictError,
    FinalRequestOptions,
    InternalServerError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    Timeout,
    UnprocessableEntityError,
    make_request_options,
    omit,
)
from genai_base.testing import FakeAPIServer, Reply

from .conftest import Shell, closed_port


def test_get_echo_joins_base_path_and_sends_default_headers(shell: Shell) -> None:
    client = shell.client(base_url=shell.server.url + "/echo")
    body = shell.run(client.get("/items/1", cast_to=dict))
    assert body["method"] == "GET"
    assert body["path"] == "/echo/items/1"
    headers = body["headers"]
    expected_ua = f"{type(client).__name__}/Python 1.0.0"
    assert headers["user-agent"] == expected_ua
    assert headers["accept"] == "application/json"
    assert headers["x-genai-lang"] == "python"
    assert headers["x-genai-package-version"] == "1.0.0"
    for name in ("x-genai-os", "x-genai-arch", "x-genai-runtime", "x-genai-runtime-version"):
        assert headers[name]
    assert headers["x-genai-retry-count"] == "0"
    assert body["body"] == ""


def test_query_from_url_params_and_custom_query_merge(shell: Shell) -> None:
    client = shell.client(custom_query={"tenant": "t1", "a": "custom"})
    body = shell.run(
        client.get("/echo?a=url&keep=1", cast_to=dict, options=make_request_options(extra_query={"ids": [1, 2]}))
    )
    assert body["query"] == {"tenant": ["t1"], "a": ["url"], "keep": ["1"], "ids": ["1", "2"]}


def test_custom_and_per_call_headers_and_omit(shell: Shell) -> None:
    client = shell.client(custom_headers={"X-Custom": "c", "X-Both": "client"})
    body = shell.run(
        client.get(
            "/echo",
            cast_to=dict,
            options=make_request_options(extra_headers={"x-both": "call", "X-Custom": omit}),
        )
    )
    assert body["headers"]["x-both"] == "call"
    assert "x-custom" not in body["headers"]


def test_post_json_body_with_extra_body(shell: Shell) -> None:
    client = shell.client()
    body = shell.run(
        client.post(
            "/echo", cast_to=dict, body={"a": 1, "n": [1, 2]}, options=make_request_options(extra_body={"b": 2})
        )
    )
    assert body["method"] == "POST"
    assert body["json"] == {"a": 1, "n": [1, 2], "b": 2}
    assert body["content_type"].startswith("application/json")


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_other_verbs_send_their_method_and_body(shell: Shell, method: str) -> None:
    client = shell.client()
    body = shell.run(getattr(client, method)("/echo", cast_to=dict, body={"v": method}))
    assert body["method"] == method.upper()
    assert body["json"] == {"v": method}


def test_raw_content_body(shell: Shell) -> None:
    client = shell.client()
    body = shell.run(
        client.post(
            "/echo",
            cast_to=dict,
            content=b"raw bytes",
            options=make_request_options(extra_headers={"Content-Type": "text/plain"}),
        )
    )
    assert body["body"] == "raw bytes"
    assert body["content_type"].startswith("text/plain")


def test_multipart_files_with_form_fields(shell: Shell) -> None:
    client = shell.client()
    body = shell.run(
        client.post(
            "/echo",
            cast_to=dict,
            body={"purpose": "fine-tune"},
            files={"file": ("data.jsonl", b'{"x": 1}\n', "application/jsonl")},
        )
    )
    assert body["content_type"].startswith("multipart/form-data; boundary=")
    assert body["form"] == {"purpose": "fine-tune"}
    (upload,) = body["files"]
    assert (upload["name"], upload["filename"], upload["text"]) == ("file", "data.jsonl", '{"x": 1}\n')
    assert upload["content_type"] == "application/jsonl"


def test_request_with_final_request_options(shell: Shell) -> None:
    client = shell.client()
    options = FinalRequestOptions(method="post", url="/echo", json_data={"k": "v"}, params={"q": "1"})
    body = shell.run(client.request(dict, options))
    assert (body["method"], body["json"], body["query"]) == ("POST", {"k": "v"}, {"q": ["1"]})


@pytest.mark.parametrize(
    ("cast_to", "check"),
    [
        (dict, lambda v: isinstance(v, dict) and v["method"] == "GET"),
        (object, lambda v: isinstance(v, dict) and v["method"] == "GET"),
        (str, lambda v: isinstance(v, str) and '"method":' in v),
        (bytes, lambda v: isinstance(v, bytes) and v.startswith(b"{")),
        (None, lambda v: v is None),
        (type(None), lambda v: v is None),
    ],
)
def test_cast_to_basic_types(shell: Shell, cast_to: Any, check: Any) -> None:
    client = shell.client()
    assert check(shell.run(client.get("/echo", cast_to=cast_to)))


def test_cast_to_list(shell: Shell) -> None:
    shell.server.script("/list", [Reply(json=[1, 2, 3])])
    assert shell.run(shell.client().get("/list", cast_to=list)) == [1, 2, 3]


def test_raw_response_wrapper(shell: Shell) -> None:
    client = shell.client()
    response = shell.run(client.get("/echo?x=1", cast_to=APIResponse[dict]))
    assert response.status_code == 200
    assert response.headers["x-request-id"].startswith("req_")
    assert response.http_request.method == "GET"
    assert response.http_request.url.endswith("/echo?x=1")
    assert response.retries_taken == 0
    assert response.elapsed.total_seconds() >= 0
    parsed = shell.run(response.parse())
    assert parsed["query"] == {"x": ["1"]}
    assert shell.run(response.json()) == parsed
    assert shell.run(response.text()).startswith("{")
    assert shell.run(response.read()).startswith(b"{")
    chunks = shell.collect(response.iter_bytes())
    assert b"".join(chunks) == shell.run(response.read())


@pytest.mark.parametrize(
    ("status", "error_class"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (403, PermissionDeniedError),
        (404, NotFoundError),
        (409, ConflictError),
        (422, UnprocessableEntityError),
        (429, RateLimitError),
        (500, InternalServerError),
        (503, InternalServerError),
        (418, APIStatusError),
    ],
)
def test_status_maps_to_exception(shell: Shell, status: int, error_class: type[APIStatusError]) -> None:
    client = shell.client(max_retries=0)
    with pytest.raises(error_class) as info:
        shell.run(client.get(f"/status/{status}", cast_to=dict))
    error = info.value
    assert type(error) is error_class
    assert error.status_code == status
    assert error.response.status_code == status
    assert error.body == {"error": {"message": f"status {status}", "code": status}}
    assert error.request_id is not None and error.request_id.startswith("req_")
    assert f"/status/{status}" in str(error)
    assert f"Error code: {status}" in str(error)




def test_connection_refused_raises_connection_error(shell: Shell) -> None:
    client = shell.client(base_url=f"http://127.0.0.1:{closed_port()}", max_retries=0)
    with pytest.raises(APIConnectionError) as info:
        shell.run(client.get("/x", cast_to=dict))
    assert not isinstance(info.value, APITimeoutError)
    assert "127.0.0.1" in str(info.value)


def test_slow_route_times_out(shell: Shell) -> None:
    client = shell.client(max_retries=0, timeout=Timeout(0.1))
    with pytest.raises(APITimeoutError):
        shell.run(client.get("/slow?seconds=1", cast_to=dict))
    assert len(shell.server.requests_to("/slow")) == 1


def test_per_call_timeout_overrides_client_timeout(shell: Shell) -> None:
    client = shell.client(max_retries=0, timeout=0.05)
    body = shell.run(client.get("/slow?seconds=0.1", cast_to=dict, options=make_request_options(timeout=5)))
    assert body == {"slept": 0.1}


def test_copy_shares_the_pool_and_overrides_options(shell: Shell) -> None:
    client = shell.client(max_retries=3, custom_headers={"X-A": "1"})
    copy = client.with_options(max_retries=0)
    assert copy.max_retries == 0 and client.max_retries == 3
    assert copy._shared is client._shared
    assert shell.run(copy.get("/echo", cast_to=dict))["headers"]["x-a"] == "1"
    with pytest.raises(TypeError, match="unexpected"):
        client.copy(nonsense=1)
    shell.run(copy.close())
    assert client.is_closed()
    with pytest.raises(APIConnectionError, match="closed"):
        shell.run(client.get("/echo", cast_to=dict))


def test_context_manager_closes(shell: Shell) -> None:
    client = shell.client()
    if shell.is_async:

        async def use() -> None:
            async with client as c:
                assert (await c.get("/echo", cast_to=dict))["method"] == "GET"

        shell.run(use())
    else:
        with client as c:
            assert c.get("/echo", cast_to=dict)["method"] == "GET"
    assert client.is_closed()


def test_max_retries_none_is_a_type_error(shell: Shell) -> None:
    with pytest.raises(TypeError, match="max_retries"):
        shell.client(max_retries=None)
    assert shell.client().max_retries == DEFAULT_MAX_RETRIES == 5


def test_unfollowed_redirect_raises_status_error(shell: Shell) -> None:
    client = shell.client(max_retries=0)
    with pytest.raises(APIStatusError) as info:
        shell.run(
            client.get(
                "/redirect?to=/echo&status=302", cast_to=dict, options=make_request_options(follow_redirects=False)
            )
        )
    assert info.value.status_code == 302
    body = shell.run(client.get("/redirect?to=/echo&status=302", cast_to=dict))
    assert body["path"] == "/echo"


def test_environment_proxy_is_used_with_trust_env(shell: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    # The fake server plays the proxy: a host that never resolves still answers through it.
    monkeypatch.setenv("HTTP_PROXY", shell.server.url)
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.delenv("http_proxy", raising=False)
    client = shell.client(base_url="http://api.invalid", max_retries=0)
    echo = shell.run(client.get("/echo", cast_to=dict))
    assert echo["headers"]["host"] == "api.invalid"
    assert shell.server.requests[-1].url.startswith("http://api.invalid")


def test_configured_proxy_without_trust_env(shell: Shell, monkeypatch: pytest.MonkeyPatch) -> None:
    from genai_base import ClientContainer

    monkeypatch.delenv("HTTP_PROXY", raising=False)
    monkeypatch.delenv("http_proxy", raising=False)
    container = ClientContainer()
    container.config.from_dict({"trust_env": False, "proxies": shell.server.url})
    client = shell.client(base_url="http://api.invalid", max_retries=0, container=container)
    assert shell.run(client.get("/echo", cast_to=dict))["headers"]["host"] == "api.invalid"


def test_headers_of_a_custom_requests_session_are_sent(fake_api: Any) -> None:
    # A session factory may configure headers; the client's own headers win case-insensitively.
    import requests

    from genai_base import ClientContainer, SyncAPIClient

    def factory(settings: Any) -> requests.Session:
        session = requests.Session()
        session.headers.update({"X-From-Session": "s", "ACCEPT": "text/plain", "X-Bytes": b"raw-bytes"})
        return session

    container = ClientContainer()
    container.session_factory.override(factory)
    with SyncAPIClient(version="1", base_url=fake_api.url, container=container) as client:
        for _ in range(2):  # the per-origin environment is cached after the first call
            body = client.get("/echo", cast_to=dict)
            headers = {k.lower(): v for k, v in body["headers"].items()}
            assert headers["x-from-session"] == "s"
            assert headers["x-bytes"] == "raw-bytes"
            assert headers["accept"] == "application/json"
            assert sum(k == "accept" for k in headers) == 1
        # A header changed on the session later is sent from then on (nothing stale is reused).
        client._session.headers["X-From-Session"] = "changed"
        assert client.get("/echo", cast_to=dict)["headers"]["x-from-session"] == "changed"
        own = client.get("/echo", cast_to=dict, options={"headers": {"X-Per-Call": "1"}})["headers"]
        assert own["x-per-call"] == "1" and own["x-from-session"] == "changed"
        assert "x-per-call" not in client.get("/echo", cast_to=dict)["headers"]


def test_netrc_credentials_are_sent_to_their_host_only(
    shell: Shell, monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    import base64

    netrc = tmp_path / "netrc"
    netrc.write_text("machine 127.0.0.1 login alice password s3cret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    expected = "Basic " + base64.b64encode(b"alice:s3cret").decode()
    client = shell.client(max_retries=0)
    for _ in range(2):  # the origin's environment is looked up once, then reused
        assert shell.run(client.get("/echo", cast_to=dict))["headers"].get("authorization") == expected
    # A header the caller sets wins over ~/.netrc.
    own = shell.client(max_retries=0, custom_headers={"Authorization": "Bearer mine"})
    assert shell.run(own.get("/echo", cast_to=dict))["headers"]["authorization"] == "Bearer mine"
    # Another host (here: "localhost", same server) has no netrc entry: nothing is sent.
    other = shell.client(base_url=shell.server.url.replace("127.0.0.1", "localhost"), max_retries=0)
    assert "authorization" not in shell.run(other.get("/echo", cast_to=dict))["headers"]


def test_environment_proxy_credentials_go_in_proxy_authorization(
    shell: Shell, monkeypatch: pytest.MonkeyPatch
) -> None:
    import base64

    host_port = shell.server.url.split("://", 1)[1]
    monkeypatch.setenv("HTTP_PROXY", f"http://bob:pw@{host_port}")
    monkeypatch.setenv("NO_PROXY", "")
    monkeypatch.delenv("http_proxy", raising=False)
    client = shell.client(base_url="http://api.invalid", max_retries=0)
    echo = shell.run(client.get("/echo", cast_to=dict))
    assert echo["headers"]["host"] == "api.invalid"
    assert echo["headers"]["proxy-authorization"] == "Basic " + base64.b64encode(b"bob:pw").decode()


def test_async_verbs_hand_out_a_coroutine_that_is_awaited_once(fake_api: FakeAPIServer) -> None:
    fake_api.script("/items", [Reply(json={"n": 1}), Reply(json={"n": 2})])

    async def main() -> list[Any]:
        async with AsyncAPIClient(version="1", base_url=fake_api.url, max_retries=0) as client:
            pending = [client.get("/items", cast_to=dict), client.post("/items", cast_to=dict, body={"a": 1})]
            assert all(inspect.iscoroutine(each) for each in pending)
            assert fake_api.requests_to("/items") == []  # nothing is sent before a coroutine runs
            return list(await asyncio.gather(*pending))

    results = asyncio.run(main())
    assert sorted(result["n"] for result in results) == [1, 2]
    assert sorted(r.method for r in fake_api.requests_to("/items")) == ["GET", "POST"]
