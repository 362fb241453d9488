"""The asyncio transport on ``aiohttp``: session factory, sending, bodies, error mapping, environment.

The pool: the connector holds at most ``pool_size`` connections, and the
transport hands out as many slots before it asks aiohttp for one, so the
wait for a free connection is bounded by exactly ``Timeout.pool`` and
reported as a ``PoolTimeoutError`` (aiohttp's own ``connect`` timer would
cover the pool wait and the connect together). A slot is given back when
the response is released.

aiohttp has no write timeout: a body of 64 KiB or more (and any file body)
is sent through :class:`~.aiohttp_body.TimedBody`, each wait for the server
to take more bounded by ``Timeout.write``. Bodies are read a piece at a
time against ``max_response_size`` (counted after decompression). Each
wait for a piece of a response is bounded by ``Timeout.read`` through one
timer per loop (:mod:`.aiohttp_reads`) rather than aiohttp's per-read
timers, and the default headers go out prebuilt, on the sessions
:func:`aiohttp_session_factory` makes (:mod:`.aiohttp_request`).
"""

from __future__ import annotations

import asyncio
import collections
import functools
import logging
import ssl
from typing import Any, AsyncIterator, Coroutine, Optional

import aiohttp
import aiohttp.http_exceptions
from multidict import CIMultiDict, CIMultiDictProxy

from .._errors import APIConnectionError, APIError, APITimeoutError, PoolTimeoutError, StreamInterruptedError
from .._headers import Headers
from .._headers_check import check_sent_headers
from .._options import DEFAULT_MAX_RESPONSE_SIZE, Timeout
from .._redact import redact_url
from .._request import PreparedRequest, origin_key
from .aiohttp_body import TIMED_BODY_MIN, TimedBody, WriteTimeoutError
from .aiohttp_cookies import OriginCookieJar
from .aiohttp_reads import ReadWait, ReadWatch
from .aiohttp_request import OUTGOING, hands_over, transport_session
from .base import (
    MAX_HEADER_LINE,
    MAX_RESPONSE_HEADERS,
    TOO_MANY_HEADERS,
    remember_template,
    too_large,
    warn_if_unverified,
)
from .environment import OriginEnvironment, environment_for, netrc_file, split_userinfo

__all__ = [
    "AiohttpResponse",
    "AiohttpTransport",
    "aiohttp_session_factory",
    "auto_header_skips",
    "client_timeout",
    "disable_hidden_retry",
    "map_aiohttp_error",
    "ssl_context_for",
    "unread_bytes",
]

log = logging.getLogger("genai_base")


def ssl_context_for(verify: Any, cert: Any) -> Any:
    """aiohttp's ``ssl=`` value for a requests-style ``verify`` and ``cert``."""
    warn_if_unverified(verify)
    if verify is False:
        return False
    context = ssl.create_default_context(cafile=verify if isinstance(verify, str) else None)
    if cert:
        certfile, keyfile = (cert, None) if isinstance(cert, str) else cert
        context.load_cert_chain(certfile, keyfile)
    return context


def disable_hidden_retry(session: aiohttp.ClientSession) -> bool:
    """Turn off aiohttp's silent resend of an idempotent request whose kept-alive connection dropped.

    The retry policy already covers that case, and a hidden extra attempt would
    make the two shells disagree on what was sent. aiohttp has no public switch:
    this sets its ``_retry_connection`` attribute where the installed version has
    one (a probe) and returns whether it could; without it, aiohttp may resend once.
    """
    if hasattr(session, "_retry_connection"):
        session._retry_connection = False
        return True
    log.debug("aiohttp %s has no _retry_connection switch: it may resend once on a dropped connection",
              aiohttp.__version__)
    return False


def aiohttp_session_factory(settings: Any) -> aiohttp.ClientSession:
    """An ``aiohttp.ClientSession`` with the pool size, TLS and ``trust_env`` settings (call inside the loop)."""
    ssl_context = ssl_context_for(settings["verify"], settings["cert"])
    connector = aiohttp.TCPConnector(limit=settings["pool_size"], ssl=ssl_context)
    # Redirects, timeouts and retries are the client's; the session only moves bytes. The
    # transport applies trust_env itself, once per origin (see .environment). Its requests take
    # the transport's prebuilt headers and start its read waits (see .aiohttp_request).
    session = transport_session(
        connector=connector,
        trust_env=False,
        auto_decompress=True,
        cookie_jar=OriginCookieJar(),  # each origin's cookies apart, IP hosts included
        # The same limit as the requests transport (http.client's), not aiohttp's 8190 bytes.
        max_line_size=MAX_HEADER_LINE,
        max_field_size=MAX_HEADER_LINE,
        max_headers=MAX_RESPONSE_HEADERS,  # aiohttp's own is 128: one limit for both shells
    )
    disable_hidden_retry(session)
    return session


