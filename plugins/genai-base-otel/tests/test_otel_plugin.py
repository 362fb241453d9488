"""genai-base-otel end to end: spans recorded by the SDK's InMemorySpanExporter, on both clients."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Iterator

import pytest
from genai_base_otel import OpenTelemetryHook
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from genai_base import (
    APIConnectionError,
    AsyncAPIClient,
    ClientContainer,
    LoggingHook,
    NotFoundError,
    SyncAPIClient,
    make_request_options,
)
from genai_base.testing import FakeAPIServer, Reply

RETRY_NOW = {"retry-after-ms": "1"}


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.clear()


@pytest.fixture
def hook(exporter: InMemorySpanExporter) -> OpenTelemetryHook:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return OpenTelemetryHook(tracer_provider=provider)


@pytest.fixture(params=["sync", "async"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def container_with(hook: OpenTelemetryHook) -> ClientContainer:
    container = ClientContainer()
    container.hooks.override([LoggingHook(), hook])
    return container


def call(kind: str, fn: Callable[[Any], Any], **kwargs: Any) -> Any:
    """Build a client of ``kind``, run ``fn(client)`` (awaited on the async client), close it."""
    kwargs.setdefault("version", "1.0.0")
    if kind == "sync":
        with SyncAPIClient(**kwargs) as client:
            return fn(client)

    async def main() -> Any:
        async with AsyncAPIClient(**kwargs) as client:
            return await fn(client)

    return asyncio.run(main())


def events(span: Any, name: str) -> list[Any]:
    return [event for event in span.events if event.name == name]


def test_one_span_for_a_successful_call(
    kind: str, fake_api: FakeAPIServer, hook: OpenTelemetryHook, exporter: InMemorySpanExporter
) -> None:
    call(kind, lambda c: c.get("/echo?token=sekrit&page=2", cast_to=dict), base_url=fake_api.url,
         container=container_with(hook))
    (span,) = exporter.get_finished_spans()
    assert span.name == "GET"
    assert span.kind is SpanKind.CLIENT
    attributes = dict(span.attributes or {})
    assert attributes["http.request.method"] == "GET"
    assert attributes["http.response.status_code"] == 200
    assert attributes["server.address"] == "127.0.0.1"
    assert attributes["server.port"] == fake_api.port
    assert "sekrit" not in attributes["url.full"]
    assert attributes["url.full"].startswith(fake_api.url + "/echo?token=")
    assert "page=2" in attributes["url.full"]
    assert "http.request.resend_count" not in attributes
    assert len(events(span, "http.attempt")) == 1
    assert span.status.status_code is StatusCode.UNSET


def test_retries_are_events_of_one_span(
    kind: str, fake_api: FakeAPIServer, hook: OpenTelemetryHook, exporter: InMemorySpanExporter
) -> None:
    fake_api.script("/flaky", [Reply(status=503, headers=RETRY_NOW), Reply(status=503, headers=RETRY_NOW),
                               Reply(json={"ok": True})])
    call(kind, lambda c: c.get("/flaky", cast_to=dict), base_url=fake_api.url, container=container_with(hook))
    (span,) = exporter.get_finished_spans()
    attributes = dict(span.attributes or {})
    assert attributes["http.request.resend_count"] == 2
    assert attributes["http.response.status_code"] == 200
    attempts = events(span, "http.attempt")
    assert [e.attributes["http.request.resend_count"] for e in attempts] == [0, 1, 2]
    assert [e.attributes["http.response.status_code"] for e in events(span, "http.response")] == [503, 503, 200]
    assert len(events(span, "http.retry")) == 2
    assert span.status.status_code is StatusCode.UNSET


def test_a_failed_call_sets_the_error_status(
    kind: str, fake_api: FakeAPIServer, hook: OpenTelemetryHook, exporter: InMemorySpanExporter
) -> None:
    fake_api.script("/missing", Reply(status=404, json={"error": {"message": "nope"}}))
    with pytest.raises(NotFoundError):
        call(kind, lambda c: c.get("/missing", cast_to=dict), base_url=fake_api.url, container=container_with(hook))
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "404"
    assert span.attributes["http.response.status_code"] == 404
    assert events(span, "exception")


def test_a_connection_error_ends_the_span(
    kind: str, hook: OpenTelemetryHook, exporter: InMemorySpanExporter, unused_port: int
) -> None:
    with pytest.raises(APIConnectionError):
        call(kind, lambda c: c.get("/x", cast_to=dict), base_url=f"http://127.0.0.1:{unused_port}",
             container=container_with(hook), max_retries=1,
             timeout=2.0)
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code is StatusCode.ERROR
    assert span.attributes is not None
    assert span.attributes["error.type"] == "APIConnectionError"
    assert len(events(span, "http.attempt")) == 2


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_concurrent_async_calls_get_their_own_spans(
    fake_api: FakeAPIServer, hook: OpenTelemetryHook, exporter: InMemorySpanExporter
) -> None:
    fake_api.script("/slow-flaky", [Reply(status=503, headers=RETRY_NOW), Reply(json={"ok": 1}, delay=0.05)])

    async def main() -> None:
        async with AsyncAPIClient(version="1", base_url=fake_api.url, container=container_with(hook)) as client:
            await asyncio.gather(
                client.get("/slow-flaky", cast_to=dict),
                *(client.get("/echo", cast_to=dict, options=make_request_options(extra_query={"i": i}))
                  for i in range(5)),
            )

    asyncio.run(main())
    spans = exporter.get_finished_spans()
    assert len(spans) == 6
    assert sum(len(events(s, "http.attempt")) for s in spans) == 7
    assert all(s.attributes and s.attributes["http.response.status_code"] == 200 for s in spans)


def test_selected_by_name_from_the_hooks_setting(fake_api: FakeAPIServer) -> None:
    container = ClientContainer()
    container.config.from_dict({"hooks": ["logging", "otel"]})
    with SyncAPIClient(version="1", base_url=fake_api.url, container=container) as client:
        assert any(isinstance(h, OpenTelemetryHook) for h in client._hooks.hooks)
        assert client.get("/echo", cast_to=dict)["method"] == "GET"  # the global (no-op) provider


def test_a_2xx_body_that_fails_validation_ends_the_span_as_an_error(
    fake_api: FakeAPIServer, hook: OpenTelemetryHook, exporter: InMemorySpanExporter
) -> None:
    from genai_base import APIResponseValidationError, Model

    class Item(Model):
        id: str

    container = ClientContainer()
    container.hooks.override([hook])
    fake_api.script("/bad", Reply(json={"id": 7}))
    with SyncAPIClient(version="1", base_url=fake_api.url, container=container, _strict_response_validation=True) as c:
        with pytest.raises(APIResponseValidationError):
            c.get("/bad", cast_to=Item)
    (span,) = exporter.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR
    assert span.attributes["http.response.status_code"] == 200


@pytest.mark.parametrize("kind", ["sync", "async"])
def test_the_traceparent_policy_sends_the_calls_trace_context(
    fake_api: FakeAPIServer, hook: OpenTelemetryHook, exporter: InMemorySpanExporter, kind: str
) -> None:
    from genai_base_otel import TraceparentPolicy

    container = ClientContainer()
    container.hooks.override([hook])
    container.policies.override([TraceparentPolicy(hook)])
    fake_api.script("/flaky", [Reply(status=503, headers=RETRY_NOW), Reply(json={"ok": 1})])
    if kind == "sync":
        with SyncAPIClient(version="1", base_url=fake_api.url, container=container) as client:
            client.get("/flaky", cast_to=dict)
    else:

        async def call() -> None:
            async with AsyncAPIClient(version="1", base_url=fake_api.url, container=container) as client:
                await client.get("/flaky", cast_to=dict)

        asyncio.run(call())
    (span,) = exporter.get_finished_spans()
    trace_id = format(span.context.trace_id, "032x")
    sent = [{k.lower(): v for k, v in r.headers.items()} for r in fake_api.requests_to("/flaky")]
    assert len(sent) == 2
    assert all(h["traceparent"].split("-")[1] == trace_id for h in sent)  # both attempts in the call's trace


def test_the_traceparent_policy_is_a_plugin_by_name(fake_api: FakeAPIServer) -> None:
    container = ClientContainer()
    container.config.from_dict({"hooks": ["otel"], "policies": ["traceparent"]})
    from genai_base_otel import TraceparentPolicy, default_hook

    with SyncAPIClient(version="1", base_url=fake_api.url, container=container) as client:
        assert client.get("/echo", cast_to=dict)["method"] == "GET"
        (policy,) = client._engine.policies.policies  # type: ignore[union-attr]
        assert isinstance(policy, TraceparentPolicy) and policy.hook is default_hook()
        assert default_hook() in client._hooks.hooks  # the policy and the hook share the call's span
