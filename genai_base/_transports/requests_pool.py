"""What sits under ``requests``: urllib3's pools and connections, tuned for the client's guarantees.

``requests`` passes a ``(connect, read)`` timeout and nothing else down to
urllib3, and http.client reads a response the way it always has. The
classes here, used by :class:`BlockingPoolAdapter` (the built-in session
factory's adapter), add what the library promises on top, through urllib3's
extension points (``pool_classes_by_scheme``, a pool's ``ConnectionCls``, a
connection's ``response_class``):

- the pool wait is bounded by the attempt's ``Timeout.pool``;
- an upload is bounded by ``Timeout.write``: each ``send`` of the request
  waits at most that long for the server to take more, and a stalled upload
  fails as a write timeout, not as a dropped connection;
- an informational response (``102 Processing``, ``103 Early Hints``) before
  the final one is skipped, as aiohttp does (http.client skips only ``100``);
- a response line holding a bare CR or a NUL is refused (http.client's
  header parser would split a header at a bare CR, letting a value inject
  another header), a line is at most :data:`MAX_HEADER_LINE` bytes and a head
  holds at most :data:`MAX_RESPONSE_HEADERS` headers, the limits the aiohttp
  transport is given.

The attempt's timeouts reach the pool and the connection in a context
variable: ``requests`` has no way to pass them through ``Session.send``.
A session from another factory (without this adapter) sends as plain
``requests`` does; the transport still refuses a stray ``1xx`` it is handed.
"""

from __future__ import annotations

import http.client
from contextvars import ContextVar
from typing import Any, Optional, cast

import urllib3
import urllib3.connection
from requests.adapters import HTTPAdapter

from .._options import Timeout
from .base import MAX_HEADER_LINE, MAX_RESPONSE_HEADERS, TOO_MANY_HEADERS

__all__ = [
    "MAX_HEADER_LINE",
    "BlockingPoolAdapter",
    "UnsafeResponseError",
    "WriteTimeoutError",
    "attempt_timeout",
    "current_attempt_timeout",
    "guarded_response_supported",
    "proxy_authorization",
]

_DEFAULT_POOL_TIMEOUT = 60.0  # DEFAULT_TIMEOUT.pool, for a session used outside a client call
attempt_timeout: ContextVar[Optional[Timeout]] = ContextVar("genai_base_attempt_timeout", default=None)
#: A caller's ``Proxy-Authorization`` for the CONNECT of the HTTPS request being sent through a proxy.
proxy_authorization: ContextVar[Optional[str]] = ContextVar("genai_base_proxy_authorization", default=None)
_AUTHORIZED_PROXIES = 16  # proxy managers kept per adapter for caller-set proxy credentials


def current_attempt_timeout() -> Optional[Timeout]:
    """The timeouts of the attempt this thread is sending, if any."""
    return attempt_timeout.get()


class WriteTimeoutError(TimeoutError):
    """The server took no more of the request body within ``Timeout.write``."""


class UnsafeResponseError(http.client.HTTPException):
    """A response line the transport refuses to parse (a bare CR, a NUL, too long)."""


# -- the response head: informational responses, unsafe lines --------------------------------


class _HeaderLines:
    """The response's file while http.client reads the status and header lines: each line checked."""

    __slots__ = ("_lines", "_raw")

    def __init__(self, raw: Any) -> None:
        self._raw = raw
        self._lines = 0  # of the head being read: its status line, then its header lines

    def readline(self, limit: int = -1) -> bytes:
        line: bytes = self._raw.readline(limit)
        text = line[:-2] if line.endswith(b"\r\n") else line[:-1] if line.endswith(b"\n") else line
        if b"\r" in text or b"\x00" in text:
            what = "a bare CR" if b"\r" in text else "a NUL"
            raise UnsafeResponseError(f"the server sent a response header line with {what} in it")
        if len(text) > MAX_HEADER_LINE:
            raise UnsafeResponseError(f"the server sent a response header line longer than {MAX_HEADER_LINE} bytes")
        if not text:
            self._lines = 0  # the blank line ending a head (an informational response's, or the final one's)
        else:
            self._lines += 1
            if self._lines > MAX_RESPONSE_HEADERS + 1:
                raise UnsafeResponseError(TOO_MANY_HEADERS)
        return line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)


class _GuardedResponse(http.client.HTTPResponse):
    """http.client's response, reading past informational responses and checking every head line."""

    def begin(self) -> None:
        if self.headers is not None:  # already begun (http.client's own guard)
            return
        raw = self.fp
        guard = _HeaderLines(raw)
        self.fp = cast(Any, guard)  # a reader over the socket's file that checks every head line
        try:
            super().begin()
            # 101 ends HTTP on this connection; 100 is skipped by http.client itself.
            while 100 < self.status < 200 and self.status != 101:
                self.headers = self.msg = cast(Any, None)  # lets begin() read the next head
                super().begin()
        finally:
            if self.fp is guard:
                self.fp = raw


def guarded_response_supported() -> bool:
    """Probe: does http.client's response read its head through ``begin`` with ``fp`` and ``headers``?"""
    return (
        callable(getattr(http.client.HTTPResponse, "begin", None))
        and getattr(urllib3.connection.HTTPConnection, "response_class", None) is http.client.HTTPResponse
    )


