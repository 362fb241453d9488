"""acme_gemini against the embedded fake API server: interactions, streams, polling, a rotated key."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from acme_gemini import (
    AcmeGemini,
    AcmeGeminiError,
    APIStatusError,
    AsyncAcmeGemini,
    ContentDeltaEvent,
    ErrorEvent,
    Interaction,
    InteractionCompleteEvent,
    InteractionStartEvent,
    InteractionStream,
)

from genai_base.testing import FakeAPIServer, Reply


def interaction(status: str, **extra: object) -> dict[str, object]:
    return {"id": "int_1", "status": status, "model": "acme-pro", **extra}


DONE = interaction("completed", outputs=[{"type": "text", "text": "42"}])


def events(*items: dict[str, object]) -> Reply:
    chunks = [f"data: {json.dumps(item)}\n\n".encode() for item in items]
    return Reply(chunks=chunks, headers={"Content-Type": "text/event-stream"})


@pytest.fixture
def client(fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch) -> Iterator[AcmeGemini]:
    monkeypatch.setenv("GEMINI_API_KEY", "g-key-1")
    with AcmeGemini(base_url=fake_api.url + "/v1beta", max_retries=0) as client:
        yield client


def test_create_get_cancel_delete(client: AcmeGemini, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1beta/interactions", Reply(json=DONE))
    made = client.interactions.create(model="acme-pro", input="What is 6 x 7?")
    assert isinstance(made, Interaction) and made.done and made.outputs[0].text == "42"
    assert fake_api.requests_to("/v1beta/interactions")[0].json() == {"model": "acme-pro", "input": "What is 6 x 7?"}

    fake_api.script("/v1beta/interactions/int_1", Reply(json=interaction("in_progress")))
    assert client.interactions.get("int_1").status == "in_progress"
    fake_api.script("/v1beta/interactions/int_1/cancel", Reply(json=interaction("cancelled")))
    assert client.interactions.cancel("int_1").status == "cancelled"
    fake_api.script("/v1beta/interactions/int_1", Reply(json={}))
    client.interactions.delete("int_1")
    methods = [(r.method, r.path) for r in fake_api.requests]
    assert methods == [("POST", "/v1beta/interactions"), ("GET", "/v1beta/interactions/int_1"),
                       ("POST", "/v1beta/interactions/int_1/cancel"), ("DELETE", "/v1beta/interactions/int_1")]
    assert all(r.headers["x-goog-api-key"] == "g-key-1" for r in fake_api.requests)


def test_background_interaction_polled_until_done(client: AcmeGemini, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1beta/interactions", Reply(json=interaction("in_progress")))
    started = client.interactions.create(model="acme-pro", input="long task", background=True)
    assert not started.done
    assert fake_api.requests_to("/v1beta/interactions")[0].json()["background"] is True  # type: ignore[index]
    fake_api.script("/v1beta/interactions/int_1",
                    [Reply(json=interaction("in_progress")), Reply(json=interaction("in_progress")), Reply(json=DONE)])
    done = client.interactions.wait(started.id, poll_interval=0.005)
    assert done.status == "completed" and done.outputs[0].text == "42"
    assert len(fake_api.requests_to("/v1beta/interactions/int_1")) == 3


def test_polling_gives_up_with_a_clear_error(client: AcmeGemini, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1beta/interactions/int_1", Reply(json=interaction("in_progress")))
    with pytest.raises(AcmeGeminiError, match=r"int_1 is still .in_progress. after 0\.02s"):
        client.interactions.wait("int_1", poll_interval=0.005, timeout=0.02)


def test_stream_yields_typed_events(client: AcmeGemini, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1beta/interactions", events(
        {"event_type": "interaction.start", "interaction": interaction("in_progress")},
        {"event_type": "content.delta", "index": 0, "delta": {"type": "text", "text": "4"}},
        {"event_type": "content.delta", "index": 0, "delta": {"type": "text", "text": "2"}},
        {"event_type": "interaction.complete", "interaction": DONE},
    ))
    stream = client.interactions.stream(model="acme-pro", input="6 x 7?")
    assert isinstance(stream, InteractionStream)
    with stream:
        items = list(stream)
    assert [type(i) for i in items] == [InteractionStartEvent, ContentDeltaEvent, ContentDeltaEvent,
                                        InteractionCompleteEvent]
    assert "".join(i.delta.text for i in items if isinstance(i, ContentDeltaEvent)) == "42"


def test_stream_error_events_are_items(client: AcmeGemini, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1beta/interactions", events(
        {"event_type": "interaction.start", "interaction": interaction("in_progress")},
        {"event_type": "error", "error": {"code": 503, "message": "model overloaded"}},
        {"event_type": "interaction.complete", "interaction": interaction("failed")},
    ))
    with client.interactions.stream(model="acme-pro", input="6 x 7?") as stream:
        items = list(stream)
    error = items[1]
    assert isinstance(error, ErrorEvent) and error.error.code == 503
    assert isinstance(items[2], InteractionCompleteEvent)


def test_rotated_key_is_sent_on_the_next_call(
    client: AcmeGemini, fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_api.script("/v1beta/interactions/int_1", Reply(json=DONE))
    client.interactions.get("int_1")
    monkeypatch.setenv("GEMINI_API_KEY", "g-key-2")
    client.interactions.get("int_1")
    keys = [r.headers["x-goog-api-key"] for r in fake_api.requests_to("/v1beta/interactions/int_1")]
    assert keys == ["g-key-1", "g-key-2"]
    assert "g-key" not in repr(client)


def test_key_required_and_explicit_key_wins(fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    with pytest.raises(AcmeGeminiError, match="GEMINI_API_KEY"):
        AcmeGemini(base_url=fake_api.url)
    monkeypatch.setenv("GEMINI_API_KEY", "from-env")
    fake_api.script("/v1beta/interactions/int_1", Reply(json=DONE))
    with AcmeGemini(api_key="explicit", base_url=fake_api.url + "/v1beta") as client:
        client.interactions.get("int_1")
        client.with_options(api_key="copied").interactions.get("int_1")
    keys = [r.headers["x-goog-api-key"] for r in fake_api.requests_to("/v1beta/interactions/int_1")]
    assert keys == ["explicit", "copied"]


def test_error_status_is_the_sdks_own(client: AcmeGemini, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1beta/interactions/nope", Reply(status=404, json={"error": {"message": "not found"}}))
    with pytest.raises(APIStatusError) as caught:
        client.interactions.get("nope")
    assert caught.value.status_code == 404 and "g-key-1" not in str(caught.value)


async def test_async(fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GEMINI_API_KEY", "a-key-1")
    async with AsyncAcmeGemini(base_url=fake_api.url + "/v1beta", max_retries=0) as client:
        fake_api.script("/v1beta/interactions", Reply(json=interaction("in_progress")))
        started = await client.interactions.create(model="acme-pro", input="x", background=True)
        fake_api.script("/v1beta/interactions/int_1", [Reply(json=interaction("in_progress")), Reply(json=DONE)])
        monkeypatch.setenv("GEMINI_API_KEY", "a-key-2")
        assert (await client.interactions.wait(started.id, poll_interval=0.005)).done
        fake_api.script("/v1beta/interactions/int_1/cancel", Reply(json=interaction("cancelled")))
        assert (await client.interactions.cancel("int_1")).status == "cancelled"
        fake_api.script("/v1beta/interactions/int_1", Reply(json={}))
        await client.interactions.delete("int_1")
        fake_api.script("/v1beta/interactions", events({"event_type": "interaction.complete", "interaction": DONE}))
        stream = await client.interactions.stream(model="acme-pro", input="x")
        assert [type(i) async for i in stream] == [InteractionCompleteEvent]
    keys = [r.headers["x-goog-api-key"] for r in fake_api.requests]
    assert keys == ["a-key-1"] + ["a-key-2"] * 5
