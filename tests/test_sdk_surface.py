"""What an SDK author gets: copies of the SDK's own class, its settings namespace, per-request headers,
the prepare hooks, per-call headers over auth, policies, the end event, response wrappers (both shells)."""

from __future__ import annotations

import logging
import os
from typing import Any, Optional

import pytest

from genai_base import (
    APIResponse,
    AsyncAPIClient,
    AsyncAPIResource,
    AsyncAPIResponse,
    BearerAuth,
    ClientContainer,
    EndEvent,
    FinalRequestOptions,
    Model,
    PolicyContext,
    PreparedRequest,
    SyncAPIClient,
    SyncAPIResource,
    async_to_raw_response_wrapper,
    async_to_streamed_response_wrapper,
    make_request_options,
    omit,
    to_raw_response_wrapper,
    to_streamed_response_wrapper,
)
from genai_base.testing import FakeAPIServer, Reply

from .conftest import Shell


def _sdk_classes(base: type) -> type:
    class AcmeClient(base):  # type: ignore[valid-type,misc]
        env_prefix = "ACME_"
        logger_name = "acme"

        def __init__(self, *, api_key: Optional[str] = None, base_url: str, **kwargs: Any) -> None:
            api_key = api_key or os.environ.get("ACME_API_KEY")
            if not api_key:
                raise ValueError("no api_key given and ACME_API_KEY is not set")
            self.api_key = api_key
            super().__init__(version="9.9", base_url=base_url, **kwargs)

        @property
        def auth_headers(self) -> dict[str, str]:
            return {"x-goog-api-key": self.api_key}

    return AcmeClient


def _sdk(shell: Shell, **kwargs: Any) -> Any:
    cls = _sdk_classes(AsyncAPIClient if shell.is_async else SyncAPIClient)
    client = cls(base_url=shell.server.url, **kwargs)
    shell._clients.append(client)
    return client


def _sent(shell: Shell, path: str = "/echo") -> list[dict[str, str]]:
    return [{k.lower(): v for k, v in r.headers.items()} for r in shell.server.requests_to(path)]


def test_copies_are_of_the_sdks_own_class_with_its_own_arguments(shell: Shell) -> None:
    client = _sdk(shell, api_key="k1", max_retries=1)
    copy = client.with_options(api_key="k2")
    assert type(copy) is type(client) and copy.api_key == "k2" and copy.max_retries == 1
    assert copy._shared is client._shared  # one pool
    shell.run(copy.get("/echo", cast_to=dict))
    assert _sent(shell)[-1]["x-goog-api-key"] == "k2"
    with pytest.raises(TypeError, match="verison"):
        client.copy(verison="2")
    plain = shell.client()
    assert type(plain.copy(max_retries=0)) is type(plain)


