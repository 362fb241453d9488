"""Stream protocols: what each server-sent event of an API's stream means.

A stream protocol is a component (entry-point group
``genai_base.stream_protocols``) with one method, ``handle(event, context)``,
that turns a :class:`~genai_base.ServerSentEvent` into an item of the
stream, :attr:`StreamSignal.SKIP` (nothing), :attr:`StreamSignal.END` (the
stream is over) or an exception (an error the API sent). The built-ins:

- ``openai`` (:class:`OpenAIStreamProtocol`, the default: ``[DONE]`` ends, error events raise);
- ``anthropic`` (:class:`AnthropicStreamProtocol`): named events, ``ping``
  skipped, ``event: error`` raised as the client's status error;
- ``raw`` (:class:`RawStreamProtocol`): every event as it came.

No I/O happens here; the streams in :mod:`genai_base._streaming` call the
protocol once per event.
"""

from __future__ import annotations

import collections.abc as _abc
import copy
import enum
from typing import TYPE_CHECKING, Any, Mapping, Optional, Protocol, runtime_checkable

from ._errors import APIError, APIStatusError, StreamInterruptedError
from ._parse import load_data, shown_body
from ._sse import ServerSentEvent

if TYPE_CHECKING:
    from ._base import BaseClient

__all__ = [
    "ANTHROPIC_ERROR_STATUSES",
    "AnthropicStreamProtocol",
    "OpenAIStreamProtocol",
    "RawStreamProtocol",
    "StreamContext",
    "StreamProtocol",
    "StreamSignal",
    "protocol_for",
]


class StreamSignal(enum.Enum):
    """What a protocol returns instead of an item."""

    #: The event carries no item (a keep-alive, a ``ping``): go on with the next one.
    SKIP = "skip"
    #: The stream is over (``data: [DONE]``): nothing after this event is read.
    END = "end"


SKIP = StreamSignal.SKIP
END = StreamSignal.END


class StreamContext:
    """What a protocol may use while it handles the events of one stream.

    ``item_type`` is the stream's item type (``T`` of ``Stream[T]``, else the
    call's ``cast_to``); ``passthrough`` is true when items are the decoded
    JSON as is (``dict``, ``object``, ``Any``), so :meth:`load` has nothing to do.
    """

    __slots__ = ("_client", "_strict", "item_type", "passthrough", "response")

    def __init__(self, item_type: Any, response: Any, client: "BaseClient") -> None:
        #: The type each item is loaded as (``T`` of ``Stream[T]``, else the call's ``cast_to``).
        self.item_type = item_type
        #: True when items are the decoded JSON as is (``dict``, ``object``, ``Any``): :meth:`load` returns it.
        self.passthrough = item_type in (None, object, dict) or item_type is Any
        #: The response being read (after a resumption: the one that resumed the stream).
        self.response = response
        self._client = client
        self._strict = bool(client._strict_response_validation)

    @property
    def request(self) -> Any:
        """The request that got :attr:`response`."""
        return getattr(self.response, "http_request", None)

    def load(self, data: Any) -> Any:
        """``data`` (decoded JSON) loaded as the stream's item type, strictly if the client is strict."""
        if self.passthrough:
            return data
        return load_data(self.item_type, data, strict=self._strict, response=self.response)

    def error(self, message: str, body: object = None) -> APIError:
        """The :class:`~genai_base.APIError` for an error the stream sent (to raise)."""
        return APIError(f"the stream sent an error: {shown_body(message)}", self.request, body=body)

    def status_error(self, status_code: int, message: str, body: object = None) -> APIStatusError:
        """The client's own status error (``_make_status_error``) for an error event meaning ``status_code``.

        The error's ``response`` is the stream's response with ``status_code``
        set to the status the event stands for; the headers are the stream's.
        """
        response = _with_status(self.response, status_code)
        return self._client._make_status_error(
            f"the stream sent an error: Error code: {status_code} - {shown_body(message)}", body=body, response=response
        )


def _with_status(response: Any, status_code: int) -> Any:
    """A shallow copy of a response wrapper with another status (it shares the connection and headers)."""
    clone = copy.copy(response)
    clone.status_code = status_code
    return clone


@runtime_checkable
class StreamProtocol(Protocol):
    """Turns each server-sent event of a stream into an item, a :class:`StreamSignal`, or an exception.

    ``handle`` returns the item (usually ``context.load(event.json())``),
    ``StreamSignal.SKIP`` for an event that carries none,
    ``StreamSignal.END`` to end the stream there, or raises (usually
    ``context.error(...)`` or ``context.status_error(...)``) for an error
    event. It is called once per event, in order, for one stream at a time.
    """

    def handle(self, event: ServerSentEvent, context: StreamContext) -> Any:
        """The item for ``event``, a :class:`StreamSignal`, or raise."""
        ...


