"""Incremental server-sent-events (SSE) decoder: bytes in, events out, no I/O.

The decoder follows the WHATWG "event stream interpretation" rules
(https://html.spec.whatwg.org/multipage/server-sent-events.html) with the
the dispatch behaviour of the Stainless-generated SDKs' decoder (openai-python's,
for one); see :class:`SSEDecoder`.

It is strictly linear in the size of the stream: every chunk is searched for
line endings exactly once, partial lines are kept as a list of pieces that is
joined only once, when the line is complete, and complete lines are decoded
from UTF-8 in one call per chunk.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from ._serializers import loads_json_text

__all__ = ["SSEDecoder", "ServerSentEvent", "aiter_events", "iter_events"]

_BOM = b"\xef\xbb\xbf"


# Not ``frozen=True``: a frozen dataclass costs about 450 ns per instance
# (four ``object.__setattr__`` calls) against about 130 ns for a plain slotted
# one, which is significant when decoding many small events.  Treat instances
# as read-only.
@dataclass(slots=True)
class ServerSentEvent:
    """One dispatched server-sent event."""

    event: str | None = None
    """The ``event:`` field, or None when none (or an empty one) was given."""
    data: str = ""
    """All ``data:`` lines of the event joined with ``"\\n"``."""
    id: str | None = None
    """The last event ID seen on the stream so far (it persists across events)."""
    retry: int | None = None
    """The ``retry:`` field of this event, in milliseconds."""

    def json(self) -> Any:
        """Parse :attr:`data` as JSON (as ``json.loads`` would); malformed data raises ``ValueError``.

        Data nested too deeply to decode raises ``ValueError`` too, not the
        decoder's ``RecursionError``: it is malformed input like any other.
        """
        try:
            return loads_json_text(self.data)
        except RecursionError:
            raise ValueError("JSON nested too deeply to decode") from None


class SSEDecoder:
    """Incremental SSE decoder; feed it raw bytes in chunks of any size.

    Line endings may be LF, CRLF or CR, also mixed, and a CRLF may be split
    across two chunks.  Complete lines are decoded as UTF-8 with
    ``errors="replace"``, so invalid input never raises.  A UTF-8 byte order
    mark at the very start of the stream is skipped.

    Field rules: lines starting with ``:`` are comments; a line without a colon
    is a field name with an empty value; one space after the colon is removed;
    ``event``, ``data``, ``id`` (ignored when it contains NUL) and ``retry``
    (ignored unless all ASCII digits) are understood, other fields ignored.

    Dispatch rule (the Stainless SDKs' decoder's, not the WHATWG one, which requires a
    ``data`` field): an empty line dispatches an event when the pending event
    has a ``data`` line (even an empty one), a non-empty event type or a valid
    ``retry``, or when the last valid ``id`` field since the last dispatch was
    non-empty; otherwise it is ignored.  Deviation from that decoder: it
    tests the *persistent* last event ID instead, so after any non-empty
    ``id:`` every further empty line (e.g. after a ``: keep-alive`` comment)
    yields a spurious event with empty data; here only ``id`` fields seen
    since the last dispatch count.  Dispatched events carry the last event ID
    (it persists, as the spec requires); ``event``, ``data`` and ``retry``
    are reset after each dispatch.
    """

    __slots__ = (
        "_data",
        "_event",
        "_head",
        "_id_seen",
        "_last_event_id",
        "_pieces",
        "_retry",
        "_skip_lf",
        "reconnection_time",
    )

    def __init__(self, last_event_id: str | None = None) -> None:
        """Create a decoder positioned at the start of a stream.

        ``last_event_id`` carries the ID over from an earlier connection of
        the same stream (it persists across reconnects, as the spec says).
        """
        # Bytes of the current, not yet terminated line (no line endings).
        self._pieces: list[bytes] = []
        # The previous chunk ended with CR: a leading LF belongs to it.
        self._skip_lf = False
        # Start-of-stream bytes held back while they could still be a BOM;
        # None once BOM detection is over.
        self._head: bytes | None = b""
        self._event: str | None = None
        self._data: list[str] = []
        self._last_event_id: str | None = last_event_id
        self._retry: int | None = None
        #: The last valid ``retry:`` field seen (milliseconds): the server's wish for how long a
        #: client waits before reconnecting. Set when the field is read, as the spec says.
        self.reconnection_time: int | None = None
        # Whether a non-empty valid ``id`` was seen since the last dispatch.
        self._id_seen = False

    @property
    def last_event_id(self) -> str | None:
        """The last event ID seen (useful as ``Last-Event-ID`` on reconnect)."""
        return self._last_event_id

    def feed(self, chunk: bytes) -> list[ServerSentEvent]:
        """Consume ``chunk``; return the events completed by it."""
        if not chunk:
            return []
        head = self._head
        if head is not None:
            if head:
                chunk = head + chunk
            if len(chunk) < 3 and _BOM.startswith(chunk):
                self._head = chunk
                return []
            self._head = None
            if chunk[:3] == _BOM:
                chunk = chunk[3:]
                if not chunk:
                    return []
        if self._skip_lf:
            self._skip_lf = False
            if chunk[:1] == b"\n":
                chunk = chunk[1:]
                if not chunk:
                    return []

        cr = chunk.rfind(b"\r")
        end = chunk.rfind(b"\n")
        if cr > end:
            end = cr
        pieces = self._pieces
        if end < 0:
            # No line ending: only the new bytes are touched, never the buffer.
            pieces.append(chunk)
            return []
        end += 1
        if end == len(chunk):
            complete = chunk
            self._skip_lf = cr + 1 == end
            rest = b""
        else:
            complete = chunk[:end]
            rest = chunk[end:]
        if pieces:
            pieces.append(complete)
            complete = b"".join(pieces)
            pieces.clear()
        if rest:
            pieces.append(rest)

        text = complete.decode("utf-8", "replace")
        if cr >= 0:
            # Only the chunk can hold a CR (pieces never hold line endings).
            # Single left-to-right passes: "\r\r\n" -> "\r\n" -> "\n\n".
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        return self._process_text(text)

    def end(self) -> list[ServerSentEvent]:
        """Signal the end of the stream; return the events it completes.

        A final line without a line ending is still interpreted as a field,
        but an event not terminated by an empty line is discarded, as in the
        Stainless SDKs' decoder (and the WHATWG spec), so this always returns ``[]``.
        The decoder is then reset for a new stream, keeping only
        :attr:`last_event_id`.
        """
        pieces = self._pieces
        if self._head:
            # Up to two bytes of an incomplete BOM: ordinary (invalid) text.
            pieces.append(self._head)
        events: list[ServerSentEvent] = []
        if pieces:
            line = b"".join(pieces).decode("utf-8", "replace")
            self._process_lines([line], events)
        self._pieces = []
        self._skip_lf = False
        self._head = b""
        self._event = None
        self._data = []
        self._retry = None
        self._id_seen = False
        return events

    def _process_text(self, text: str) -> list[ServerSentEvent]:
        """Interpret ``text``: complete lines, each ending with ``"\\n"``."""
        if (
            text[:6] == "data: "
            and text[-2:] == "\n\n"
            and not (self._data or self._event is not None or self._retry is not None or self._id_seen)
        ):
            # Fast path for the common shape: nothing pending and only
            # ``data: <line>`` blocks, each followed by an empty line.  Then
            # ``text`` is "data: " + "\\n\\ndata: ".join(datas) + "\\n\\n", which
            # holds if the items contain no "\\n" (2 * k of them in ``text``).
            datas = text[6:-2].split("\n\ndata: ")
            k = len(datas)
            if ("\n" not in datas[0]) if k == 1 else text.count("\n") == 2 * k:
                last_id = self._last_event_id
                return [ServerSentEvent(None, d, last_id, None) for d in datas]
        lines = text.split("\n")
        lines.pop()  # ``text`` ends with "\n": the last item is "".
        out: list[ServerSentEvent] = []
        self._process_lines(lines, out)
        return out

    def _process_lines(self, lines: list[str], out: list[ServerSentEvent]) -> None:
        """Interpret complete lines (without line endings); append to ``out``."""
        append = out.append
        event = self._event
        data = self._data
        last_id = self._last_event_id
        retry = self._retry
        id_seen = self._id_seen
        for line in lines:
            if not line:
                if data or event is not None or retry is not None or id_seen:
                    append(ServerSentEvent(event, "\n".join(data), last_id, retry))
                    event = None
                    data = []
                    retry = None
                    id_seen = False
                continue
            if line.startswith("data: "):  # the most common field, first
                data.append(line[6:])
                continue
            name, _, value = line.partition(":")
            if value[:1] == " ":
                value = value[1:]
            if name == "data":
                data.append(value)
            elif name == "event":
                event = value or None
            elif name == "id":
                if "\0" not in value:
                    last_id = value
                    id_seen = bool(value)
            elif name == "retry":
                if value.isdigit() and value.isascii():
                    try:
                        retry = int(value)
                    except ValueError:  # beyond sys.get_int_max_str_digits()
                        pass
                    else:
                        self.reconnection_time = retry
            # Anything else, including comments (empty name), is ignored.
        self._event = event
        self._data = data
        self._last_event_id = last_id
        self._retry = retry
        self._id_seen = id_seen


def iter_events(chunks: Iterable[bytes]) -> Iterator[ServerSentEvent]:
    """Decode an iterable of byte chunks into events."""
    decoder = SSEDecoder()
    feed = decoder.feed
    for chunk in chunks:
        yield from feed(chunk)
    yield from decoder.end()


async def aiter_events(chunks: AsyncIterable[bytes]) -> AsyncIterator[ServerSentEvent]:
    """Decode an async iterable of byte chunks into events."""
    decoder = SSEDecoder()
    feed = decoder.feed
    async for chunk in chunks:
        for event in feed(chunk):
            yield event
    for event in decoder.end():
        yield event
