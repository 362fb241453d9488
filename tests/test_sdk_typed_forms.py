"""The typed forms of the verbs at run time, on both clients: every verb streams (``stream=True`` or a
``stream`` known only at run time), a stream subclass in ``with`` is itself, and a Union ``cast_to``
(the PEP 747 type form the verbs' types take) is loaded as the member the body is."""

from __future__ import annotations

import json
from typing import Any, Literal, Optional, Union

import pytest

from genai_base import (
    APIResponse,
    APIResponseValidationError,
    APIStatusError,
    AsyncAPIResponse,
    AsyncStream,
    Model,
    Stream,
    async_to_raw_response_wrapper,
    make_request_options,
    to_raw_response_wrapper,
)
from genai_base.testing import Reply

from .conftest import Shell

VERBS = ["get", "post", "put", "patch", "delete"]


class Cat(Model):
    kind: Literal["cat"]
    lives: int


class Dog(Model):
    kind: Literal["dog"]
    name: str


Pet = Union[Cat, Dog]


class PetStream(Stream[Pet]):
    """A stream subclass of the sync client."""


class AsyncPetStream(AsyncStream[Pet]):
    """A stream subclass of the async client."""


def _events(*events: object) -> Reply:
    chunks = [f"data: {json.dumps(e)}\n\n".encode() for e in events]
    return Reply(chunks=chunks, headers={"Content-Type": "text/event-stream"})


EVENTS = ({"kind": "cat", "lives": 9}, {"kind": "dog", "name": "Rex"})


def _call(shell: Shell, verb: str, **kwargs: Any) -> Any:
    return shell.run(getattr(shell.client(), verb)("/pets", **kwargs))


@pytest.mark.parametrize("verb", VERBS)
def test_every_verb_streams(shell: Shell, verb: str) -> None:
    shell.server.script("/pets", _events(*EVENTS))
    stream = _call(shell, verb, cast_to=Pet, stream=True)
    assert isinstance(stream, AsyncStream if shell.is_async else Stream)
    items = shell.collect(stream)
    assert [type(item) for item in items] == [Cat, Dog] and items[1].name == "Rex"
    assert shell.server.requests_to("/pets")[0].method == verb.upper()


@pytest.mark.parametrize("verb", VERBS)
@pytest.mark.parametrize("flag", [True, False])
def test_every_verb_takes_a_stream_known_at_run_time(shell: Shell, verb: str, flag: bool) -> None:
    shell.server.script("/pets", _events(*EVENTS) if flag else Reply(json=EVENTS[0]))
    result = _call(shell, verb, cast_to=Pet, stream=flag)
    if flag:
        assert [type(item) for item in shell.collect(result)] == [Cat, Dog]
    else:
        assert isinstance(result, Cat) and result.lives == 9


@pytest.mark.parametrize("verb", ["put", "patch", "delete"])
def test_a_stream_class_given_to_any_verb_is_used(shell: Shell, verb: str) -> None:
    shell.server.script("/pets", _events(*EVENTS))
    stream_cls = AsyncPetStream if shell.is_async else PetStream
    stream = _call(shell, verb, cast_to=object, stream=True, stream_cls=stream_cls)
    assert type(stream) is stream_cls
    assert [type(item) for item in shell.collect(stream)] == [Cat, Dog]


def test_a_stream_subclass_in_with_is_itself_and_is_closed_on_exit(shell: Shell) -> None:
    shell.server.script("/pets", _events(*EVENTS))
    client = shell.client()

    async def use_async() -> tuple[object, object, object]:
        stream = await client.post("/pets", cast_to=object, stream=True, stream_cls=AsyncPetStream)
        async with stream as entered:
            first = await entered.__anext__()
        return stream, entered, first

    def use_sync() -> tuple[object, object, object]:
        stream = client.post("/pets", cast_to=object, stream=True, stream_cls=PetStream)
        with stream as entered:
            first = next(entered)
        return stream, entered, first

    stream, entered, first = shell.run(use_async()) if shell.is_async else use_sync()
    assert entered is stream and isinstance(first, Cat)
    assert stream.response.is_closed  # type: ignore[attr-defined]


