"""The fake JSON API server: shared state, the aiohttp app, and ``FakeAPIServer``."""

from __future__ import annotations

import ssl
import threading
from collections.abc import Iterable
from types import TracebackType

from aiohttp import web
from aiohttp.typedefs import Handler

from ._models import RecordedRequest, Reply
from ._routes_basic import add_basic_routes
from ._routes_common import (
    REQUEST_IDS,
    RequestIds,
    error_body,
    json_response,
    query_pairs,
    send_reply,
)
from ._routes_paging import add_paging_routes
from ._routes_plugins import add_plugin_routes
from ._routes_sse import add_sse_routes
from ._sse import STREAM_FAULTS, StreamFault, StreamFaults
from ._thread import ServerThread

__all__ = ["FakeAPIServer", "ServerState", "build_app"]

_MAX_BODY_SIZE = 1 << 30


class _Script:
    """Replies for one path, consumed in order; the last one repeats."""

    def __init__(self, replies: list[Reply]) -> None:
        self._replies = replies
        self._position = 0

    def next(self) -> Reply:
        reply = self._replies[min(self._position, len(self._replies) - 1)]
        self._position += 1
        return reply


class _Fault:
    """Replace requests ``after + 1`` .. ``after + times`` to one path (counted from when it is set)."""

    def __init__(self, reply: Reply, after: int, times: int) -> None:
        self.reply = reply
        self.after = after
        self.times = times
        self.seen = 0

    def next(self) -> Reply | None:
        self.seen += 1
        return self.reply if self.after < self.seen <= self.after + self.times else None


class ServerState:
    """Recorded requests, scripts, faults and request ids, shared between threads."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._records: list[RecordedRequest] = []
        self._scripts: dict[str, _Script] = {}
        self._faults: dict[str, _Fault] = {}
        self.request_ids = RequestIds()
        self.stream_faults = StreamFaults()

    def record(self, request: RecordedRequest) -> None:
        """Remember one received request."""
        with self._lock:
            self._records.append(request)

    def records(self) -> list[RecordedRequest]:
        """A copy of the recorded requests, in arrival order."""
        with self._lock:
            return list(self._records)

    def set_script(self, path: str, replies: list[Reply]) -> None:
        """Install (or replace) the script of ``path``."""
        with self._lock:
            self._scripts[path] = _Script(replies)

    def set_fault(self, path: str, reply: Reply, after: int, times: int) -> None:
        """Install (or replace) the fault of ``path``."""
        with self._lock:
            self._faults[path] = _Fault(reply, after, times)

    def next_reply(self, path: str) -> Reply | None:
        """The reply that replaces the route for this request to ``path`` (a fault's, a script's), or None."""
        with self._lock:
            fault = self._faults.get(path)
            replaced = None if fault is None else fault.next()
            if replaced is not None:
                return replaced
            script = self._scripts.get(path)
            return None if script is None else script.next()

    def clear(self) -> None:
        """Forget records and scripts, and restart request ids at ``req_1``."""
        with self._lock:
            self._records.clear()
            self._scripts.clear()
            self._faults.clear()
        self.stream_faults.clear()
        self.request_ids.reset()


STATE = web.AppKey("genai_base_fake_state", ServerState)


async def _record_request(request: web.Request) -> RecordedRequest:
    """Read the whole body and describe the request."""
    body = await request.read()
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        headers[name.lower()] = value
    return RecordedRequest(
        method=request.method,
        path=request.path,
        query_string=request.rel_url.raw_query_string,
        query=query_pairs(request),
        headers=headers,
        header_items=list(request.headers.items()),
        body=body,
        url=str(request.url),
    )


@web.middleware
async def _dispatch(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record the request, then answer from a script, a built-in route, or 404."""
    state = request.app[STATE]
    state.record(await _record_request(request))
    reply = state.next_reply(request.path)
    if reply is not None:
        return await send_reply(request, reply)
    routing_error = request.match_info.http_exception
    if routing_error is not None:
        if routing_error.status == 404:
            message = f"no route for {request.path}"
        else:
            message = f"{routing_error.reason} for {request.method} {request.path}"
        return json_response(error_body(message), status=routing_error.status)
    return await handler(request)