def test_an_sdk_reads_its_own_environment_variables_and_logs_on_its_logger(
    shell: Shell, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("ACME_API_KEY", "from-env")
    monkeypatch.setenv("ACME_MAX_RETRIES", "3")
    monkeypatch.setenv("GENAI_BASE_MAX_RETRIES", "7")  # another namespace: not this SDK's
    client = _sdk(shell)
    assert client.api_key == "from-env" and client.max_retries == 3
    assert shell.client().max_retries == 7
    caplog.set_level(logging.DEBUG, logger="acme")
    shell.run(client.get("/echo", cast_to=dict))
    assert any(r.name == "acme" and "request GET" in r.getMessage() for r in caplog.records)
    assert "from-env" not in caplog.text


def test_a_rotated_key_is_sent_from_the_next_call(shell: Shell) -> None:
    client = _sdk(shell, api_key="old")
    shell.run(client.get("/echo", cast_to=dict))
    client.api_key = "new"
    shell.run(client.get("/echo", cast_to=dict))
    assert [h["x-goog-api-key"] for h in _sent(shell)] == ["old", "new"]


def test_default_query_is_read_per_request(shell: Shell) -> None:
    base = AsyncAPIClient if shell.is_async else SyncAPIClient

    class Regional(base):  # type: ignore[valid-type,misc]
        region = "eu"

        @property
        def default_query(self) -> dict[str, object]:
            return {"region": self.region}

    client = Regional(version="1", base_url=shell.server.url)
    shell._clients.append(client)
    assert shell.run(client.get("/echo", cast_to=dict))["query"] == {"region": ["eu"]}
    client.region = "us"
    assert shell.run(client.get("/echo?x=1", cast_to=dict))["query"] == {"region": ["us"], "x": ["1"]}


def test_prepare_hooks_and_header_validation_are_called(shell: Shell) -> None:
    seen: list[str] = []
    base = AsyncAPIClient if shell.is_async else SyncAPIClient

    if shell.is_async:

        class Prepared(base):  # type: ignore[valid-type,misc]
            async def _prepare_options(self, options: FinalRequestOptions) -> FinalRequestOptions:
                seen.append("options")
                return options.copy(headers={**(options.headers or {}), "x-prepared": "1"})

            def _prepare_request(self, request: PreparedRequest) -> None:
                seen.append("request")
                request.headers["x-region"] = "eu"

            def _validate_headers(self, headers: Any, custom_headers: Any) -> None:
                if "x-refuse" in headers:
                    raise ValueError("refused by the SDK")

    else:

        class Prepared(base):  # type: ignore[valid-type,misc,no-redef]
            def _prepare_options(self, options: FinalRequestOptions) -> FinalRequestOptions:
                seen.append("options")
                return options.copy(headers={**(options.headers or {}), "x-prepared": "1"})

            def _prepare_request(self, request: PreparedRequest) -> None:
                seen.append("request")
                request.headers["x-region"] = "eu"

            def _validate_headers(self, headers: Any, custom_headers: Any) -> None:
                if "x-refuse" in headers:
                    raise ValueError("refused by the SDK")

    shell.server.script("/flaky", [Reply(status=503, headers={"retry-after-ms": "1"}), Reply(json={"ok": 1})])
    client = Prepared(version="1", base_url=shell.server.url)
    shell._clients.append(client)
    assert shell.run(client.get("/flaky", cast_to=dict)) == {"ok": 1}
    assert seen == ["options", "request", "request"]  # once per call, before every attempt
    assert all(h["x-prepared"] == "1" and h["x-region"] == "eu" for h in _sent(shell, "/flaky"))
    with pytest.raises(ValueError, match="refused by the SDK"):
        shell.run(client.get("/echo", cast_to=dict, options={"headers": {"x-refuse": "1"}}))
    assert _sent(shell) == []


def test_a_per_call_header_beats_the_auth_components_and_omit_removes_it(shell: Shell) -> None:
    client = shell.client(auth=BearerAuth("component"))
    shell.run(client.get("/echo", cast_to=dict))
    shell.run(client.get("/echo", cast_to=dict, options=make_request_options(extra_headers={"Authorization": "mine"})))
    shell.run(client.get("/echo", cast_to=dict, options=make_request_options(extra_headers={"Authorization": omit})))
    sent = _sent(shell)
    assert sent[0]["authorization"] == "Bearer component" and sent[1]["authorization"] == "mine"
    assert "authorization" not in sent[2]


class Traceparent:
    def __init__(self) -> None:
        self.statuses: list[int] = []

    def on_request(self, request: PreparedRequest, context: PolicyContext) -> None:
        request.headers["traceparent"] = f"00-{context.call_id}-{context.attempt}"

    def on_response(self, response: Any, context: PolicyContext) -> None:
        self.statuses.append(response.status_code)


def test_policies_change_every_attempt_and_see_every_response(shell: Shell) -> None:
    policy = Traceparent()
    container = ClientContainer()
    container.policies.override([policy])
    container.retry_policy.override(__import__("genai_base").ExponentialRetryPolicy(initial_delay=0.001))
    shell.server.script("/flaky", [Reply(status=503), Reply(json={"ok": 1})])
    client = shell.client(container=container)
    assert shell.run(client.get("/flaky", cast_to=dict)) == {"ok": 1}
    sent = [h["traceparent"] for h in _sent(shell, "/flaky")]
    assert len(sent) == 2 and sent[0].endswith("-0") and sent[1].endswith("-1")
    assert sent[0].rsplit("-", 1)[0] == sent[1].rsplit("-", 1)[0]  # one call id
    assert policy.statuses == [503, 200]


class Item(Model):
    id: str


class Ends:
    def __init__(self) -> None:
        self.events: list[EndEvent] = []

    def on_end(self, event: EndEvent) -> None:
        self.events.append(event)


def test_every_call_ends_with_one_end_event_a_failed_validation_included(shell: Shell) -> None:
    hook = Ends()
    container = ClientContainer()
    container.hooks.override([hook])
    client = shell.client(container=container, _strict_response_validation=True, max_retries=0)
    shell.run(client.get("/echo", cast_to=dict))
    shell.server.script("/bad", Reply(json={"id": 5}))
    with pytest.raises(Exception, match="id"):
        shell.run(client.get("/bad", cast_to=Item))
    shell.server.script("/gone", Reply(status=404))
    with pytest.raises(Exception, match="404"):
        shell.run(client.get("/gone", cast_to=dict))
    assert [e.outcome for e in hook.events] == ["success", "error", "error"]
    assert all(e.attempts == 1 and e.elapsed.total_seconds() >= 0 for e in hook.events)
    assert hook.events[1].exception is not None and hook.events[0].exception is None


def test_make_request_options_takes_query_and_post_parser(shell: Shell) -> None:
    client = shell.client()
    options = make_request_options(query={"a": 1, "b": 2}, extra_query={"b": 3}, post_parser=lambda body: body["query"])
    assert shell.run(client.get("/echo", cast_to=dict, options=options)) == {"a": ["1"], "b": ["3"]}
    raw = shell.run(client.get("/echo", cast_to=APIResponse[dict], options=options))
    assert shell.run(raw.parse()) == {"a": ["1"], "b": ["3"]}


class SyncItems(SyncAPIResource):
    def create(self, *, name: str, extra_headers: Optional[dict[str, str]] = None) -> dict[str, Any]:
        options = make_request_options(extra_headers=extra_headers)
        return self._post("/echo", body={"name": name}, cast_to=dict, options=options)

    def events(self, *, extra_headers: Optional[dict[str, str]] = None) -> Any:
        return self._get(
            "/sse?count=3", cast_to=dict, stream=True, options=make_request_options(extra_headers=extra_headers)
        )


class AsyncItems(AsyncAPIResource):
    async def create(self, *, name: str, extra_headers: Optional[dict[str, str]] = None) -> dict[str, Any]:
        return await self._post(
            "/echo", body={"name": name}, cast_to=dict, options=make_request_options(extra_headers=extra_headers)
        )

    async def events(self, *, extra_headers: Optional[dict[str, str]] = None) -> Any:
        return await self._get(
            "/sse?count=3", cast_to=dict, stream=True, options=make_request_options(extra_headers=extra_headers)
        )


def test_sync_response_wrappers(fake_api: FakeAPIServer) -> None:
    with SyncAPIClient(version="1", base_url=fake_api.url) as client:
        items = SyncItems(client)
        raw = to_raw_response_wrapper(items.create)(name="a")
        assert isinstance(raw, APIResponse) and raw.status_code == 200
        assert raw.parse()["json"] == {"name": "a"} and raw.method == "POST" and raw.http_version == "HTTP/1.1"
        sent = fake_api.requests_to("/echo")[-1]
        assert not any(k.lower().startswith("x-genai-base-raw") for k in sent.headers)  # the marker is not sent
        with to_streamed_response_wrapper(items.create)(name="b") as response:
            assert not response.is_closed
            lines = list(response.iter_lines())
        assert response.is_closed and '"name": "b"' in "".join(lines).replace('":"', '": "')
        stream = to_raw_response_wrapper(items.events)().parse()
        assert [event["index"] for event in stream] == [0, 1, 2]


def test_async_response_wrappers(fake_api: FakeAPIServer) -> None:
    import asyncio

    async def scenario() -> None:
        async with AsyncAPIClient(version="1", base_url=fake_api.url) as client:
            items = AsyncItems(client)
            raw = await async_to_raw_response_wrapper(items.create)(name="a")
            assert isinstance(raw, AsyncAPIResponse)
            assert (await raw.parse())["json"] == {"name": "a"}
            async with async_to_streamed_response_wrapper(items.create)(name="b") as response:
                chunks = [chunk async for chunk in response.iter_bytes()]
            assert response.is_closed and b'"name"' in b"".join(chunks)
            stream = await (await async_to_raw_response_wrapper(items.events)()).parse()
            assert [event["index"] async for event in stream] == [0, 1, 2]

    asyncio.run(scenario())


def test_an_async_client_works_across_event_loops_and_closes_them_all(
    fake_api: FakeAPIServer, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio

    client = AsyncAPIClient(version="1", base_url=fake_api.url)

    async def call() -> Any:
        return (await client.get("/echo", cast_to=dict))["method"]

    assert asyncio.run(call()) == "GET"
    assert asyncio.run(call()) == "GET"  # a second loop: a session of its own, the first one closed with its loop

    async def close() -> None:
        await client.aclose()

    asyncio.run(close())
    assert client.is_closed()
    assert not [r for r in caplog.records if r.name == "asyncio"]


def test_an_async_client_used_from_two_threads_at_once_uses_each_loops_own_session(fake_api: FakeAPIServer) -> None:
    # Calls alternate between two threads' loops: each must find its own loop's transport (the client
    # remembers the last one it used, for the next call to find quickly); another loop's session
    # would fail the call.
    import asyncio
    import threading

    client = AsyncAPIClient(version="1", base_url=fake_api.url, max_retries=0)
    errors: list[BaseException] = []
    methods: list[str] = []
    turn = threading.Barrier(2)

    def run() -> None:
        async def calls() -> None:
            for _ in range(20):
                await asyncio.to_thread(turn.wait)  # both threads call in lockstep, interleaved
                methods.append((await client.get("/echo", cast_to=dict))["method"])

        try:
            asyncio.run(calls())
        except BaseException as exc:  # reported below
            errors.append(exc)
            turn.abort()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert methods == ["GET"] * 40
    assert not client.is_closed()  # each loop's session closed with its loop; the client goes on
    asyncio.run(client.aclose())


def test_an_unclosed_async_client_warns_once_and_logs_no_asyncio_error(
    fake_api: FakeAPIServer, caplog: pytest.LogCaptureFixture
) -> None:
    import asyncio
    import gc
    import warnings

    async def leave_it_open() -> None:
        client = AsyncAPIClient(version="1", base_url=fake_api.url)
        await client.get("/echo", cast_to=dict)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        asyncio.run(leave_it_open())
        gc.collect()
    ours = [w for w in caught if issubclass(w.category, ResourceWarning)]
    assert len(ours) == 1 and "AsyncAPIClient was not closed" in str(ours[0].message)
    assert not [r for r in caplog.records if r.name == "asyncio"]