@pytest.mark.parametrize("verb", VERBS)
def test_a_union_cast_to_loads_the_member_the_body_is(shell: Shell, verb: str) -> None:
    shell.server.script("/pets", [Reply(json=EVENTS[1]), Reply(json=EVENTS[0])])
    dog = _call(shell, verb, cast_to=Pet)
    cat = _call(shell, verb, cast_to=Pet)
    assert isinstance(dog, Dog) and dog.name == "Rex"
    assert isinstance(cat, Cat) and cat.lives == 9


def test_optional_and_nested_unions_and_a_raw_response_of_one(shell: Shell) -> None:
    shell.server.script("/pets", [Reply(json=None), Reply(json=[EVENTS[1], EVENTS[0]]), Reply(json=EVENTS[1])])
    assert _call(shell, "get", cast_to=Optional[Dog]) is None
    pets = _call(shell, "get", cast_to=Union[list[Pet], Cat])
    assert [type(p) for p in pets] == [Dog, Cat]
    raw = _call(shell, "get", cast_to=APIResponse[Pet])
    assert isinstance(raw, AsyncAPIResponse if shell.is_async else APIResponse)
    parsed = shell.run(raw.parse())
    assert isinstance(parsed, Dog)


def test_a_raw_response_parses_to_another_type_when_asked(shell: Shell) -> None:
    shell.server.script("/pets", Reply(json=EVENTS[1]))
    raw = _call(shell, "get", cast_to=APIResponse[Cat])
    assert shell.run(raw.parse(to=dict)) == EVENTS[1]  # ``to`` wins over the call's own type
    dog = shell.run(raw.parse(to=Pet))
    assert isinstance(dog, Dog) and dog.name == "Rex"
    assert isinstance(shell.run(raw.parse()), Cat)  # without ``to``: the call's own type


def test_a_body_that_is_no_member_of_the_union_is_a_validation_error(shell: Shell) -> None:
    client = shell.client(_strict_response_validation=True)
    shell.server.script("/pets", Reply(json={"kind": "fish"}))
    with pytest.raises(APIResponseValidationError):
        shell.run(client.get("/pets", cast_to=Pet))


def test_a_listing_of_a_union_loads_each_item(shell: Shell) -> None:
    shell.server.script("/pets", Reply(json={"data": [EVENTS[0], EVENTS[1]]}))
    page = shell.run(shell.client().get_api_list("/pets", model=Pet))
    assert [type(p) for p in page.items] == [Cat, Dog]


def _raw_listing(shell: Shell, **kwargs: Any) -> Any:
    """A listing's raw form, asked for through the raw response wrapper (as ``with_raw_response.list()``)."""
    wrap: Any = async_to_raw_response_wrapper if shell.is_async else to_raw_response_wrapper
    client = shell.client()

    def listing(*, extra_headers: Optional[dict[str, str]] = None) -> Any:
        return client.get_api_list(options=make_request_options(extra_headers=extra_headers), **kwargs)

    if shell.is_async:

        async def awaited(**kw: Any) -> Any:
            return await listing(**kw)

        return shell.run(wrap(awaited)())
    return wrap(listing)()


def test_a_raw_body_paged_listing_pages_on_in_the_body(shell: Shell) -> None:
    shell.server.script("/search", [
        Reply(json={"data": [EVENTS[0]], "next_page_token": "p2"}),
        Reply(json={"data": [EVENTS[1]], "next_page_token": None}),
    ])
    raw = _raw_listing(shell, path="/search", model=Pet, method="post", body={"q": "pets"})
    assert isinstance(raw, AsyncAPIResponse if shell.is_async else APIResponse) and raw.method == "POST"
    page = shell.run(raw.parse())
    assert [type(p) for p in shell.collect(page)] == [Cat, Dog]
    first, second = shell.server.requests_to("/search")
    assert first.json() == {"q": "pets"} and second.json() == {"q": "pets", "page_token": "p2"}
    assert all("x-genai-base-raw-response" not in r.headers for r in (first, second))


def test_a_raw_listing_whose_first_page_fails_raises_the_status_error(shell: Shell) -> None:
    shell.server.script("/pets", Reply(status=404, json={"error": "no pets"}))
    with pytest.raises(APIStatusError) as caught:
        _raw_listing(shell, path="/pets", model=Pet)
    assert caught.value.status_code == 404