def build_app(state: ServerState) -> web.Application:
    """Build the aiohttp application serving ``state``."""
    app = web.Application(middlewares=[_dispatch], client_max_size=_MAX_BODY_SIZE)
    app[STATE] = state
    app[REQUEST_IDS] = state.request_ids
    app[STREAM_FAULTS] = state.stream_faults
    add_basic_routes(app)
    add_paging_routes(app)
    add_sse_routes(app)
    add_plugin_routes(app)
    return app


class FakeAPIServer:
    """An embedded fake JSON API server running in a background thread.

    Use it as a context manager, or call ``start()`` / ``stop()``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        ssl_context: ssl.SSLContext | None = None,
    ) -> None:
        self._host = host
        self._scheme = "https" if ssl_context is not None else "http"
        self._state = ServerState()
        self._thread = ServerThread(lambda: build_app(self._state), host=host, port=port, ssl_context=ssl_context)

    def start(self) -> FakeAPIServer:
        """Start serving (no-op when already running); return ``self``."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving; safe to call more than once."""
        self._thread.stop()

    def __enter__(self) -> FakeAPIServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound TCP port."""
        port = self._thread.port
        if port is None:
            raise RuntimeError("the fake API server is not running")
        return port

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:PORT`` (no trailing slash)."""
        host = f"[{self._host}]" if ":" in self._host else self._host
        return f"{self._scheme}://{host}:{self.port}"

    def url_for(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return self.url + (path if path.startswith("/") else "/" + path)

    def script(self, path: str, replies: Reply | Iterable[Reply]) -> None:
        """Answer requests to exactly ``path`` with ``replies`` in order (last repeats)."""
        reply_list = [replies] if isinstance(replies, Reply) else list(replies)
        if not reply_list:
            raise ValueError("script() needs at least one Reply")
        for reply in reply_list:
            if not isinstance(reply, Reply):
                raise TypeError(f"expected Reply, got {type(reply).__name__}")
        self._state.set_script(path, reply_list)

    def fail(self, path: str, reply: Reply, *, after: int = 0, times: int = 1) -> None:
        """Answer ``reply`` instead of ``path``'s own route for ``times`` requests, once ``after`` went through.

        Counted from now: ``fail("/items/cursor", busy, after=1)`` lets the next
        request to the real route through and fails the one after it (say, the
        second page of a listing), then the route answers again.
        """
        if not isinstance(reply, Reply):
            raise TypeError(f"expected Reply, got {type(reply).__name__}")
        if after < 0 or times < 1:
            raise ValueError(f"fail() needs after >= 0 and times >= 1, got after={after}, times={times}")
        self._state.set_fault(path, reply, after, times)

    def fail_stream(
        self,
        path: str,
        *,
        cut_after: int | None = None,
        stall_after: int | None = None,
        after: int = 0,
        times: int = 1,
    ) -> None:
        """Break ``times`` event streams answered on ``path`` (the ``/sse`` route or ``Reply(events=...)``).

        ``cut_after=N`` closes the connection after N events of that answer (the body never ends);
        ``stall_after=N`` sends nothing more after N events, keeping the
        connection open until the client gives up. Counted from now, like
        :meth:`fail`: the first ``after`` streams go through untouched.
        """
        fault = StreamFault(cut_after=cut_after, stall_after=stall_after)
        if after < 0 or times < 1:
            raise ValueError(f"fail_stream() needs after >= 0 and times >= 1, got after={after}, times={times}")
        self._state.stream_faults.set(path, fault, after, times)

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received (every attempt), in order; a copy."""
        return self._state.records()

    def requests_to(self, path: str) -> list[RecordedRequest]:
        """The recorded requests whose path equals ``path``."""
        return [request for request in self._state.records() if request.path == path]

    def clear(self) -> None:
        """Forget recorded requests, scripts and faults (and restart request ids)."""
        self._state.clear()

    def __repr__(self) -> str:
        port = self._thread.port
        where = f"{self._scheme}://{self._host}:{port}" if port is not None else "stopped"
        return f"<FakeAPIServer {where}>"
