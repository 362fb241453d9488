"""acme_anthropic against the embedded fake API server: messages and their named stream events."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from acme_anthropic import (
    AcmeAnthropic,
    AcmeAnthropicError,
    APIStatusError,
    AsyncAcmeAnthropic,
    ContentBlockDeltaEvent,
    ContentBlockStartEvent,
    ContentBlockStopEvent,
    Message,
    MessageDeltaEvent,
    MessageStartEvent,
    MessageStopEvent,
    MessageStream,
    PingEvent,
)

from genai_base.testing import FakeAPIServer, Reply

MESSAGE = {"id": "msg_1", "role": "assistant", "model": "acme-3", "content": [], "usage": {"input_tokens": 4}}
TURNS = [{"role": "user", "content": "Hi"}]


def event(name: str, **data: object) -> bytes:
    return f"event: {name}\ndata: {json.dumps({'type': name, **data})}\n\n".encode()


def message_events(*, pings: bool = False, error: bool = False) -> Reply:
    """A streamed message saying "Hello!" (with ``ping``s; cut by an ``event: error``)."""
    ping = [event("ping")] if pings else []
    chunks = [
        event("message_start", message=MESSAGE), *ping,
        event("content_block_start", index=0, content_block={"type": "text", "text": ""}),
        event("content_block_delta", index=0, delta={"type": "text_delta", "text": "Hel"}), *ping,
    ]
    if error:
        chunks.append(event("error", error={"type": "overloaded_error", "message": "Overloaded"}))
    chunks += [
        event("content_block_delta", index=0, delta={"type": "text_delta", "text": "lo!"}),
        event("content_block_stop", index=0),
        event("message_delta", delta={"stop_reason": "end_turn"}, usage={"output_tokens": 2}),
        event("message_stop"),
    ]
    return Reply(chunks=chunks, headers={"Content-Type": "text/event-stream"})


@pytest.fixture
def client(fake_api: FakeAPIServer) -> Iterator[AcmeAnthropic]:
    with AcmeAnthropic(api_key="ak-test", base_url=fake_api.url + "/v1", max_retries=0) as client:
        yield client


def test_create(client: AcmeAnthropic, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1/messages", Reply(json={**MESSAGE, "content": [{"type": "text", "text": "Hello!"}]}))
    message = client.messages.create(model="acme-3", max_tokens=64, messages=TURNS, system="Be brief.")
    assert isinstance(message, Message) and message.content[0].text == "Hello!"
    sent = fake_api.requests_to("/v1/messages")[0]
    assert sent.json() == {"model": "acme-3", "max_tokens": 64, "messages": TURNS, "system": "Be brief."}
    assert (sent.headers["x-api-key"], sent.headers["anthropic-version"]) == ("ak-test", "2023-06-01")
    raw = client.messages.with_raw_response.create(model="acme-3", max_tokens=1, messages=TURNS)
    assert raw.status_code == 200 and raw.parse().id == "msg_1"


def test_stream_yields_typed_named_events(client: AcmeAnthropic, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1/messages", message_events())
    with client.messages.stream(model="acme-3", max_tokens=64, messages=TURNS) as stream:
        assert isinstance(stream, MessageStream)
        events = list(stream)
    kinds = [MessageStartEvent, ContentBlockStartEvent, ContentBlockDeltaEvent, ContentBlockDeltaEvent,
             ContentBlockStopEvent, MessageDeltaEvent, MessageStopEvent]
    assert [type(e) for e in events] == kinds
    start, delta, end = events[0], events[2], events[5]
    assert isinstance(start, MessageStartEvent) and start.message.id == "msg_1"
    assert isinstance(delta, ContentBlockDeltaEvent) and delta.delta.text == "Hel"
    assert isinstance(end, MessageDeltaEvent) and end.delta.stop_reason == "end_turn"
    assert fake_api.requests_to("/v1/messages")[0].json()["stream"] is True  # type: ignore[index]


def test_text_stream(client: AcmeAnthropic, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1/messages", message_events())
    stream = client.messages.stream(model="acme-3", max_tokens=64, messages=TURNS)
    # Not "with ... as stream": Stream.__enter__ is typed to return Stream[T], not the subclass.
    with stream:
        assert "".join(stream.text_stream) == "Hello!"


def test_stream_drops_pings(client: AcmeAnthropic, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1/messages", message_events(pings=True))
    with client.messages.stream(model="acme-3", max_tokens=64, messages=TURNS) as stream:
        events = list(stream)
    assert not any(isinstance(e, PingEvent) for e in events)
    assert len(events) == 7


def test_error_event_raises_the_sdks_error(client: AcmeAnthropic, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1/messages", message_events(error=True))
    seen: list[object] = []
    with pytest.raises(APIStatusError, match="Overloaded") as caught:
        with client.messages.stream(model="acme-3", max_tokens=64, messages=TURNS) as stream:
            seen.extend(stream)
    assert isinstance(caught.value, AcmeAnthropicError)
    assert len(seen) == 3  # the events before the error were delivered


def test_error_event_stops_the_stream(client: AcmeAnthropic, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1/messages", message_events(error=True))
    seen: list[object] = []
    with pytest.raises(Exception, match="Overloaded"):
        with client.messages.stream(model="acme-3", max_tokens=64, messages=TURNS) as stream:
            seen.extend(stream)
    assert len(seen) == 3


def test_error_status_is_the_sdks_own(client: AcmeAnthropic, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1/messages", Reply(status=529, json={"type": "error", "error": {"message": "Overloaded"}}))
    with pytest.raises(APIStatusError) as caught:
        client.messages.create(model="acme-3", max_tokens=1, messages=TURNS)
    assert caught.value.status_code == 529 and "ak-test" not in str(caught.value)


async def test_async(fake_api: FakeAPIServer) -> None:
    async with AsyncAcmeAnthropic(api_key="ak-async", base_url=fake_api.url + "/v1", max_retries=0) as client:
        fake_api.script("/v1/messages", Reply(json=MESSAGE))
        assert (await client.messages.create(model="acme-3", max_tokens=1, messages=TURNS)).id == "msg_1"
        fake_api.script("/v1/messages", message_events())
        stream = await client.messages.stream(model="acme-3", max_tokens=64, messages=TURNS)
        assert "".join([text async for text in stream.text_stream]) == "Hello!"
        fake_api.script("/v1/messages", message_events())
        async with await client.messages.stream(model="acme-3", max_tokens=64, messages=TURNS) as events:
            assert isinstance((await events.__anext__()), MessageStartEvent)
    assert all(r.headers["x-api-key"] == "ak-async" for r in fake_api.requests_to("/v1/messages"))
