"""Built-in server-sent events route ``/sse`` (parameters from the query string)."""

from __future__ import annotations

import asyncio
import json

from aiohttp import web

from ._routes_common import (
    abort_connection,
    bad_request,
    float_param,
    int_param,
    optional_int_param,
    query_params,
)

__all__ = ["add_sse_routes", "event_text"]

_LINE_ENDINGS = {"lf": "\n", "crlf": "\r\n", "cr": "\r"}
_STALL_SECONDS = 60.0


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


async def sse(request: web.Request) -> web.StreamResponse:
    """Stream ``count`` JSON events, written one by one as they are produced."""
    options = _SSEOptions(request)
    stream = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"})
    await stream.prepare(request)
    for index in range(options.count + 1):
        if options.stall_after == index:
            await asyncio.sleep(_STALL_SECONDS)
        if options.cut_at == index:
            abort_connection(request)
            return stream
        if index == options.count:
            break
        if index and options.delay > 0:
            await asyncio.sleep(options.delay)
        if options.error_at == index:
            await stream.write(options.error_event(index))
            await stream.write_eof()
            return stream
        await stream.write(options.data_event(index))
    if options.done:
        await stream.write(options.lines("data: [DONE]"))
    await stream.write_eof()
    return stream


def add_sse_routes(app: web.Application) -> None:
    """Register ``/sse`` (GET and POST)."""
    app.router.add_route("GET", "/sse", sse)
    app.router.add_route("POST", "/sse", sse)
