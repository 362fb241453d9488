"""Helpers shared by the fake server's routes: params, JSON answers, connection aborts."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Mapping
from urllib.parse import parse_qsl

from aiohttp import web
from multidict import CIMultiDict

from ._connection import abort_connection
from ._models import Reply
from ._sse import STREAM_FAULTS, StreamFault, encode_event, explicit_ids, resume_position, write_events

__all__ = [
    "REQUEST_IDS",
    "RequestIds",
    "abort_connection",
    "bad_request",
    "error_body",
    "float_param",
    "int_param",
    "json_response",
    "optional_int_param",
    "query_pairs",
    "query_params",
    "send_reply",
]


class RequestIds:
    """Thread-safe counter producing ``req_1``, ``req_2``, ..."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._value = 0

    def next(self) -> str:
        """Return the next request id."""
        with self._lock:
            self._value += 1
            return f"req_{self._value}"

    def reset(self) -> None:
        """Start counting from 1 again."""
        with self._lock:
            self._value = 0


REQUEST_IDS = web.AppKey("genai_base_request_ids", RequestIds)


def query_pairs(request: web.BaseRequest) -> list[tuple[str, str]]:
    """Decoded query pairs in order, blank values kept."""
    return parse_qsl(request.rel_url.raw_query_string, keep_blank_values=True)


def query_params(request: web.BaseRequest) -> dict[str, str]:
    """Query parameters as a dict (the last value of a repeated name wins)."""
    return dict(query_pairs(request))


def error_body(message: str, **extra: object) -> dict[str, object]:
    """The ``{"error": {"message": ...}}`` envelope used by every error answer."""
    return {"error": {"message": message, **extra}}


def json_response(data: object, *, status: int = 200, headers: Mapping[str, str] | None = None) -> web.Response:
    """A JSON answer."""
    all_headers: CIMultiDict[str] = CIMultiDict(headers or {})
    all_headers["Content-Type"] = "application/json"
    return web.Response(status=status, body=json.dumps(data).encode("utf-8"), headers=all_headers)


def bad_request(message: str) -> web.HTTPBadRequest:
    """A 400 exception carrying the JSON error envelope (raise it from a handler)."""
    return web.HTTPBadRequest(text=json.dumps(error_body(message)), content_type="application/json")


def int_param(params: Mapping[str, str], name: str, default: int, *, minimum: int = 0) -> int:
    """Read an integer parameter, answering 400 when it is malformed or too small."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(f"parameter {name!r} must be an integer, got {raw!r}") from None
    if value < minimum:
        raise bad_request(f"parameter {name!r} must be >= {minimum}, got {value}")
    return value


def optional_int_param(params: Mapping[str, str], name: str) -> int | None:
    """Read an optional non-negative integer parameter (None when absent)."""
    if params.get(name, "") == "":
        return None
    return int_param(params, name, 0)


def float_param(params: Mapping[str, str], name: str, default: float) -> float:
    """Read a non-negative float parameter, answering 400 when malformed."""
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise bad_request(f"parameter {name!r} must be a number, got {raw!r}") from None
    if not value >= 0:
        raise bad_request(f"parameter {name!r} must be >= 0, got {raw!r}")
    return value


async def send_reply(request: web.Request, reply: Reply) -> web.StreamResponse:
    """Answer ``request`` as ``reply`` describes (delays, chunks, resets, truncation)."""
    if reply.delay > 0:
        await asyncio.sleep(reply.delay)
    if reply.reset == "before_headers":
        abort_connection(request)
        # Never sent: the transport is gone, aiohttp swallows the write error.
        return web.Response(status=reply.status)

    headers: CIMultiDict[str] = CIMultiDict(reply.headers)
    content_type = reply.effective_content_type()
    if content_type is not None:
        headers["Content-Type"] = content_type
    payload = reply.payload()

    if reply.events is not None:
        return await _send_events(request, reply, headers)

    if reply.chunks is not None:
        stream = web.StreamResponse(status=reply.status, headers=headers)
        stream.enable_chunked_encoding()
        await stream.prepare(request)
        for index, chunk in enumerate(reply.chunks):
            if index and reply.chunk_delay > 0:
                await asyncio.sleep(reply.chunk_delay)
            if chunk:
                await stream.write(chunk)
        await stream.write_eof()
        return stream

    if reply.reset == "mid_body" or reply.truncate is not None:
        if reply.reset == "mid_body":
            partial = payload[: len(payload) // 2]
        else:
            partial = payload[: reply.truncate]
        stream = web.StreamResponse(status=reply.status, headers=headers)
        stream.content_length = len(payload)
        await stream.prepare(request)
        if partial:
            await stream.write(partial)
        abort_connection(request, hard=reply.reset == "mid_body")
        return stream

    return web.Response(status=reply.status, headers=headers, body=payload)


async def _send_events(request: web.Request, reply: Reply, headers: CIMultiDict[str]) -> web.StreamResponse:
    """Answer with ``reply.events`` as a stream, after ``Last-Event-ID`` if it names one of them."""
    events = list(reply.events or ())
    start = resume_position(explicit_ids(events), request.headers.get("Last-Event-ID")) if reply.resume else 0
    fault = None
    if reply.cut_after is not None or reply.stall_after is not None:
        fault = StreamFault(cut_after=reply.cut_after, stall_after=reply.stall_after)
    else:
        fault = request.app[STREAM_FAULTS].next(request.path)
    headers.setdefault("Cache-Control", "no-cache")
    stream = web.StreamResponse(status=reply.status, headers=headers)
    await stream.prepare(request)
    await write_events(request, stream, [encode_event(e) for e in events[start:]], fault=fault, delay=reply.chunk_delay)
    return stream
