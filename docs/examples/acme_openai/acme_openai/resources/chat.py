"""``client.chat.completions``: plain and streamed chat completions."""

from functools import cached_property
from typing import Iterable, Literal, Mapping, Optional, Union, overload

from genai_base import (
    AsyncAPIResource,
    AsyncStream,
    Omit,
    Stream,
    SyncAPIResource,
    async_to_raw_response_wrapper,
    async_to_streamed_response_wrapper,
    make_request_options,
    to_raw_response_wrapper,
    to_streamed_response_wrapper,
)

from ..types import ChatCompletion, ChatCompletionChunk

__all__ = ["Chat", "AsyncChat", "Completions", "AsyncCompletions"]

Headers = Optional[Mapping[str, Union[str, Omit]]]
Messages = Iterable[Mapping[str, str]]


def _body(messages: Messages, model: str, temperature: Optional[float], stream: bool) -> dict[str, object]:
    """The JSON body both clients send."""
    body: dict[str, object] = {"model": model, "messages": [dict(m) for m in messages]}
    if temperature is not None:
        body["temperature"] = temperature
    if stream:
        body["stream"] = True
    return body


class Completions(SyncAPIResource):
    """Chat completions on the sync client."""

    @cached_property
    def with_raw_response(self) -> "CompletionsWithRawResponse":
        """These methods returning the raw response (``parse()`` gives the result)."""
        return CompletionsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> "CompletionsWithStreamingResponse":
        """These methods as context managers yielding the response with its body unread."""
        return CompletionsWithStreamingResponse(self)

    @overload
    def create(
        self, *, messages: Messages, model: str, temperature: Optional[float] = None,
        stream: Literal[False] = False, extra_headers: Headers = None,
    ) -> ChatCompletion: ...

    @overload
    def create(
        self, *, messages: Messages, model: str, temperature: Optional[float] = None,
        stream: Literal[True], extra_headers: Headers = None,
    ) -> Stream[ChatCompletionChunk]: ...

    def create(
        self, *, messages: Messages, model: str, temperature: Optional[float] = None,
        stream: bool = False, extra_headers: Headers = None,
    ) -> Union[ChatCompletion, Stream[ChatCompletionChunk]]:
        """Complete a conversation; ``stream=True`` yields :class:`ChatCompletionChunk` items as they come."""
        options = make_request_options(extra_headers=extra_headers)
        body = _body(messages, model, temperature, stream)
        if stream:
            return self._post(
                "/chat/completions", cast_to=ChatCompletionChunk, body=body, options=options,
                stream=True, stream_cls=Stream[ChatCompletionChunk],
            )
        return self._post("/chat/completions", cast_to=ChatCompletion, body=body, options=options)


class AsyncCompletions(AsyncAPIResource):
    """Chat completions on the async client."""

    @cached_property
    def with_raw_response(self) -> "AsyncCompletionsWithRawResponse":
        """These methods returning the raw response (``await parse()`` gives the result)."""
        return AsyncCompletionsWithRawResponse(self)

    @cached_property
    def with_streaming_response(self) -> "AsyncCompletionsWithStreamingResponse":
        """These methods as async context managers yielding the response with its body unread."""
        return AsyncCompletionsWithStreamingResponse(self)

    @overload
    async def create(
        self, *, messages: Messages, model: str, temperature: Optional[float] = None,
        stream: Literal[False] = False, extra_headers: Headers = None,
    ) -> ChatCompletion: ...

    @overload
    async def create(
        self, *, messages: Messages, model: str, temperature: Optional[float] = None,
        stream: Literal[True], extra_headers: Headers = None,
    ) -> AsyncStream[ChatCompletionChunk]: ...

    async def create(
        self, *, messages: Messages, model: str, temperature: Optional[float] = None,
        stream: bool = False, extra_headers: Headers = None,
    ) -> Union[ChatCompletion, AsyncStream[ChatCompletionChunk]]:
        """Complete a conversation; ``stream=True`` yields :class:`ChatCompletionChunk` items as they come."""
        options = make_request_options(extra_headers=extra_headers)
        body = _body(messages, model, temperature, stream)
        if stream:
            return await self._post(
                "/chat/completions", cast_to=ChatCompletionChunk, body=body, options=options,
                stream=True, stream_cls=AsyncStream[ChatCompletionChunk],
            )
        return await self._post("/chat/completions", cast_to=ChatCompletion, body=body, options=options)


class Chat(SyncAPIResource):
    """``client.chat``."""

    @cached_property
    def completions(self) -> Completions:
        """``client.chat.completions``."""
        return Completions(self._client)


class AsyncChat(AsyncAPIResource):
    """``client.chat`` on the async client."""

    @cached_property
    def completions(self) -> AsyncCompletions:
        """``client.chat.completions``."""
        return AsyncCompletions(self._client)


class CompletionsWithRawResponse:
    """``client.chat.completions.with_raw_response``."""

    def __init__(self, completions: Completions) -> None:
        self.create = to_raw_response_wrapper(completions.create)


class AsyncCompletionsWithRawResponse:
    """``client.chat.completions.with_raw_response`` on the async client."""

    def __init__(self, completions: AsyncCompletions) -> None:
        self.create = async_to_raw_response_wrapper(completions.create)


class CompletionsWithStreamingResponse:
    """``client.chat.completions.with_streaming_response``."""

    def __init__(self, completions: Completions) -> None:
        self.create = to_streamed_response_wrapper(completions.create)


class AsyncCompletionsWithStreamingResponse:
    """``client.chat.completions.with_streaming_response`` on the async client."""

    def __init__(self, completions: AsyncCompletions) -> None:
        self.create = async_to_streamed_response_wrapper(completions.create)
