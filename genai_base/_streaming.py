"""Event streams: :class:`Stream` (sync) and :class:`AsyncStream` over server-sent events.

The body is read as raw chunks and fed to the incremental decoder in
:mod:`genai_base._sse`; what an event means (the end, an error, an item)
is decided once in :class:`EventHandler`. Both streams release their
connection when read to the end, closed, left early or failed.
"""

from __future__ import annotations

import collections.abc as _abc
from typing import TYPE_CHECKING, Any, AsyncIterator, Generic, Iterator, Mapping, TypeVar, get_args

from ._errors import APIError, APITimeoutError, StreamInterruptedError
from ._parse import load_data, shown_body
from ._sse import ServerSentEvent, SSEDecoder

if TYPE_CHECKING:
    from ._response import APIResponse, AsyncAPIResponse

__all__ = ["Stream", "AsyncStream", "EventHandler"]

T = TypeVar("T")


_READ_SIZE = 64 * 1024


class _Done(Exception):
    """Raised inside the handler to end a stream at ``[DONE]``."""


class EventHandler:
    """Turns decoded events into items: ``[DONE]`` ends, an error event raises, data is parsed."""

    def __init__(self, cast_to: Any, *, strict: bool, response: Any) -> None:
        self.cast_to = cast_to
        self.strict = strict
        self.response = response

    def handle(self, event: ServerSentEvent) -> Any:
        """The item for ``event``; raises :class:`_Done` at the end and :class:`APIError` on an error."""
        if event.data.startswith("[DONE]"):
            raise _Done
        try:
            data = event.json() if event.data else None
        except (ValueError, RecursionError) as exc:  # RecursionError: nesting too deep to decode
            if event.event == "error":
                raise APIError(f"the stream sent an error: {shown_body(event.data)}", _request_of(self.response),
                               body=event.data) from exc
            raise StreamInterruptedError(
                f"a stream event's data is not valid JSON ({exc}): {event.data[:200]!r}",
                request=_request_of(self.response),
            ) from exc
        # type() first: isinstance against typing.Mapping costs about 1 us per event.
        error = data.get("error") if type(data) is dict or isinstance(data, _abc.Mapping) else None
        if event.event == "error" or error:
            message = error.get("message") if isinstance(error, Mapping) else error
            raise APIError(
                f"the stream sent an error: {shown_body(message or data)}", _request_of(self.response), body=data
            )
        if self.cast_to in (None, object, dict) or self.cast_to is Any:
            return data
        return load_data(self.cast_to, data, strict=self.strict, response=self.response)


def _request_of(response: Any) -> Any:
    return getattr(response, "http_request", None)


def stream_item_type(stream_cls: Any, cast_to: Any) -> Any:
    """``T`` of ``Stream[T]`` when the class is parameterised, else ``cast_to``."""
    args = get_args(stream_cls)
    return args[0] if args else cast_to


class _BaseStream(Generic[T]):
    """What both streams hold: the response, and the handler that gives events their meaning."""

    def __init__(self, *, cast_to: Any, response: Any, client: Any) -> None:
        self.response = response
        self._client = client
        self._handler = EventHandler(cast_to, strict=client._strict_response_validation, response=response)
        self._iterator = self._events()

    def _events(self) -> Any:
        raise NotImplementedError


class Stream(_BaseStream[T]):
    """Parsed events of a streamed response on the sync client."""

    #: The raw response (an :class:`~genai_base.APIResponse`): status, headers and the request sent.
    response: "APIResponse[Any]"

    def _chunks(self) -> Iterator[bytes]:
        request = self.response.http_request
        try:
            yield from self.response._raw.iter_bytes()
        except APITimeoutError as exc:
            raise _silence(request) from exc
        except APIError as exc:
            raise _cut_off(exc, request) from exc

    def _events(self) -> Iterator[T]:
        decoder = SSEDecoder()
        handle = self._handler.handle
        try:
            for chunk in self._chunks():
                for event in decoder.feed(chunk):
                    yield handle(event)
            for event in decoder.end():
                yield handle(event)
        except _Done:
            return
        finally:
            self.close()

    def __iter__(self) -> Iterator[T]:
        try:
            yield from self._iterator
        finally:
            self.close()  # leaving a for loop early releases the connection

    def __next__(self) -> T:
        return next(self._iterator)

    def close(self) -> None:
        """Release the connection (safe to call more than once)."""
        self.response._raw.close()

    def __enter__(self) -> "Stream[T]":
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


def _cut_off(exc: APIError, request: Any) -> StreamInterruptedError:
    reason = exc.message.removeprefix("the response was cut off: ")
    return StreamInterruptedError(f"the event stream was cut off: {reason}", request=request)


def _silence(request: Any) -> APITimeoutError:
    timeout = getattr(getattr(request, "timeout", None), "read", None)
    limit = f" for more than {timeout:g}s" if timeout is not None else ""
    return APITimeoutError(f"the event stream was silent{limit} (read timeout)", request=request)


class AsyncStream(_BaseStream[T]):
    """Parsed events of a streamed response on the async client."""

    #: The raw response (an :class:`~genai_base.AsyncAPIResponse`): status, headers and the request sent.
    response: "AsyncAPIResponse[Any]"

    def _events(self) -> AsyncIterator[T]:
        # Not a generator method: the generator must not hold the stream, so that an abandoned
        # stream is collected (and its connection released) as soon as it is dropped.
        return _async_events(self.response, self._handler)

    def __aiter__(self) -> AsyncIterator[T]:
        # The events themselves: leaving the loop early, the stream (or ``close()``) releases the connection.
        return self._iterator  # type: ignore[no-any-return]

    async def __anext__(self) -> T:
        return await self._iterator.__anext__()

    async def close(self) -> None:
        """Release the connection (safe to call more than once)."""
        self.response._raw.close()

    aclose = close

    async def __aenter__(self) -> "AsyncStream[T]":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()


async def _async_events(response: Any, handler: EventHandler) -> AsyncIterator[Any]:
    """A stream's items: the one async generator of a stream.

    Nested async generators, finalized separately when an abandoned stream is
    collected, could be closed while another is closing them.
    """
    decoder = SSEDecoder()
    handle = handler.handle
    request = response.http_request
    chunks = response._raw.iter_bytes().__aiter__()
    try:
        while True:
            try:
                chunk = await chunks.__anext__()
            except StopAsyncIteration:
                break
            except APITimeoutError as exc:
                raise _silence(request) from exc
            except APIError as exc:
                raise _cut_off(exc, request) from exc
            for event in decoder.feed(chunk):
                yield handle(event)
        for event in decoder.end():
            yield handle(event)
    except _Done:
        return
    finally:
        response._raw.close()