# -- timeouts and errors -------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def client_timeout(timeout: Timeout, reads_by_aiohttp: bool = True) -> aiohttp.ClientTimeout:
    """aiohttp's timeouts for ours (cached: Timeout is immutable and hashable); the pool wait is the transport's.

    ``reads_by_aiohttp``: False when the transport's :class:`~.aiohttp_reads.ReadWatch` bounds the reads.
    """
    return aiohttp.ClientTimeout(
        total=timeout.total, connect=timeout.connect, sock_connect=timeout.connect,
        sock_read=timeout.read if reads_by_aiohttp else None,
    )


def _read_timed_out(request: PreparedRequest) -> APIError:
    """The error of a wait for the response that the transport's read watch ended."""
    return map_aiohttp_error(aiohttp.SocketTimeoutError("Timeout on reading data from socket"), request)


def map_aiohttp_error(exc: BaseException, request: PreparedRequest) -> APIError:
    """The library's exception for an ``aiohttp``/``asyncio`` one (the original as ``__cause__``)."""
    where = f"({request.method} {redact_url(request.url)})"
    error: APIError
    written = _find(exc, WriteTimeoutError)
    if written is not None:
        error = APITimeoutError(f"write timed out: {written} {where}", request=request)
    elif isinstance(exc, aiohttp.ConnectionTimeoutError):
        error = APITimeoutError(f"connect timed out {where}", request=request)
    elif isinstance(exc, aiohttp.ServerTimeoutError):
        error = APITimeoutError(f"read timed out {where}", request=request)
    elif isinstance(exc, asyncio.TimeoutError):  # aiohttp's total timer (the others raise the two above)
        total = request.timeout.total
        limit = "" if total is None else f" of {total:g}s (its share of the call's deadline, if any)"
        error = APITimeoutError(f"timed out: the attempt's total{limit} passed {where}", request=request)
    elif _find(exc, aiohttp.http_exceptions.ContentEncodingError) is not None:
        error = APIConnectionError(f"the response body could not be decoded: {_reason(exc)} {where}", request=request)
    elif isinstance(exc, (aiohttp.ClientPayloadError, aiohttp.ServerDisconnectedError)):
        error = StreamInterruptedError(f"the response was cut off: {_reason(exc)} {where}", request=request)
    elif isinstance(exc, aiohttp.ClientResponseError):  # the response parser refused what it read
        said = TOO_MANY_HEADERS if exc.message == "Too many headers received" else exc.message  # aiohttp's words
        error = APIConnectionError(f"the server sent a malformed response: {said} {where}", request=request)
    elif isinstance(exc, aiohttp.ClientConnectorError):
        try:
            os_error: Optional[BaseException] = exc.os_error
        except AttributeError:  # a certificate error on some aiohttp releases carries none
            os_error = None
        error = APIConnectionError(f"connection error: {_reason(os_error or exc)} {where}", request=request)
    else:
        error = APIConnectionError(f"connection error: {_reason(exc)} {where}", request=request)
    error.__cause__ = exc
    return error


def _find(exc: BaseException, kind: type[BaseException]) -> Optional[BaseException]:
    """``exc`` or an exception it was raised from that is a ``kind``."""
    current: Optional[BaseException] = exc
    for _ in range(16):
        if current is None or isinstance(current, kind):
            return current
        current = current.__cause__ or current.__context__
    return None


def _reason(exc: BaseException) -> str:
    if isinstance(exc, OSError) and exc.strerror:
        return f"[Errno {exc.errno}] {exc.strerror}" if exc.errno else exc.strerror
    return str(exc) or type(exc).__name__


_TRANSPORT_ERRORS = (aiohttp.ClientError, asyncio.TimeoutError, OSError, ValueError, RuntimeError)


