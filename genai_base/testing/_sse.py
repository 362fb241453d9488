"""Server-sent events for the fake server: events as bytes, resuming after ``Last-Event-ID``, stream faults.

Both the ``/sse`` route and scripted ``Reply(events=[...])`` answers write
their events through :func:`write_events`, so faults installed with
``FakeAPIServer.fail_stream`` (cut the connection, or go silent, after N
events) apply to either.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from aiohttp import web

from .._sse import ServerSentEvent
from ._connection import abort_connection

__all__ = [
    "STREAM_FAULTS",
    "StreamFault",
    "StreamFaults",
    "earliest",
    "encode_event",
    "explicit_ids",
    "resume_position",
    "write_events",
]

#: The longest a stream stays silent before the server gives up on it (the client times out first).
STALL_SECONDS = 60.0
_POLL_SECONDS = 0.01


@dataclass(frozen=True)
class StreamFault:
    """What goes wrong with one event stream: cut the connection, or go silent, after so many events."""

    cut_after: int | None = None
    stall_after: int | None = None

    def __post_init__(self) -> None:
        """Reject a fault that does nothing or two at once."""
        given = [n for n in (self.cut_after, self.stall_after) if n is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of cut_after and stall_after")
        if given[0] < 0:
            raise ValueError("cut_after and stall_after must be >= 0")


@dataclass
class _Installed:
    fault: StreamFault
    after: int
    times: int
    seen: int = 0


class StreamFaults:
    """Stream faults per path: ``times`` answers get the fault once ``after`` went through (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: dict[str, _Installed] = {}

    def set(self, path: str, fault: StreamFault, after: int, times: int) -> None:
        """Install (or replace) the stream fault of ``path``."""
        with self._lock:
            self._faults[path] = _Installed(fault, after, times)

    def next(self, path: str) -> StreamFault | None:
        """The fault for this event stream answered on ``path``, if any."""
        with self._lock:
            installed = self._faults.get(path)
            if installed is None:
                return None
            installed.seen += 1
            hit = installed.after < installed.seen <= installed.after + installed.times
            return installed.fault if hit else None

    def clear(self) -> None:
        """Forget every stream fault."""
        with self._lock:
            self._faults.clear()


STREAM_FAULTS = web.AppKey("genai_base_fake_stream_faults", StreamFaults)


def encode_event(event: object, eol: str = "\n") -> bytes:
    """One event block: a :class:`~genai_base.ServerSentEvent` field by field, a ``str`` as the data, else JSON data."""
    if not isinstance(event, ServerSentEvent):
        event = ServerSentEvent(data=event if isinstance(event, str) else json.dumps(event))
    lines: list[str] = []
    if event.event is not None:
        lines.append(f"event: {event.event}")
    if event.id is not None:
        lines.append(f"id: {event.id}")
    if event.retry is not None:
        lines.append(f"retry: {event.retry}")
    if event.data or not lines:
        lines.extend(f"data: {line}" for line in event.data.split("\n"))
    return "".join(line + eol for line in (*lines, "")).encode("utf-8")


def explicit_ids(events: Sequence[object]) -> list[str | None]:
    """The ``id:`` each event states itself (``None`` where it states none)."""
    return [event.id if isinstance(event, ServerSentEvent) else None for event in events]


def resume_position(ids: Sequence[str | None], last_event_id: str | None) -> int:
    """Where to start after ``Last-Event-ID``: just after the last event carrying that ID (0 if none does)."""
    if not last_event_id:
        return 0
    for index in range(len(ids) - 1, -1, -1):
        if ids[index] == last_event_id:
            return index + 1
    return 0


def _cut(request: web.Request) -> None:
    # A plain close after what was written, not a reset: a reset may make the client's kernel drop
    # events it already received, and a test wants exactly N events to arrive before the break.
    abort_connection(request, hard=False)


async def _stall(request: web.Request) -> None:
    """Send nothing more until the client goes away (or ``STALL_SECONDS`` pass)."""
    loop = asyncio.get_running_loop()
    until = loop.time() + STALL_SECONDS
    while loop.time() < until:
        transport = request.transport
        if transport is None or transport.is_closing():
            return
        await asyncio.sleep(_POLL_SECONDS)


async def write_events(
    request: web.Request,
    stream: web.StreamResponse,
    blocks: Iterable[bytes],
    *,
    fault: StreamFault | None = None,
    delay: float = 0.0,
    tail: bytes = b"",
) -> bool:
    """Write ``blocks`` one by one (``delay`` between them), then ``tail``; apply ``fault`` on the way.

    ``blocks`` may be a generator: nothing is held but the block being sent.
    Returns False when the fault ended the answer (the connection is then
    cut, or was left silent until the client went away).
    """
    cut = -1 if fault is None or fault.cut_after is None else fault.cut_after
    stall = -1 if fault is None or fault.stall_after is None else fault.stall_after
    sent = 0
    for block in blocks:
        if sent == cut:
            _cut(request)
            return False
        if sent == stall:
            await _stall(request)
            return False
        if sent and delay > 0:
            await asyncio.sleep(delay)
        await stream.write(block)
        sent += 1
    if sent == cut:  # after the last event, before the body's end: the client never sees it end
        _cut(request)
        return False
    if sent == stall:
        await _stall(request)
        return False
    if tail:
        await stream.write(tail)
    await stream.write_eof()
    return True


def earliest(*faults: StreamFault | None) -> StreamFault | None:
    """The fault that strikes first (fewest events sent before it)."""
    given = [f for f in faults if f is not None]
    return min(given, key=lambda f: f.cut_after if f.cut_after is not None else f.stall_after or 0, default=None)
