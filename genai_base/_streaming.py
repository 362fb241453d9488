"""Event streams: :class:`Stream` (sync) and :class:`AsyncStream` over server-sent events.

The body is read as raw chunks and fed to the incremental decoder in
:mod:`genai_base._sse`; what an event means (an item, nothing, the end, an
error) is the stream protocol's answer (:mod:`genai_base._stream_protocols`);
whether and how a broken stream resumes is decided in
:mod:`genai_base._stream_resume`. Both streams release their connection
when read to the end, closed, left early, failed or resumed.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any, AsyncIterator, ClassVar, Generic, Iterator, Optional, TypeVar, Union, get_args, get_origin

if sys.version_info >= (3, 11):
    from typing import Self
else:
    from typing_extensions import Self

from ._errors import APIError, APITimeoutError, StreamInterruptedError
from ._options import FinalRequestOptions
from ._plugins import GROUP_PREFIX, offered_names
from ._response import APIResponse, AsyncAPIResponse
from ._sse import ServerSentEvent, SSEDecoder
from ._stream_protocols import END, StreamContext, StreamProtocol, StreamSignal, protocol_for
from ._stream_resume import Resumption

__all__ = ["Stream", "AsyncStream", "stream_item_type"]

T = TypeVar("T")

# Names other SDK base clients' stream classes use for their event loop. A subclass that defines
# one expects it to be called; it would not be, so defining one is an error.
_FOREIGN_HOOKS = ("__stream__", "_iter_events")


class _Unset:
    """No item type declared by a stream class."""


_UNSET: Any = _Unset()


def stream_item_type(stream_cls: Any, cast_to: Any) -> Any:
    """``T`` of ``Stream[T]`` (or of a subclass such as ``class ChunkStream(Stream[Chunk])``), else ``cast_to``."""
    args = get_args(stream_cls)
    if args:
        return args[0]
    declared = getattr(stream_cls, "_item_type", _UNSET)
    return cast_to if declared is _UNSET else declared


def _declared_item_type(cls: type) -> Any:
    """The concrete ``T`` a class fixes in its bases (``Stream[Chunk]``), or ``_UNSET``."""
    for klass in cls.__mro__:
        for base in klass.__dict__.get("__orig_bases__", ()):
            origin = get_origin(base)
            if isinstance(origin, type) and issubclass(origin, _BaseStream):
                args = get_args(base)
                if args and not isinstance(args[0], TypeVar):
                    return args[0]
    return _UNSET


def _check_protocol_name(cls: type, spec: str) -> None:
    """A class-level ``protocol`` name must be offered by an installed distribution: a typo fails here, not at the call.

    Whether it is disabled (``GENAI_BASE_DISABLE_PLUGINS``) is the call's to say: that may change at run time.
    """
    found, names = offered_names("stream_protocols", spec)
    if not found:
        raise TypeError(
            f"{cls.__qualname__}.protocol = {spec!r} names no installed stream protocol; "
            f"{GROUP_PREFIX}stream_protocols offers: {', '.join(names) or '(none)'}"
        )


def _broken(exc: APIError, request: Any) -> APIError:
    """The error a break of the body is reported as (if the stream does not resume)."""
    if isinstance(exc, APITimeoutError):
        timeout = getattr(getattr(request, "timeout", None), "read", None)
        limit = f" for more than {timeout:g}s" if timeout is not None else ""
        error: APIError = APITimeoutError(f"the event stream was silent{limit} (read timeout)", request=request)
    else:
        reason = exc.message.removeprefix("the response was cut off: ")
        error = StreamInterruptedError(f"the event stream was cut off: {reason}", request=request)
    error.__cause__ = exc
    return error


class _StreamState:
    """What a stream's event loop works on: the current response, the protocol's handler, the resumption.

    The loop holds this, not the stream, so that an abandoned async stream is
    collected (and its connection released) as soon as it is dropped.
    """

    __slots__ = ("client", "context", "decoder", "ended", "handle", "last_id", "options", "response", "resumption")

    def __init__(self, response: Any, client: Any, options: Optional[FinalRequestOptions], context: StreamContext):
        self.response = response
        self.client = client
        self.options = options
        self.context = context
        self.handle: Any = None
        self.resumption: Optional[Resumption] = None
        self.decoder = SSEDecoder()
        self.last_id: Optional[str] = None  # the ID of the last event handled: where a resumption starts
        self.ended = False  # the protocol said END: nothing more is read

    def plan_resume(self, exc: APIError) -> tuple[float, Any]:
        """What to wait and send to resume after the body broke with ``exc``, the broken response released.

        Raises what to raise when the stream does not resume.
        """
        error = _broken(exc, self.response.http_request)
        if self.resumption is None:
            self.resumption = Resumption(self.client, self.options)
        try:
            plan = self.resumption.plan(error, self.response, self.last_id, self.decoder.reconnection_time)
        except APIError as raised:
            raise raised from raised.__cause__
        self.response._raw.close()
        return plan

    def adopt(self, resumed: Any) -> None:
        """Go on reading from ``resumed`` (the reconnect's response)."""
        assert self.resumption is not None
        if not 200 <= resumed.status_code < 300:
            resumed._raw.close()
            raise StreamInterruptedError(
                f"resuming the event stream got status {resumed.status_code}, not an event stream",
                request=resumed.http_request,
            )
        self.resumption.adopt(self.response, resumed)
        self.response = resumed
        self.context.response = resumed
        self.decoder = SSEDecoder(self.last_id)


class _BaseStream(Generic[T]):
    """What both streams hold: the response, the protocol giving events their meaning, the resumption state.

    A subclass may set ``protocol`` (a ``genai_base.stream_protocols`` plugin
    name, or a protocol object) and may override :meth:`handle_event`.
    """

    #: This class's stream protocol: a plugin name, a protocol object, or ``None`` for the client's.
    protocol: ClassVar[Union[str, StreamProtocol, None]] = None
    _item_type: ClassVar[Any] = _UNSET
    _overrides_handler: ClassVar[bool] = False

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        foreign = [name for name in _FOREIGN_HOOKS if name in cls.__dict__]
        if foreign and cls.__module__ != __name__:
            raise TypeError(
                f"{cls.__qualname__} defines {', '.join(foreign)}, which genai_base streams never call; "
                f"give the stream a protocol (protocol = 'name' or a StreamProtocol object) or override "
                f"handle_event(event) to change how events become items"
            )
        spec = cls.__dict__.get("protocol")
        if isinstance(spec, str):
            _check_protocol_name(cls, spec)
        elif spec is not None and (
            isinstance(spec, type) or not callable(getattr(spec, "handle", None))
        ):
            what = "a class; give an instance" if isinstance(spec, type) else f"a {type(spec).__name__}"
            raise TypeError(
                f"{cls.__qualname__}.protocol must be a stream protocol name or an object with "
                f"handle(event, context), got {what}"
            )
        cls._item_type = _declared_item_type(cls)
        # Stream and AsyncStream are this module's; any other class defining handle_event overrides it.
        cls._overrides_handler = any(
            "handle_event" in klass.__dict__ for klass in cls.__mro__ if klass.__module__ != __name__
        )

    def __init__(
        self, *, cast_to: Any, response: Any, client: Any, options: Optional[FinalRequestOptions] = None
    ) -> None:
        try:
            self._protocol: StreamProtocol = protocol_for(type(self).protocol, client)
        except BaseException:
            response._raw.close()  # a misnamed protocol: the response is not left open
            raise
        self._client = client
        item_type = cast_to if self._item_type is _UNSET else self._item_type
        state = self._state = _StreamState(response, client, options, StreamContext(item_type, response, client))
        if self._overrides_handler:
            handle_event = self.handle_event  # holds the stream: an override may use its attributes
            state.handle = lambda event, _context: handle_event(event)
        else:
            state.handle = self._protocol.handle
        self._iterator = self._events()

    @property
    def reconnects(self) -> int:
        """How many times this stream was resumed after a break."""
        resumption = self._state.resumption
        return 0 if resumption is None else resumption.reconnects

    def handle_event(self, event: ServerSentEvent) -> Any:
        """The item for one event, or a :class:`StreamSignal`; by default the stream protocol's answer.

        Override it to change how this stream's events become items
        (``super().handle_event(event)`` asks the protocol).
        """
        return self._protocol.handle(event, self._state.context)

    def _events(self) -> Any:
        raise NotImplementedError


class Stream(_BaseStream[T]):
    """Parsed events of a streamed response on the sync client."""

    _iterator: Iterator[T]

    @property
    def response(self) -> "APIResponse[Any]":
        """The raw response being read: status, headers and the request sent (after a resumption, the new one)."""
        return self._state.response  # type: ignore[no-any-return]

    def _events(self) -> Iterator[T]:
        return _sync_events(self._state)

    def __iter__(self) -> Iterator[T]:
        try:
            yield from self._iterator
        finally:
            self.close()  # leaving a for loop early releases the connection

    def __next__(self) -> T:
        return next(self._iterator)

    def close(self) -> None:
        """Release the connection (safe to call more than once)."""
        self._state.response._raw.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class AsyncStream(_BaseStream[T]):
    """Parsed events of a streamed response on the async client."""

    _iterator: AsyncIterator[T]

    @property
    def response(self) -> "AsyncAPIResponse[Any]":
        """The raw response being read: status, headers and the request sent (after a resumption, the new one)."""
        return self._state.response  # type: ignore[no-any-return]

    def _events(self) -> AsyncIterator[T]:
        # Not a generator method: the generator must not hold the stream, so that an abandoned
        # stream is collected (and its connection released) as soon as it is dropped.
        return _async_events(self._state)

    def __aiter__(self) -> AsyncIterator[T]:
        # The events themselves: leaving the loop early, the stream (or ``close()``) releases the connection.
        return self._iterator

    async def __anext__(self) -> T:
        return await self._iterator.__anext__()

    async def close(self) -> None:
        """Release the connection (safe to call more than once)."""
        self._state.response._raw.close()

    aclose = close

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()


def _items(state: _StreamState, events: list[ServerSentEvent]) -> Iterator[Any]:
    """The items of one chunk's events, on both shells; sets ``state.ended`` at the protocol's END.

    Each event is handled when the item before it has been taken, so an error
    event raises only after the items before it in the same chunk were yielded.
    """
    if events:
        state.last_id = events[-1].id  # every event of a chunk is handled before the next read
    handle = state.handle
    context = state.context
    for event in events:
        item = handle(event, context)
        if type(item) is StreamSignal:
            if item is END:
                state.ended = True
                return
            continue
        yield item


def _sync_events(state: _StreamState) -> Iterator[Any]:
    """A sync stream's items, across the connections of its resumptions."""
    try:
        while True:
            chunks = iter(state.response._raw.iter_bytes())
            broken: Optional[APIError] = None
            while not state.ended:
                try:
                    chunk = next(chunks)
                except StopIteration:
                    break
                except APIError as exc:
                    broken = exc
                    break
                yield from _items(state, state.decoder.feed(chunk))
            if broken is None:
                if not state.ended:
                    yield from _items(state, state.decoder.end())
                return
            wait, options = state.plan_resume(broken)
            if wait > 0:
                time.sleep(wait)
            state.adopt(state.client.request(APIResponse, options, stream=True))
    finally:
        state.response._raw.close()


async def _async_events(state: _StreamState) -> AsyncIterator[Any]:
    """An async stream's items, across the connections of its resumptions: the one async generator of a stream.

    Nested async generators, finalized separately when an abandoned stream is
    collected, could be closed while another is closing them (``_items`` is a
    plain generator, run to its end or dropped within one step of this one).
    """
    try:
        while True:
            chunks = state.response._raw.iter_bytes().__aiter__()
            broken: Optional[APIError] = None
            while not state.ended:
                try:
                    chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    break
                except APIError as exc:
                    broken = exc
                    break
                for item in _items(state, state.decoder.feed(chunk)):
                    yield item
            if broken is None:
                if not state.ended:
                    for item in _items(state, state.decoder.end()):
                        yield item
                return
            wait, options = state.plan_resume(broken)
            if wait > 0:
                await asyncio.sleep(wait)
            state.adopt(await state.client.request(AsyncAPIResponse, options, stream=True))
    finally:
        state.response._raw.close()