def _json(event: ServerSentEvent, context: StreamContext) -> Any:
    """The event's data as JSON; data that is not JSON is a broken stream."""
    try:
        return event.json()
    except ValueError as exc:
        raise StreamInterruptedError(
            f"a stream event's data is not valid JSON ({exc}): {event.data[:200]!r}", request=context.request
        ) from exc


class OpenAIStreamProtocol:
    """OpenAI's rule: ``data: [DONE]`` ends; ``event: error`` or a top-level ``error`` key raises ``APIError``.

    Every other event with data is an item; an event without data (a lone
    ``id:`` or ``retry:``) is skipped.
    """

    def handle(self, event: ServerSentEvent, context: StreamContext) -> Any:
        """The item for ``event`` (see the class)."""
        data = event.data
        if not data:
            return SKIP
        if data.startswith("[DONE]"):
            return END
        try:
            value = event.json()
        except ValueError as exc:
            if event.event == "error":
                raise context.error(data, body=data) from exc
            raise StreamInterruptedError(
                f"a stream event's data is not valid JSON ({exc}): {data[:200]!r}", request=context.request
            ) from exc
        # type() first: isinstance against typing.Mapping costs about 1 us per event.
        error = value.get("error") if type(value) is dict or isinstance(value, _abc.Mapping) else None
        if error or event.event == "error":
            message = error.get("message") if isinstance(error, Mapping) else error
            raise context.error(str(message or value), body=value)
        return value if context.passthrough else context.load(value)

    def __repr__(self) -> str:
        return "OpenAIStreamProtocol()"


#: The HTTP status each Anthropic error type stands for (an unknown type: 500).
ANTHROPIC_ERROR_STATUSES: dict[str, int] = {
    "invalid_request_error": 400,
    "authentication_error": 401,
    "billing_error": 402,
    "permission_error": 403,
    "not_found_error": 404,
    "request_too_large": 413,
    "rate_limit_error": 429,
    "api_error": 500,
    "timeout_error": 504,
    "overloaded_error": 529,
}


class AnthropicStreamProtocol:
    """Anthropic's Messages stream: named events; ``ping`` skipped; ``event: error`` raises a status error.

    The error is the client's ``_make_status_error`` for the status the
    error's ``type`` stands for (:data:`ANTHROPIC_ERROR_STATUSES`:
    ``overloaded_error`` is 529, ``rate_limit_error`` 429, ...), with the
    event's data as its ``body``. Every other event's data is loaded as an
    item (a union of event models discriminated by their ``type`` fits).
    """

    def handle(self, event: ServerSentEvent, context: StreamContext) -> Any:
        """The item for ``event`` (see the class)."""
        name = event.event
        if name == "ping" or not event.data:
            return SKIP
        if name == "error":
            raise self._error(event, context)
        value = _json(event, context)
        return value if context.passthrough else context.load(value)

    @staticmethod
    def _error(event: ServerSentEvent, context: StreamContext) -> APIStatusError:
        try:
            body: Any = event.json()
        except ValueError:
            body = event.data
        error = body.get("error") if isinstance(body, Mapping) else None
        error_type: Optional[str] = None
        message: Any = body
        if isinstance(error, Mapping):
            error_type = error.get("type") if isinstance(error.get("type"), str) else None
            message = error.get("message") or error
        status = ANTHROPIC_ERROR_STATUSES.get(error_type or "", 500)
        shown = f"{error_type}: {message}" if error_type else str(message)
        return context.status_error(status, shown, body=body)

    def __repr__(self) -> str:
        return "AnthropicStreamProtocol()"


class RawStreamProtocol:
    """Every :class:`~genai_base.ServerSentEvent` as it came (``event``, ``data``, ``id``, ``retry``).

    Nothing ends the stream but the end of the body, nothing is raised, and
    the item type is not applied.
    """

    def handle(self, event: ServerSentEvent, context: StreamContext) -> Any:
        """``event`` itself."""
        return event

    def __repr__(self) -> str:
        return "RawStreamProtocol()"


def protocol_for(spec: Any, client: "BaseClient") -> StreamProtocol:
    """The protocol a stream uses: the client's for ``None``, a plugin for a name (once per client), or ``spec``."""
    if spec is None:
        return client._stream_protocol  # type: ignore[no-any-return]
    if not isinstance(spec, str):
        return spec  # type: ignore[no-any-return]  # checked when the stream class was made
    cache: dict[str, Any] = client._stream_protocols
    protocol = cache.get(spec)
    if protocol is None:
        from ._container import load_component  # the container loads dependency-injector: not at import

        protocol = cache[spec] = load_component("stream_protocols", spec, client._settings)
    return protocol  # type: ignore[no-any-return]