def unread_bytes(content: Any) -> bytes:
    """Body bytes aiohttp received but did not hand over because the connection broke.

    Its ``StreamReader`` raises the payload error before returning what is
    already buffered, so the last events before a cut would be lost on this
    shell only. There is no public way to read them: this takes the reader's
    ``_buffer`` (a deque of bytes) where the installed version has one (a
    probe), and nothing otherwise.
    """
    buffer = getattr(content, "_buffer", None)
    if not isinstance(buffer, collections.deque) or not all(isinstance(part, bytes) for part in buffer):
        return b""
    received = b"".join(buffer)
    buffer.clear()
    return received


# -- the pool's slots ----------------------------------------------------------------


class _Slots:
    """At most ``limit`` connections in use; callers past it wait in order for one to be released."""

    __slots__ = ("_waiters", "free")

    def __init__(self, limit: int) -> None:
        self.free = limit
        self._waiters: collections.deque[asyncio.Future[None]] = collections.deque()

    async def wait(self, timeout: Optional[float]) -> bool:
        """Wait for a released slot (call when none is free); False once ``timeout`` passed without one."""
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(waiter, timeout)
        except asyncio.TimeoutError:
            return waiter.done() and not waiter.cancelled()  # handed over just as the timer fired
        except BaseException:
            if waiter.done() and not waiter.cancelled():
                self.release()  # cancelled after a slot was handed over: pass it on
            raise
        return True

    def release(self) -> None:
        """Give a slot back: to the longest waiter still waiting, else to the free count."""
        waiters = self._waiters
        while waiters:
            waiter = waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.free += 1


# -- responses -----------------------------------------------------------------------


class AiohttpResponse:
    """An ``aiohttp.ClientResponse`` behind the transport-neutral interface; holds a pool slot until released.

    ``limit`` bounds the (decoded) body: reading stops, and the connection is
    closed, as soon as more than that has arrived.
    """

    __slots__ = ("_headers", "_limit", "_raw", "_slots", "_watch", "content_type", "is_closed", "request",
                 "status_code")

    def __init__(
        self,
        raw: aiohttp.ClientResponse,
        request: PreparedRequest,
        slots: _Slots,
        limit: Optional[int] = DEFAULT_MAX_RESPONSE_SIZE,
        watch: Optional[ReadWatch] = None,
    ) -> None:
        self._raw = raw
        #: What bounds each wait for a piece of the body (``None``: aiohttp's ``sock_read``).
        self._watch = watch if request.timeout.read is not None else None
        self.request = request
        self.status_code: int = raw.status
        self._headers: Optional[Headers] = None
        #: The ``Content-Type`` header, if any.
        self.content_type: Optional[str] = raw.headers.get("Content-Type")
        self._slots = slots
        self._limit = limit
        self.is_closed = False

    @property
    def headers(self) -> Headers:
        """The response headers (repeated ones kept)."""
        if self._headers is None:
            self._headers = Headers.from_pairs(self._raw.headers.items())
        return self._headers

    @property
    def http_version(self) -> str:
        """``HTTP/1.1`` and the like."""
        version = self._raw.version
        return "HTTP/1.1" if version is None else f"HTTP/{version.major}.{version.minor}"

    @property
    def url(self) -> str:
        """The URL this response came from."""
        return self.request.url

    async def read(self, wait: Optional[ReadWait] = None) -> bytes:
        """The whole body, then the connection is released (``wait``: the read wait to use again)."""
        if self.is_closed:
            raise StreamInterruptedError("the response was closed before its body was read", request=self.request)
        raw, limit, watch = self._raw, self._limit, self._watch
        try:
            if limit is None and watch is None:
                return await raw.read()
            length = raw.content_length
            if length is not None and "Content-Encoding" not in raw.headers:  # no decoding can grow it
                if limit is not None and length > limit:
                    raise too_large(self.request, limit, declared=length)
                if watch is None:
                    return await raw.read()  # a known length within the bound: read at once
                if raw.content.is_eof():  # all of it is here already: no wait
                    return await raw.read()
                if length <= _ONE_PIECE:  # a small body: one wait for all of it
                    if wait is None:
                        wait = ReadWait(self.request.timeout.read or 0.0)
                        wait.task = asyncio.current_task()
                    watch.arm(wait)
                    try:
                        return await raw.read()
                    except asyncio.CancelledError:
                        if watch.timed_out(wait):
                            raise _read_timed_out(self.request) from None
                        raise
                    finally:
                        watch.end(wait)
            return b"".join([piece async for piece in _Chunks(self, None)])
        except _TRANSPORT_ERRORS as exc:
            self._release(broken=True)
            raise map_aiohttp_error(exc, self.request) from exc
        except BaseException:
            self._release(broken=True)  # cancelled, timed out or too large: never hand a half-read connection back
            raise
        finally:
            self._release()

    def iter_bytes(self, chunk_size: Optional[int] = None) -> AsyncIterator[bytes]:
        """The body in chunks as they arrive (an iterator, not a generator: nothing to finalize)."""
        if self.is_closed:
            raise StreamInterruptedError("the response was closed before its body was read", request=self.request)
        return _Chunks(self, chunk_size)

    def close(self) -> None:
        """Release the connection without reading the rest (idempotent)."""
        self._release(broken=not self._raw.content.at_eof())

    def _release(self, broken: bool = False) -> None:
        if not self.is_closed:
            self.is_closed = True
            if broken:
                self._raw.close()
            else:
                self._raw.release()
            slots = self._slots
            if slots._waiters:
                slots.release()
            else:
                slots.free += 1


