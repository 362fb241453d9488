"""Built-in server-sent events route ``/sse`` (parameters from the query string)."""

from __future__ import annotations

import json
from collections.abc import Iterator

from aiohttp import web

from ._routes_common import (
    bad_request,
    float_param,
    int_param,
    optional_int_param,
    query_params,
)
from ._sse import STREAM_FAULTS, StreamFault, earliest, write_events

__all__ = ["add_sse_routes", "event_text"]

_LINE_ENDINGS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}


def event_text(index: int, size: int = 0) -> str:
    """The ``"text"`` field of event ``index``: ``"event <index>"`` plus ``size`` x's."""
    return f"event {index}" + "x" * size


class _SSEOptions:
    """Parsed ``/sse`` query parameters."""

    def __init__(self, request: web.Request) -> None:
        params = query_params(request)
        framing = params.get("framing", "lf")
        if framing not in _LINE_ENDINGS:
            raise bad_request(f"framing must be one of {sorted(_LINE_ENDINGS)}, got {framing!r}")
        self.eol = _LINE_ENDINGS[framing]
        self.count = int_param(params, "count", 3)
        self.size = int_param(params, "size", 0)
        self.done = int_param(params, "done", 1) != 0
        self.error_at = optional_int_param(params, "error_at")
        self.cut_at = optional_int_param(params, "cut_at")
        self.stall_after = optional_int_param(params, "stall_after")
        self.delay = float_param(params, "delay_ms", 0.0) / 1000.0
        self.multiline = int_param(params, "multiline", 0) != 0
        self.comments = int_param(params, "comments", 0) != 0
        self.event = params.get("event") or None
        self.ids = int_param(params, "ids", 0) != 0
        self.retry_ms = optional_int_param(params, "retry_ms")
        self.start = self._start(request)

    def _start(self, request: web.Request) -> int:
        """The first event to send: the one after ``Last-Event-ID`` when the stream sends IDs."""
        last = request.headers.get("Last-Event-ID")
        if not self.ids or last is None:
            return 0
        try:
            index = int(last)
        except ValueError:
            raise bad_request(f"Last-Event-ID must be an event index of this stream, got {last!r}") from None
        if not 0 <= index < self.count:
            raise bad_request(f"Last-Event-ID {index} is not an event of this stream (count={self.count})")
        return index + 1

    def lines(self, *lines: str) -> bytes:
        """Join ``lines`` into one event block (ending with the blank line)."""
        return "".join(line + self.eol for line in (*lines, "")).encode("utf-8")

    def data_event(self, index: int) -> bytes:
        """The block of event ``index``."""
        lines: list[str] = []
        if self.comments:
            lines.append(": keepalive")
        if self.event is not None:
            lines.append(f"event: {self.event}")
        if self.ids:
            lines.append(f"id: {index}")
        if self.retry_ms is not None and index == self.start:
            lines.append(f"retry: {self.retry_ms}")
        text = json.dumps(event_text(index, self.size))
        if self.multiline:
            lines.append(f'data: {{"index": {index},')
            lines.append(f'data: "text": {text}}}')
        else:
            lines.append(f'data: {{"index": {index}, "text": {text}}}')
        return self.lines(*lines)

    def error_event(self, index: int) -> bytes:
        """The error block sent instead of event ``index``."""
        data = json.dumps({"error": {"message": f"boom at {index}"}})
        return self.lines("event: error", f"data: {data}")

    def blocks(self) -> Iterator[bytes]:
        """The event blocks from :attr:`start` on, made one at a time; an error event ends them."""
        for index in range(self.start, self.count):
            if self.error_at == index:
                yield self.error_event(index)
                return
            yield self.data_event(index)

    def fault(self) -> StreamFault | None:
        """``cut_at`` / ``stall_after`` (event indexes) as a fault of this answer, which may start later."""
        cut = stall = None
        if self.cut_at is not None and self.cut_at >= self.start:
            cut = StreamFault(cut_after=self.cut_at - self.start)
        if self.stall_after is not None and self.stall_after >= self.start:
            stall = StreamFault(stall_after=self.stall_after - self.start)
        return earliest(cut, stall)

    @property
    def tail(self) -> bytes:
        """``[DONE]`` after the last event, unless ``done=0`` or an error event ends the stream."""
        ends_in_error = self.error_at is not None and self.start <= self.error_at < self.count
        return self.lines("data: [DONE]") if self.done and not ends_in_error else b""


async def sse(request: web.Request) -> web.StreamResponse:
    """Stream ``count`` JSON events, written one by one as they are produced."""
    options = _SSEOptions(request)
    fault = earliest(options.fault(), request.app[STREAM_FAULTS].next(request.path))
    stream = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await stream.prepare(request)
    await write_events(request, stream, options.blocks(), fault=fault, delay=options.delay, tail=options.tail)
    return stream


def add_sse_routes(app: web.Application) -> None:
    """Register ``/sse`` (GET and POST)."""
    app.router.add_route("GET", "/sse", sse)
    app.router.add_route("POST", "/sse", sse)
