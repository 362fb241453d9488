"""Plain data types of the fake API server: scripted replies and recorded requests."""

from __future__ import annotations

import json as _json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from ._sse import encode_event

__all__ = ["NOT_GIVEN", "RESET_MODES", "RecordedRequest", "Reply"]

RESET_MODES: Final = ("before_headers", "mid_body")


class _NotGiven:
    """Type of the sentinel meaning "no JSON payload was given"."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "NOT_GIVEN"


NOT_GIVEN: Final = _NotGiven()


@dataclass(frozen=True)
class Reply:
    """One scripted answer of the fake server (see ``FakeAPIServer.script``).

    ``events`` makes it an event stream (``text/event-stream``): each item is
    a :class:`~genai_base.ServerSentEvent` (its ``event``, ``id``, ``retry``
    and ``data`` fields are written), a ``str`` (the data) or any other JSON
    value (the data, as JSON), written one block at a time ``chunk_delay``
    apart. When the request carries ``Last-Event-ID`` naming an event's
    ``id``, the stream starts after that event (``resume=False``: it never
    does). ``cut_after=N`` closes the connection after N events (the body
    never ends), ``stall_after=N`` goes silent after N events (until the
    client gives up).
    """

    #: The status code.
    status: int = 200
    #: Headers to send (a JSON reply also gets ``Content-Type: application/json``).
    headers: Mapping[str, str] = field(default_factory=dict)
    #: A JSON body (any JSON-encodable value, ``None`` included).
    json: object = NOT_GIVEN
    #: A raw body (text is sent as UTF-8).
    body: bytes | str | None = None
    #: The ``Content-Type`` of a raw body.
    content_type: str | None = None
    #: Seconds to wait before sending the status line and headers.
    delay: float = 0.0
    #: A body sent in these pieces, ``chunk_delay`` apart (instead of ``json``/``body``).
    chunks: Sequence[bytes] | None = None
    #: Seconds between two ``chunks``.
    chunk_delay: float = 0.0
    #: Drop the connection: ``"before_headers"`` (nothing sent) or ``"mid_body"`` (after half the body).
    reset: str | None = None
    #: Send only this many bytes of the body (a Content-Length promising more), then close.
    truncate: int | None = None
    #: An event stream: :class:`~genai_base.ServerSentEvent` objects, ``str`` data or JSON values.
    events: Sequence[object] | None = None
    #: Close the connection after this many events, before the body ends.
    cut_after: int | None = None
    #: Send nothing more after this many events, until the client gives up.
    stall_after: int | None = None
    #: Start after the event a request's ``Last-Event-ID`` names (``False``: always from the start).
    resume: bool = True

    def __post_init__(self) -> None:
        """Reject contradictory combinations early, in the test's own thread."""
        if self.events is not None:
            if isinstance(self.events, (str, bytes)):
                raise TypeError("events must be a list of events, not a str or bytes")
            if self.has_json or self.body is not None or self.chunks is not None:
                raise ValueError("events replace json/body/chunks; give only one of them")
            if self.reset is not None or self.truncate is not None:
                raise ValueError("an event stream is cut with cut_after=N, not reset or truncate")
        elif self.cut_after is not None or self.stall_after is not None:
            raise ValueError("cut_after and stall_after apply to event streams: give events=[...]")
        if self.cut_after is not None and self.stall_after is not None:
            raise ValueError("give either cut_after or stall_after, not both")
        for name in ("cut_after", "stall_after"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 0):
                raise ValueError(f"{name} must be a whole number >= 0, got {value!r}")
        if self.reset is not None and self.reset not in RESET_MODES:
            raise ValueError(f"reset must be one of {RESET_MODES} or None, got {self.reset!r}")
        if self.has_json and self.body is not None:
            raise ValueError("give either json or body, not both")
        if self.chunks is not None:
            if self.has_json or self.body is not None:
                raise ValueError("chunks replace json/body; give only one of them")
            if self.reset is not None or self.truncate is not None:
                raise ValueError("chunks cannot be combined with reset or truncate")
        if self.reset is not None and self.truncate is not None:
            raise ValueError("give either reset or truncate, not both")
        if self.truncate is not None and self.truncate < 0:
            raise ValueError("truncate must be >= 0")
        if self.delay < 0 or self.chunk_delay < 0:
            raise ValueError("delays must be >= 0")

    @property
    def has_json(self) -> bool:
        """Whether a JSON payload was given (``None`` counts: it is sent as ``null``)."""
        return self.json is not NOT_GIVEN

    def payload(self) -> bytes:
        """The full response body as bytes."""
        if self.chunks is not None:
            return b"".join(self.chunks)
        if self.events is not None:
            return b"".join(encode_event(event) for event in self.events)
        if self.has_json:
            return _json.dumps(self.json).encode("utf-8")
        if isinstance(self.body, str):
            return self.body.encode("utf-8")
        return self.body or b""

    def effective_content_type(self) -> str | None:
        """Content type to send, or None when ``headers`` carries one or none applies."""
        if self.content_type is not None:
            return self.content_type
        if any(name.lower() == "content-type" for name in self.headers):
            return None
        if self.events is not None:
            return "text/event-stream"
        if self.has_json:
            return "application/json"
        if isinstance(self.body, str):
            return "text/plain; charset=utf-8"
        if self.body is not None or self.chunks is not None:
            return "application/octet-stream"
        return None


@dataclass(frozen=True)
class RecordedRequest:
    """One request (one attempt) as the fake server received it."""

    #: The HTTP method.
    method: str
    #: The path, without the query string.
    path: str
    #: The raw query string.
    query_string: str
    #: The decoded query pairs, in order (repeated names kept).
    query: list[tuple[str, str]]
    #: The headers, names lower-cased (the last of a repeated header wins).
    headers: dict[str, str]
    #: Every header as received: names as sent, repeats kept, in order.
    header_items: list[tuple[str, str]]
    #: The whole body.
    body: bytes
    #: The full URL as the server saw it.
    url: str

    def json(self) -> object:
        """The body parsed as JSON."""
        return _json.loads(self.body)

    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")

    def query_dict(self) -> dict[str, list[str]]:
        """Query parameters grouped by name, values in order."""
        grouped: dict[str, list[str]] = {}
        for name, value in self.query:
            grouped.setdefault(name, []).append(value)
        return grouped