_GUARDED = guarded_response_supported()


# -- the connection: the write timeout ------------------------------------------------------------

_UNSET: Any = object()


class _WriteTimeoutMixin:
    """Sends a request with the attempt's ``Timeout.write`` as the socket timeout (connect keeps its own)."""

    sock: Any
    timeout: Any
    _genai_write: Any = _UNSET

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        write = self._genai_write
        if write is not _UNSET and self.sock is not None:
            self.sock.settimeout(write)

    def request(self, *args: Any, **kwargs: Any) -> None:
        timeout = attempt_timeout.get()
        if timeout is None:  # a session used outside a client call: urllib3's own behaviour
            super().request(*args, **kwargs)  # type: ignore[misc]
            return
        write = timeout.write
        connect_timeout = self.timeout
        self._genai_write = write
        if self.sock is not None:
            self.timeout = write  # a kept-alive connection: urllib3 sets this on the socket first
        try:
            super().request(*args, **kwargs)  # type: ignore[misc]
        except TimeoutError as exc:
            if isinstance(exc, WriteTimeoutError):
                raise
            limit = "" if write is None else f" within {write:g}s"
            raise WriteTimeoutError(f"the server took no more of the request body{limit}") from exc
        finally:
            self._genai_write = _UNSET
            self.timeout = connect_timeout


_CONNECTION_CLASSES: dict[type, type] = {}


def _guarded_connection(cls: type) -> type:
    """``cls`` (a urllib3 connection class) with the write timeout and, if the probe holds, the guarded response."""
    made = _CONNECTION_CLASSES.get(cls)
    if made is None:
        namespace: dict[str, Any] = {"__module__": __name__}
        if _GUARDED:
            namespace["response_class"] = _GuardedResponse
        made = type(cls.__name__, (_WriteTimeoutMixin, cls), namespace)
        _CONNECTION_CLASSES[cls] = made
    return made


# -- the pool ---------------------------------------------------------------------------------------


class _PoolTimeoutMixin:
    """Gives ``urlopen`` the attempt's pool timeout when the caller (requests) passes none."""

    def urlopen(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if len(args) < 7 and kwargs.get("pool_timeout") is None:  # pool_timeout is urlopen's 9th parameter
            timeout = attempt_timeout.get()
            kwargs["pool_timeout"] = _DEFAULT_POOL_TIMEOUT if timeout is None else timeout.pool
        return super().urlopen(method, url, *args, **kwargs)  # type: ignore[misc]


_TIMED_POOL_CLASSES: dict[type, type] = {}


def _with_pool_timeout(manager: Any) -> Any:
    """Make ``manager`` (a urllib3 PoolManager or ProxyManager) build the library's pools and connections."""
    classes = {}
    for scheme, cls in manager.pool_classes_by_scheme.items():
        if not issubclass(cls, _PoolTimeoutMixin):
            timed = _TIMED_POOL_CLASSES.get(cls)
            if timed is None:
                namespace = {"__module__": __name__, "ConnectionCls": _guarded_connection(cls.ConnectionCls)}
                timed = type(cls.__name__, (_PoolTimeoutMixin, cls), namespace)
                _TIMED_POOL_CLASSES[cls] = timed
            cls = timed
        classes[scheme] = cls
    manager.pool_classes_by_scheme = classes
    return manager


class BlockingPoolAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose pools hold at most ``pool_maxsize`` connections and wait for a free one.

    The wait is bounded by the attempt's ``Timeout.pool``; past it urllib3
    raises ``EmptyPoolError`` (the client's ``PoolTimeoutError``). Its
    connections honour ``Timeout.write`` and read response heads safely (see
    the module's docstring).
    """

    def __init__(self, pool_connections: int = 10, pool_maxsize: int = 10, max_retries: Any = 0) -> None:
        self._sizes = (pool_connections, pool_maxsize)
        self._authorized: dict[tuple[str, str], urllib3.ProxyManager] = {}
        super().__init__(
            pool_connections=pool_connections, pool_maxsize=pool_maxsize, max_retries=max_retries, pool_block=True
        )

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _with_pool_timeout(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> urllib3.ProxyManager:
        credentials = proxy_authorization.get()
        if credentials is None or proxy.lower().startswith("socks"):
            return _with_pool_timeout(super().proxy_manager_for(proxy, **proxy_kwargs))  # type: ignore[no-any-return]
        # A caller's Proxy-Authorization goes in the CONNECT: a manager (and pools) for those credentials.
        key = (proxy, credentials)
        manager = self._authorized.get(key)
        if manager is None:
            headers = {**self.proxy_headers(proxy), "Proxy-Authorization": credentials}
            pools, size = self._sizes
            manager = urllib3.proxy_from_url(
                proxy, proxy_headers=headers, num_pools=pools, maxsize=size, block=True, **proxy_kwargs
            )
            _with_pool_timeout(manager)
            if len(self._authorized) >= _AUTHORIZED_PROXIES:
                self._close_authorized()
            self._authorized[key] = manager
        return manager

    def _close_authorized(self) -> None:
        for manager in self._authorized.values():
            manager.clear()
        self._authorized.clear()

    def close(self) -> None:
        super().close()
        self._close_authorized()