class _Chunks:
    """The body of an :class:`AiohttpResponse` in chunks as they arrive; released at the end or on error."""

    __slots__ = ("_pending", "_response", "_seen", "_size", "_wait")

    def __init__(self, response: AiohttpResponse, size: Optional[int]) -> None:
        self._response = response
        self._size = size
        self._wait: Optional[ReadWait] = None  # made on the first read, when a read watch bounds them
        self._seen = 0  # bytes handed over so far, against max_response_size
        #: The break to raise once the bytes that arrived before it were handed over.
        self._pending: Optional[APIError] = None

    def __aiter__(self) -> "_Chunks":
        return self

    async def __anext__(self) -> bytes:
        pending = self._pending
        if pending is not None:
            self._pending = None
            raise pending
        response = self._response
        if response.is_closed:
            raise StopAsyncIteration
        content = response._raw.content
        watch, wait = response._watch, self._wait
        if watch is not None:
            if wait is None:
                wait = self._wait = ReadWait(response.request.timeout.read or 0.0)
            wait.task = asyncio.current_task()  # (a stream may be read on from another task)
            watch.arm(wait)
        try:
            chunk = await (content.read(self._size) if self._size else content.readany())
        except _TRANSPORT_ERRORS as exc:
            received = unread_bytes(content)  # what arrived before the break, as the sync shell hands it over
            response._release(broken=True)
            error = map_aiohttp_error(exc, response.request)
            if received:
                error.__cause__ = exc
                self._pending = error
                return received
            raise error from exc
        except asyncio.CancelledError:
            response._release(broken=True)  # never hand a half-read connection back to the pool
            if wait is not None and watch is not None and watch.timed_out(wait):
                raise _read_timed_out(response.request) from None
            raise
        except BaseException:
            response._release(broken=True)
            raise
        finally:
            if wait is not None and watch is not None:
                watch.end(wait)
        if not chunk:
            response._release()
            raise StopAsyncIteration
        self._seen += len(chunk)
        limit = response._limit
        if limit is not None and self._seen > limit:
            response._release(broken=True)  # the rest stays unread: the connection cannot be reused
            raise too_large(response.request, limit)
        return chunk


# -- sending -------------------------------------------------------------------------


#: A body of a known length up to this is read with one wait for all of it; a longer one (or one of an
#: unknown length) a piece at a time, each piece within ``Timeout.read``, as aiohttp's ``sock_read`` would.
_ONE_PIECE = TIMED_BODY_MIN

# aiohttp adds these when a request has none (a Content-Type to every POST, PUT and PATCH, and to any body).
_AUTO_HEADERS = ("Accept", "User-Agent", "Content-Type")
_TYPED_METHODS = frozenset({"POST", "PUT", "PATCH"})


def auto_header_skips(headers: Any, method: str, has_body: bool) -> Optional[tuple[str, ...]]:
    """The headers aiohttp would add that this request leaves out on purpose (``None``: none).

    The library sends its own Accept, User-Agent and (with a body) Content-Type;
    one missing was omitted by the caller, or the request has no body. Passed
    per request: a session-wide ``skip_auto_headers`` costs every request a
    copy of its headers inside aiohttp.
    """
    missing = tuple(name for name in _AUTO_HEADERS if name not in headers)  # case-insensitive mappings
    if missing and missing[-1] == "Content-Type" and not has_body and method not in _TYPED_METHODS:
        missing = missing[:-1]  # aiohttp adds none here
    return missing or None


