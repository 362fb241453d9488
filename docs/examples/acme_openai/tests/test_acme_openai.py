"""acme_openai against the embedded fake API server (real requests and aiohttp, no mocks)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from acme_openai import (
    AcmeOpenAI,
    AcmeOpenAIError,
    APIStatusError,
    AsyncAcmeOpenAI,
    ChatCompletion,
    ChatCompletionChunk,
    EmbeddingList,
    FileObject,
    ModelInfo,
)
from acme_openai.resources.models import PAGINATOR

from genai_base import (
    APIResponse,
    AsyncAPIResponse,
    AsyncPage,
    AsyncStream,
    Stream,
    SyncPage,
    make_request_options,
    to_raw_response_wrapper,
)
from genai_base.testing import FakeAPIServer, Reply

COMPLETION = {
    "id": "cmpl_1",
    "model": "acme-1",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello!"}, "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5},
}
EMBEDDINGS = {"model": "acme-embed", "data": [{"index": 0, "embedding": [0.5, -1.0]}]}
FILE = {"id": "file_1", "filename": "notes.txt", "bytes": 5, "purpose": "fine-tune"}
MESSAGES = [{"role": "user", "content": "Hi"}]


def sse(*events: object) -> Reply:
    """An event stream of ``events`` (JSON), then ``[DONE]``."""
    chunks = [f"data: {json.dumps(e)}\n\n".encode() for e in events] + [b"data: [DONE]\n\n"]
    return Reply(chunks=chunks, headers={"Content-Type": "text/event-stream"})


def chunk(text: str, finish: str | None = None) -> dict[str, object]:
    return {"id": "cmpl_1", "model": "acme-1", "choices": [{"index": 0, "delta": {"content": text},
                                                            "finish_reason": finish}]}


@pytest.fixture
def client(fake_api: FakeAPIServer) -> Iterator[AcmeOpenAI]:
    with AcmeOpenAI(api_key="sk-test", base_url=fake_api.url + "/v1", max_retries=0) as client:
        yield client


def test_chat_completion_is_typed_and_sends_the_key(client: AcmeOpenAI, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1/chat/completions", Reply(json=COMPLETION))
    completion = client.chat.completions.create(messages=MESSAGES, model="acme-1", temperature=0.2)
    assert isinstance(completion, ChatCompletion)
    assert completion.choices[0].message.content == "Hello!"
    assert completion.usage is not None and completion.usage.total_tokens == 5
    sent = fake_api.requests_to("/v1/chat/completions")[0]
    assert sent.method == "POST"
    assert sent.json() == {"model": "acme-1", "messages": MESSAGES, "temperature": 0.2}
    assert sent.headers["authorization"] == "Bearer sk-test"
    assert sent.headers["user-agent"] == "AcmeOpenAI/Python 0.1.0"


def test_chat_stream_yields_typed_chunks(client: AcmeOpenAI, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1/chat/completions", sse(chunk("Hel"), chunk("lo"), chunk("!", "stop")))
    stream = client.chat.completions.create(messages=MESSAGES, model="acme-1", stream=True)
    assert isinstance(stream, Stream)
    chunks = list(stream)
    assert all(isinstance(c, ChatCompletionChunk) for c in chunks)
    assert "".join(c.choices[0].delta.content or "" for c in chunks) == "Hello!"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert fake_api.requests_to("/v1/chat/completions")[0].json()["stream"] is True  # type: ignore[index]


def test_embeddings(client: AcmeOpenAI, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1/embeddings", Reply(json=EMBEDDINGS))
    result = client.embeddings.create(input=["a"], model="acme-embed")
    assert isinstance(result, EmbeddingList)
    assert result.data[0].embedding == [0.5, -1.0]
    assert fake_api.requests_to("/v1/embeddings")[0].json() == {"model": "acme-embed", "input": ["a"]}


def model_pages(fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1/models", [
        Reply(json={"data": [{"id": "m1"}, {"id": "m2"}], "next_cursor": "m2"}),
        Reply(json={"data": [{"id": "m3"}], "next_cursor": None}),
    ])


def test_models_list_follows_cursor_pages(client: AcmeOpenAI, fake_api: FakeAPIServer) -> None:
    model_pages(fake_api)
    page = client.models.list(limit=2)
    assert [m.id for m in page] == ["m1", "m2", "m3"]
    first, second = fake_api.requests_to("/v1/models")
    assert first.query_dict() == {"limit": ["2"]}
    assert second.query_dict() == {"limit": ["2"], "after": ["m2"]}


def test_files_create_is_multipart(client: AcmeOpenAI, fake_api: FakeAPIServer, tmp_path: Path) -> None:
    fake_api.script("/v1/files", Reply(json=FILE))
    path = tmp_path / "notes.txt"
    path.write_bytes(b"hello")
    with path.open("rb") as handle:
        uploaded = client.files.create(file=("notes.txt", handle, "text/plain"), purpose="fine-tune")
    assert isinstance(uploaded, FileObject) and uploaded.bytes == 5
    sent = fake_api.requests_to("/v1/files")[0]
    assert sent.headers["content-type"].startswith("multipart/form-data; boundary=")
    body = sent.text()
    assert 'name="purpose"' in body and "fine-tune" in body
    assert 'name="file"; filename="notes.txt"' in body and "hello" in body


def test_raw_responses(client: AcmeOpenAI, fake_api: FakeAPIServer, tmp_path: Path) -> None:
    fake_api.script("/v1/chat/completions", Reply(json=COMPLETION, headers={"x-request-id": "req_7"}))
    raw = client.chat.completions.with_raw_response.create(messages=MESSAGES, model="acme-1")
    assert isinstance(raw, APIResponse)
    assert (raw.status_code, raw.headers["x-request-id"], raw.method) == (200, "req_7", "POST")
    assert raw.parse().choices[0].message.content == "Hello!"
    assert "x-genai-base-raw-response" not in fake_api.requests_to("/v1/chat/completions")[0].headers

    fake_api.script("/v1/embeddings", Reply(json=EMBEDDINGS))
    assert client.embeddings.with_raw_response.create(input="a", model="m").parse().model == "acme-embed"
    fake_api.script("/v1/files", Reply(json=FILE))
    assert client.files.with_raw_response.create(file=b"hello", purpose="p").parse().id == "file_1"
    fake_api.script("/v1/models/m1", Reply(json={"id": "m1"}))
    assert client.models.with_raw_response.retrieve("m1").parse().id == "m1"

    fake_api.script("/v1/chat/completions", sse(chunk("a"), chunk("b")))
    raw_stream = client.chat.completions.with_raw_response.create(messages=MESSAGES, model="acme-1", stream=True)
    assert [c.choices[0].delta.content for c in raw_stream.parse()] == ["a", "b"]


def test_raw_response_of_a_listing(client: AcmeOpenAI, fake_api: FakeAPIServer) -> None:
    model_pages(fake_api)
    raw_page = to_raw_response_wrapper(client.models.list)()
    assert isinstance(raw_page, APIResponse)
    assert [m.id for m in raw_page.parse()] == ["m1", "m2", "m3"]


def test_raw_listing_parses_to_the_page_and_pages_on(client: AcmeOpenAI, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1/models", [
        Reply(json={"data": [{"id": "m1"}, {"id": "m2"}], "next_cursor": "m2"}, headers={"x-request-id": "r1"}),
        Reply(json={"data": [{"id": "m3"}], "next_cursor": None}),
    ])
    raw = client.models.with_raw_response.list(limit=2)
    assert isinstance(raw, APIResponse)
    assert (raw.status_code, raw.headers["x-request-id"], raw.method) == (200, "r1", "GET")
    page = raw.parse()
    assert isinstance(page, SyncPage) and raw.parse() is page  # parsed once
    assert all(isinstance(m, ModelInfo) for m in page.items) and [m.id for m in page.items] == ["m1", "m2"]
    assert page.response is raw and page.has_next_page()
    second = page.get_next_page()
    assert [m.id for m in second.items] == ["m3"] and not second.has_next_page()
    assert isinstance(second.response, APIResponse)
    first_sent, second_sent = fake_api.requests_to("/v1/models")
    assert second_sent.query_dict() == {"limit": ["2"], "after": ["m2"]}
    assert all("x-genai-base-raw-response" not in r.headers for r in (first_sent, second_sent))
    assert raw.json()["next_cursor"] == "m2"  # the body itself, as of any raw response


def test_streamed_listing_reads_the_first_page_on_parse(client: AcmeOpenAI, fake_api: FakeAPIServer) -> None:
    model_pages(fake_api)
    with client.models.with_streaming_response.list() as response:
        assert isinstance(response, APIResponse) and not response.is_closed
        page = response.parse()
        assert [m.id for m in page.items] == ["m1", "m2"]
    assert response.is_closed
    assert [m.id for m in page] == ["m1", "m2", "m3"]  # paging on after the first response is closed
    assert len(fake_api.requests_to("/v1/models")) == 2

    model_pages(fake_api)
    with client.models.with_streaming_response.list() as response:
        assert '"next_cursor": "m2"' in "".join(response.iter_text())
    assert response.is_closed


def test_a_listing_post_parser_still_sees_the_body_first(client: AcmeOpenAI, fake_api: FakeAPIServer) -> None:
    model_pages(fake_api)
    seen: list[object] = []

    def spy(data: object) -> object:
        seen.append(data)
        return data

    def listing(*, extra_headers: dict[str, str] | None = None) -> SyncPage[ModelInfo]:
        options = make_request_options(post_parser=spy, extra_headers=extra_headers)
        return client.get_api_list("/models", model=ModelInfo, paginator=PAGINATOR, options=options)

    raw = to_raw_response_wrapper(listing)()
    assert isinstance(raw, APIResponse)
    assert [m.id for m in raw.parse()] == ["m1", "m2", "m3"]
    assert [d["data"][0]["id"] for d in seen] == ["m1", "m3"]  # type: ignore[index]


def test_streaming_responses(client: AcmeOpenAI, fake_api: FakeAPIServer, tmp_path: Path) -> None:
    fake_api.script("/v1/chat/completions", sse(chunk("a"), chunk("b")))
    with client.chat.completions.with_streaming_response.create(
        messages=MESSAGES, model="acme-1", stream=True
    ) as response:
        assert not response.is_closed
        lines = [line for line in response.iter_lines() if line]
    assert response.is_closed
    assert lines[-1] == "data: [DONE]" and len(lines) == 3

    fake_api.script("/v1/embeddings", Reply(json=EMBEDDINGS))
    with client.embeddings.with_streaming_response.create(input="a", model="m") as response:
        target = tmp_path / "embeddings.json"
        response.write_to_file(target)
    assert json.loads(target.read_bytes()) == EMBEDDINGS

    fake_api.script("/v1/files", Reply(json=FILE))
    with client.files.with_streaming_response.create(file=b"x", purpose="p") as response:
        assert response.parse().filename == "notes.txt"
    fake_api.script("/v1/models/m1", Reply(json={"id": "m1"}))
    with client.models.with_streaming_response.retrieve("m1") as response:
        assert "".join(response.iter_text()) == '{"id": "m1"}'


def test_error_status_is_the_sdks_own(client: AcmeOpenAI, fake_api: FakeAPIServer) -> None:
    fake_api.script("/v1/embeddings", Reply(status=400, json={"error": {"message": "bad input"}}))
    with pytest.raises(APIStatusError) as caught:
        client.embeddings.create(input="a", model="m")
    assert caught.value.status_code == 400 and isinstance(caught.value, AcmeOpenAIError)
    assert "sk-test" not in str(caught.value)


def test_api_key_from_the_environment_else_an_error(fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ACME_OPENAI_API_KEY", raising=False)
    with pytest.raises(AcmeOpenAIError, match="ACME_OPENAI_API_KEY"):
        AcmeOpenAI(base_url=fake_api.url)
    monkeypatch.setenv("ACME_OPENAI_API_KEY", "sk-env")
    fake_api.script("/v1/models/m1", Reply(json={"id": "m1"}))
    with AcmeOpenAI(base_url=fake_api.url + "/v1") as client:
        assert client.api_key == "sk-env"
        client.models.retrieve("m1")
        other = client.with_options(api_key="sk-other", max_retries=1)
        assert isinstance(other, AcmeOpenAI) and other.api_key == "sk-other" and other.max_retries == 1
        other.models.retrieve("m1")
    keys = [r.headers["authorization"] for r in fake_api.requests_to("/v1/models/m1")]
    assert keys == ["Bearer sk-env", "Bearer sk-other"]


def test_env_prefix_is_the_sdks_own(fake_api: FakeAPIServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACME_OPENAI_MAX_RETRIES", "3")
    monkeypatch.setenv("GENAI_BASE_MAX_RETRIES", "1")
    with AcmeOpenAI(api_key="k", base_url=fake_api.url) as client:
        assert client.max_retries == 3


async def test_async_client(fake_api: FakeAPIServer, tmp_path: Path) -> None:
    async with AsyncAcmeOpenAI(api_key="sk-async", base_url=fake_api.url + "/v1", max_retries=0) as client:
        fake_api.script("/v1/chat/completions", Reply(json=COMPLETION))
        completion = await client.chat.completions.create(messages=MESSAGES, model="acme-1")
        assert completion.choices[0].message.content == "Hello!"

        fake_api.script("/v1/chat/completions", sse(chunk("Hel"), chunk("lo")))
        stream = await client.chat.completions.create(messages=MESSAGES, model="acme-1", stream=True)
        assert isinstance(stream, AsyncStream)
        assert [c.choices[0].delta.content async for c in stream] == ["Hel", "lo"]

        fake_api.script("/v1/embeddings", Reply(json=EMBEDDINGS))
        assert (await client.embeddings.create(input="a", model="m")).data[0].index == 0

        model_pages(fake_api)
        assert [m.id async for m in client.models.list()] == ["m1", "m2", "m3"]
        model_pages(fake_api)
        first = await client.models.list()
        assert [m.id for m in first.items] == ["m1", "m2"] and first.has_next_page()

        fake_api.script("/v1/files", Reply(json=FILE))
        assert (await client.files.create(file=("n.txt", b"hello"), purpose="p")).id == "file_1"
        assert "multipart/form-data" in fake_api.requests_to("/v1/files")[0].headers["content-type"]

        raw = await client.embeddings.with_raw_response.create(input="a", model="m")
        assert raw.status_code == 200 and (await raw.parse()).model == "acme-embed"
        fake_api.script("/v1/models/m1", Reply(json={"id": "m1"}))
        assert (await (await client.models.with_raw_response.retrieve("m1")).parse()).id == "m1"
        raw_files = await client.files.with_raw_response.create(file=b"x", purpose="p")
        assert isinstance(await raw_files.parse(), FileObject)

        fake_api.script("/v1/chat/completions", sse(chunk("a"), chunk("b")))
        async with client.chat.completions.with_streaming_response.create(
            messages=MESSAGES, model="acme-1", stream=True
        ) as response:
            lines = [line async for line in response.iter_lines() if line]
        assert lines == [f"data: {json.dumps(chunk('a'))}", f"data: {json.dumps(chunk('b'))}", "data: [DONE]"]
        async with client.embeddings.with_streaming_response.create(input="a", model="m") as response:
            target = tmp_path / "e.json"
            await response.write_to_file(target)
        assert json.loads(target.read_bytes()) == EMBEDDINGS
        async with client.files.with_streaming_response.create(file=b"x", purpose="p") as response:
            assert isinstance(await response.parse(), FileObject)
        async with client.models.with_streaming_response.retrieve("m1") as response:
            assert isinstance(await response.parse(), ModelInfo)
    fake_api.script("/v1/models/m1", Reply(json={"id": "m1"}))
    assert all(r.headers["authorization"] == "Bearer sk-async" for r in fake_api.requests_to("/v1/models/m1"))


async def test_async_raw_and_streamed_listings(fake_api: FakeAPIServer) -> None:
    async with AsyncAcmeOpenAI(api_key="sk-async", base_url=fake_api.url + "/v1", max_retries=0) as client:
        model_pages(fake_api)
        raw = await client.models.with_raw_response.list(limit=2)
        assert isinstance(raw, AsyncAPIResponse) and raw.status_code == 200
        page = await raw.parse()
        assert isinstance(page, AsyncPage) and await raw.parse() is page
        assert [m.id for m in page.items] == ["m1", "m2"] and page.response is raw
        assert [m.id async for m in page] == ["m1", "m2", "m3"]
        second = fake_api.requests_to("/v1/models")[1]
        assert second.query_dict() == {"limit": ["2"], "after": ["m2"]}
        assert "x-genai-base-raw-response" not in second.headers

        model_pages(fake_api)
        async with client.models.with_streaming_response.list() as response:
            assert isinstance(response, AsyncAPIResponse) and not response.is_closed
            page = await response.parse()
        assert response.is_closed
        next_page = await page.get_next_page()
        assert [m.id for m in next_page.items] == ["m3"] and not next_page.has_next_page()

        model_pages(fake_api)  # the plain forms are unchanged
        assert [m.id async for m in client.models.list()] == ["m1", "m2", "m3"]
