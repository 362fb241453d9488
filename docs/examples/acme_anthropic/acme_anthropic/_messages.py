"""``client.messages``: ``create`` a message, or ``stream`` its named events."""

from functools import cached_property
from typing import AsyncIterator, Iterable, Iterator, Mapping, Optional, Union

from genai_base import (
    AsyncAPIResource,
    AsyncStream,
    Omit,
    Stream,
    SyncAPIResource,
    async_to_raw_response_wrapper,
    make_request_options,
    to_raw_response_wrapper,
)

from .types import ContentBlockDeltaEvent, Message, MessageStreamEvent

__all__ = ["Messages", "AsyncMessages", "MessageStream", "AsyncMessageStream"]

Headers = Optional[Mapping[str, Union[str, Omit]]]
Turns = Iterable[Mapping[str, object]]



def _body(model: str, max_tokens: int, messages: Turns, system: Optional[str], stream: bool) -> dict[str, object]:
    body: dict[str, object] = {"model": model, "max_tokens": max_tokens, "messages": [dict(m) for m in messages]}
    if system is not None:
        body["system"] = system
    if stream:
        body["stream"] = True
    return body


class MessageStream(Stream[MessageStreamEvent]):
    """The events of a streamed message (use it in ``with``: the connection is released on exit)."""

    # The Anthropic framing: named events, ``ping``s dropped, ``event: error`` raised as the
    # client's own status error. Read by the stream protocols of genai_base (issue 17).
    protocol = "anthropic"

    @property
    def text_stream(self) -> Iterator[str]:
        """Only the text of the content deltas, as it comes."""
        for event in self:
            if isinstance(event, ContentBlockDeltaEvent):
                yield event.delta.text


class AsyncMessageStream(AsyncStream[MessageStreamEvent]):
    """The events of a streamed message on the async client (``async with`` releases it)."""

    protocol = "anthropic"

    @property
    async def text_stream(self) -> AsyncIterator[str]:
        """Only the text of the content deltas, as it comes."""
        async for event in self:
            if isinstance(event, ContentBlockDeltaEvent):
                yield event.delta.text


class Messages(SyncAPIResource):
    """Messages on the sync client."""

    @cached_property
    def with_raw_response(self) -> "MessagesWithRawResponse":
        """``create`` returning the raw response."""
        return MessagesWithRawResponse(self)

    def create(
        self, *, model: str, max_tokens: int, messages: Turns, system: Optional[str] = None,
        extra_headers: Headers = None,
    ) -> Message:
        """The model's next message."""
        return self._post(
            "/messages", cast_to=Message, body=_body(model, max_tokens, messages, system, False),
            options=make_request_options(extra_headers=extra_headers),
        )

    def stream(
        self, *, model: str, max_tokens: int, messages: Turns, system: Optional[str] = None,
        extra_headers: Headers = None,
    ) -> MessageStream:
        """The model's next message as named events (:data:`~acme_anthropic.MessageStreamEvent`)."""
        return self._post(
            "/messages", cast_to=MessageStreamEvent, body=_body(model, max_tokens, messages, system, True),
            options=make_request_options(extra_headers=extra_headers), stream=True, stream_cls=MessageStream,
        )


class AsyncMessages(AsyncAPIResource):
    """Messages on the async client."""

    @cached_property
    def with_raw_response(self) -> "AsyncMessagesWithRawResponse":
        """``create`` returning the raw response."""
        return AsyncMessagesWithRawResponse(self)

    async def create(
        self, *, model: str, max_tokens: int, messages: Turns, system: Optional[str] = None,
        extra_headers: Headers = None,
    ) -> Message:
        """The model's next message."""
        return await self._post(
            "/messages", cast_to=Message, body=_body(model, max_tokens, messages, system, False),
            options=make_request_options(extra_headers=extra_headers),
        )

    async def stream(
        self, *, model: str, max_tokens: int, messages: Turns, system: Optional[str] = None,
        extra_headers: Headers = None,
    ) -> AsyncMessageStream:
        """The model's next message as named events."""
        return await self._post(
            "/messages", cast_to=MessageStreamEvent, body=_body(model, max_tokens, messages, system, True),
            options=make_request_options(extra_headers=extra_headers), stream=True, stream_cls=AsyncMessageStream,
        )


class MessagesWithRawResponse:
    """``client.messages.with_raw_response``."""

    def __init__(self, messages: Messages) -> None:
        self.create = to_raw_response_wrapper(messages.create)


class AsyncMessagesWithRawResponse:
    """``client.messages.with_raw_response`` on the async client."""

    def __init__(self, messages: AsyncMessages) -> None:
        self.create = async_to_raw_response_wrapper(messages.create)