def _body(request: PreparedRequest) -> Any:
    """What aiohttp is given to send: big bodies and files go through the write timeout."""
    content = request.content
    if request.body_start is not None:  # a file: read in a thread, never closed (a retry rewinds it)
        return TimedBody(content, request.timeout.write)
    if type(content) is bytes and len(content) >= TIMED_BODY_MIN:
        return TimedBody(content, request.timeout.write)
    return content


class AiohttpTransport:
    """Sends prepared requests on one ``aiohttp.ClientSession``, bound to the loop it was made in."""

    def __init__(self, session: aiohttp.ClientSession, settings: Any) -> None:
        self.session = session
        self._settings = settings
        #: Whether the session's requests take what ``_open`` hands over (see .aiohttp_request).
        self._hands_over = hands_over(session)
        #: Bounds each wait for a piece of a response (``None``: aiohttp's ``sock_read`` does).
        self._watch = ReadWatch() if self._hands_over else None
        #: The bound on every response body read (``None``: no bound).
        self.max_response_size: Optional[int] = settings.get("max_response_size", DEFAULT_MAX_RESPONSE_SIZE)
        self._slots = _Slots(settings["pool_size"] or 1_000_000)
        self._env_by_origin: dict[str, OriginEnvironment] = {}
        self._last_origin: tuple[str, OriginEnvironment] = ("\x00", OriginEnvironment())
        self._timeouts: tuple[Optional[Timeout], Any] = (None, None)
        # aiohttp turns a dict of headers into a CIMultiDict on every request: a template's headers
        # (Headers.template_store) are checked and made into one once, with what aiohttp must not add
        # to a request without a body (a GET, say) and to one with a body or a POST; most requests
        # carry a template's headers as they are (the client's defaults, an SDK's as they are now).
        self._prebuilt: dict[int, tuple[object, CIMultiDictProxy[str], tuple[Optional[tuple[str, ...]], ...]]] = {}

    # ``send`` and ``exchange`` hand out the coroutine of ``_open`` itself: no frame of their own is
    # held while the request is in flight.
    def send(self, request: PreparedRequest) -> Coroutine[Any, Any, AiohttpResponse]:
        """Send ``request`` (no redirects followed); awaited, its response head."""
        return self._open(request, False)

    def exchange(self, request: PreparedRequest) -> Coroutine[Any, Any, tuple[AiohttpResponse, bytes]]:
        """Send ``request`` (no redirects followed) and read its whole body; awaited, the response and the body."""
        return self._open(request, True)

    async def _open(self, request: PreparedRequest, read: bool) -> Any:
        # One coroutine for the send and the read of an exchange: every await passes through it.
        watch = self._watch
        wait: Optional[ReadWait] = None
        handed_over = False
        sent = request.headers
        typed = request.content is not None or request.method in _TYPED_METHODS
        prebuilt: Any = None
        template_skips: Any = None
        store = sent.template_store()
        if store is not None:  # most requests: a template's headers as they are
            made = self._prebuilt.get(id(store)) or self._prebuild(sent, store)
            prebuilt, template_skips = made[1], made[2]
        else:
            check_sent_headers(sent)  # auth, policies and _prepare_request added headers after the builder
        slots = self._slots
        if slots.free > 0:
            slots.free -= 1
        elif not await slots.wait(request.timeout.pool):
            pool = request.timeout.pool
            within = "" if pool is None else f" within {pool:g}s"
            raise PoolTimeoutError(
                f"no pooled connection became free{within} ({request.method} {redact_url(request.url)})",
                request=request,
            )
        answered = False
        try:
            url = request.url
            last_prefix, env = self._last_origin
            if not url.startswith(last_prefix):  # most requests go to one origin: no need to cut it out
                env = self._env_by_origin.get(origin_key(url)) or await self._environment(url)
                self._last_origin = (origin_key(url) + "/", env)
            body = _body(request)
            proxy_headers = env.proxy_headers or None
            headers: Any
            if prebuilt is not None and not env.headers and env.proxy is None and "@" not in self._last_origin[0]:
                headers, skips = prebuilt, template_skips[typed]
            else:
                headers = sent.to_dict()
                if env.proxy is not None and "proxy-authorization" in sent and url[:6].lower() == "https:":
                    # The proxy reads it in the CONNECT; inside the tunnel it would go to the origin.
                    name = next(k for k in headers if k.lower() == "proxy-authorization")
                    credentials = headers.pop(name)
                    proxy_headers = {**(proxy_headers or {}), "Proxy-Authorization": credentials}
                if "@" in self._last_origin[0]:  # user:password@ in the URL (its origin): Basic auth
                    url, credentials = split_userinfo(url)
                    if credentials is not None and "authorization" not in sent:
                        headers["Authorization"] = credentials
                skips = auto_header_skips(sent, request.method, body is not None)
                if env.headers:  # netrc / proxy credentials for this origin, unless the request has its own
                    present = {name.lower() for name in headers}
                    for name, value in env.headers.items():
                        if name.lower() not in present:
                            headers[name] = value
            timeout = request.timeout
            if watch is not None and timeout.read is not None:
                wait = watch.prepare(timeout.read)  # started by the request class once connected
            if wait is None:
                watch = None  # no read watch for this request: aiohttp's sock_read bounds its reads
            if self._hands_over:  # the session's requests take the headers in one copy, and start the wait
                OUTGOING.set((headers if type(headers) is CIMultiDictProxy else CIMultiDict(headers), wait, watch))
                headers, handed_over = None, True
            if timeout is not self._timeouts[0]:  # the same Timeout object on most calls
                self._timeouts = (timeout, client_timeout(timeout, self._watch is None))
            # A request the watch does not bound (sent outside a task) keeps aiohttp's sock_read.
            client_timeouts = self._timeouts[1] if watch is self._watch else client_timeout(timeout)
            raw = await self.session.request(
                request.method,
                url,
                headers=headers,
                skip_auto_headers=skips,
                data=body,
                timeout=client_timeouts,
                allow_redirects=False,
                proxy=env.proxy,
                proxy_headers=proxy_headers,
            )
            answered = True
        except _TRANSPORT_ERRORS as exc:
            slots.release()
            if wait is not None and wait.expired and watch is not None and watch.timed_out(wait):
                raise _read_timed_out(request) from exc  # the watch's cancellation, turned into this on the way
            raise map_aiohttp_error(exc, request) from exc
        except asyncio.CancelledError:
            slots.release()
            if wait is not None and watch is not None and watch.timed_out(wait):
                raise _read_timed_out(request) from None
            raise
        except BaseException:
            slots.release()
            raise
        finally:
            if handed_over:
                OUTGOING.set(None)  # the task's context keeps it: nothing in it for a later request
            if wait is not None and watch is not None:
                watch.end(wait)
                if not answered:
                    wait.task = None  # failed: the error's frames keep the wait, which must not keep the task
        response = AiohttpResponse(raw, request, slots, self.max_response_size, watch)
        if not read:
            return response
        return response, await response.read(wait)

    def _prebuild(
        self, headers: Headers, store: object
    ) -> tuple[object, CIMultiDictProxy[str], tuple[Optional[tuple[str, ...]], ...]]:
        """A template's headers checked, and as aiohttp is handed them, once (see ``_prebuilt``)."""
        check_sent_headers(headers)
        made = (
            store,
            CIMultiDictProxy(CIMultiDict(headers.multi_items())),
            (auto_header_skips(headers, "GET", False), auto_header_skips(headers, "POST", True)),
        )
        remember_template(self._prebuilt, store, made)
        return made

    async def _environment(self, url: str) -> OriginEnvironment:
        """The environment's proxy and netrc credentials for ``url``'s origin, looked up once (in a thread)."""
        settings = self._settings
        if settings["trust_env"] and netrc_file() is not None:  # a file to read: not on the event loop
            env = await asyncio.to_thread(environment_for, url, settings["proxies"], settings["trust_env"])
        else:
            env = environment_for(url, settings["proxies"], settings["trust_env"])
        if len(self._env_by_origin) >= 256:  # a client calling many hosts: keep the cache bounded
            self._env_by_origin.clear()
        self._env_by_origin[origin_key(url)] = env
        return env

    async def close(self) -> None:
        """Close the session and its connections."""
        if self._watch is not None:
            self._watch.close()
        await self.session.close()
