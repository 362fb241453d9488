"""The blocking transport on ``requests``: session factory, sending, bodies, error mapping, environment.

The pool is bounded (``pool_size`` connections) and a call that finds no
free connection within ``Timeout.pool`` fails with ``PoolTimeoutError``:
the adapter's pools block (``pool_block=True``) and each pool is handed the
attempt's pool timeout through urllib3's public ``urlopen(pool_timeout=)``
(``requests`` has no way to pass it through ``Session.send``, so the
attempt's timeouts travel in a context variable).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from contextvars import ContextVar
from typing import Any, Iterator, Optional

import requests
import requests.utils
import urllib3
import urllib3.exceptions
from requests.adapters import HTTPAdapter
from requests.structures import CaseInsensitiveDict

from .._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    PoolTimeoutError,
    StreamInterruptedError,
)
from .._headers import Headers
from .._options import Timeout
from .._redact import redact_url
from .._request import PreparedRequest, origin_key
from .base import warn_if_unverified
from .requests_cookies import OriginCookiePolicy

__all__ = [
    "BlockingPoolAdapter",
    "RequestsResponse",
    "RequestsTransport",
    "map_requests_error",
    "requests_session_factory",
    "requests_timeout",
]

log = logging.getLogger("genai_base")

_DEFAULT_POOL_TIMEOUT = 60.0  # DEFAULT_TIMEOUT.pool, for a session used outside a client call
_ATTEMPT_TIMEOUT: ContextVar[Optional[Timeout]] = ContextVar("genai_base_attempt_timeout", default=None)


def current_attempt_timeout() -> Optional[Timeout]:
    """The timeouts of the attempt this thread is sending, if any."""
    return _ATTEMPT_TIMEOUT.get()


def requests_timeout(timeout: Timeout) -> Optional[tuple[Optional[float], Optional[float]]]:
    """``(connect, read)`` for ``requests``, each capped by ``total``."""
    connect, read, total = timeout.connect, timeout.read, timeout.total
    if total is not None:
        connect = total if connect is None else min(connect, total)
        read = total if read is None else min(read, total)
    return None if connect is None and read is None else (connect, read)


# -- the pool ----------------------------------------------------------------------


class _PoolTimeoutMixin:
    """Gives ``urlopen`` the attempt's pool timeout when the caller (requests) passes none."""

    def urlopen(self, method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        if len(args) < 7 and kwargs.get("pool_timeout") is None:  # pool_timeout is urlopen's 9th parameter
            timeout = _ATTEMPT_TIMEOUT.get()
            kwargs["pool_timeout"] = _DEFAULT_POOL_TIMEOUT if timeout is None else timeout.pool
        return super().urlopen(method, url, *args, **kwargs)  # type: ignore[misc]


_TIMED_POOL_CLASSES: dict[type, type] = {}


def _with_pool_timeout(manager: Any) -> Any:
    """Make ``manager`` (a urllib3 PoolManager or ProxyManager) build pools that honour the pool timeout."""
    classes = {}
    for scheme, cls in manager.pool_classes_by_scheme.items():
        if not issubclass(cls, _PoolTimeoutMixin):
            timed = _TIMED_POOL_CLASSES.get(cls)
            if timed is None:
                timed = type(cls.__name__, (_PoolTimeoutMixin, cls), {"__module__": __name__})
                _TIMED_POOL_CLASSES[cls] = timed
            cls = timed
        classes[scheme] = cls
    manager.pool_classes_by_scheme = classes
    return manager


class BlockingPoolAdapter(HTTPAdapter):
    """An ``HTTPAdapter`` whose pools hold at most ``pool_maxsize`` connections and wait for a free one.

    The wait is bounded by the attempt's ``Timeout.pool``; past it urllib3
    raises ``EmptyPoolError`` (the client's ``PoolTimeoutError``).
    """

    def __init__(self, pool_connections: int = 10, pool_maxsize: int = 10, max_retries: Any = 0) -> None:
        super().__init__(
            pool_connections=pool_connections, pool_maxsize=pool_maxsize, max_retries=max_retries, pool_block=True
        )

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        _with_pool_timeout(self.poolmanager)

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> urllib3.ProxyManager:
        return _with_pool_timeout(super().proxy_manager_for(proxy, **proxy_kwargs))  # type: ignore[no-any-return]


def requests_session_factory(settings: Any) -> requests.Session:
    """A ``requests.Session`` with the pool size, proxies, TLS and ``trust_env`` settings."""
    session = requests.Session()
    session.cookies.set_policy(OriginCookiePolicy())  # cookies go back only to the origin that set them
    adapter = BlockingPoolAdapter(pool_connections=settings["pool_keepalive"] or 1, pool_maxsize=settings["pool_size"])
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    session.trust_env = settings["trust_env"]
    session.verify = settings["verify"]
    warn_if_unverified(settings["verify"])
    if settings["cert"]:
        session.cert = settings["cert"]
    proxies = settings["proxies"]
    if proxies:
        session.proxies.update({"http": proxies, "https": proxies} if isinstance(proxies, str) else proxies)
    return session


# -- errors ------------------------------------------------------------------------


def _reason(exc: BaseException) -> str:
    """The innermost cause's own words (``[Errno 111] Connection refused``), not urllib3's wrapping."""
    seen: set[int] = set()
    current: Optional[BaseException] = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        inner = getattr(current, "reason", None)
        if not isinstance(inner, BaseException) and current.args and isinstance(current.args[0], BaseException):
            inner = current.args[0]
        if not isinstance(inner, BaseException):
            inner = current.__cause__ or current.__context__
        if inner is None:
            break
        current = inner
    if isinstance(current, urllib3.exceptions.NewConnectionError):
        # "<HTTPConnection object at 0x..>: Failed to establish a new connection: [Errno 111] ..."
        return str(current).rpartition(": ")[2] or type(current).__name__
    if isinstance(current, OSError) and current.strerror:
        return f"[Errno {current.errno}] {current.strerror}" if current.errno else current.strerror
    text = str(current) if current is not None else ""
    return text or type(current or exc).__name__


def map_requests_error(exc: BaseException, request: PreparedRequest) -> APIError:
    """The library's exception for a ``requests``/``urllib3`` one (the original as ``__cause__``)."""
    where = f"({request.method} {redact_url(request.url)})"
    error: APIError
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        error = APITimeoutError(f"connect timed out {where}", request=request)
    elif _is_read_timeout(exc):
        error = APITimeoutError(f"read timed out {where}", request=request)
    elif isinstance(exc, urllib3.exceptions.EmptyPoolError) or "Pool is empty" in str(exc):
        pool = request.timeout.pool
        within = "" if pool is None else f" within {pool:g}s"
        error = PoolTimeoutError(f"no pooled connection became free{within} {where}", request=request)
    elif isinstance(exc, (requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError)):
        error = StreamInterruptedError(f"the response was cut off: {_reason(exc)} {where}", request=request)
    elif isinstance(exc, requests.exceptions.ContentDecodingError):
        error = APIConnectionError(f"the response body could not be decoded: {_reason(exc)} {where}", request=request)
    else:
        error = APIConnectionError(f"connection error: {_reason(exc)} {where}", request=request)
    error.__cause__ = exc
    return error


def _is_read_timeout(exc: BaseException) -> bool:
    # A timeout while reading the body surfaces as ConnectionError(ReadTimeoutError).
    cause = exc.args[0] if isinstance(exc, requests.exceptions.ConnectionError) and exc.args else None
    return isinstance(exc, (requests.exceptions.Timeout, urllib3.exceptions.ReadTimeoutError, socket.timeout)) or (
        isinstance(cause, urllib3.exceptions.ReadTimeoutError)
    )


_TRANSPORT_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError)

# -- responses ---------------------------------------------------------------------

_HTTP_VERSIONS = {9: "HTTP/0.9", 10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}
_READ_SIZE = 64 * 1024


class RequestsResponse:
    """A ``requests.Response`` behind the transport-neutral interface."""

    __slots__ = ("_headers", "_raw", "is_closed", "request", "status_code")

    def __init__(self, raw: requests.Response, request: PreparedRequest) -> None:
        self._raw = raw
        self.request = request
        self.status_code: int = raw.status_code
        self._headers: Optional[Headers] = None
        self.is_closed = False

    @property
    def headers(self) -> Headers:
        """The response headers (repeated ones kept)."""
        if self._headers is None:
            self._headers = Headers.from_pairs(self._raw.raw.headers.items())
        return self._headers

    @property
    def content_type(self) -> Optional[str]:
        """The ``Content-Type`` header, if any."""
        value: Optional[str] = self._raw.headers.get("content-type")
        return value

    @property
    def http_version(self) -> str:
        """``HTTP/1.1`` and the like."""
        return _HTTP_VERSIONS.get(getattr(self._raw.raw, "version", 11), "HTTP/1.1")

    @property
    def url(self) -> str:
        """The URL this response came from."""
        return self.request.url

    def read(self) -> bytes:
        """The whole body, then the connection is released."""
        try:
            return self._raw.content
        except _TRANSPORT_ERRORS as exc:
            raise map_requests_error(exc, self.request) from exc
        finally:
            self.close()

    def iter_bytes(self, chunk_size: Optional[int] = None) -> Iterator[bytes]:
        """The (decoded) body in chunks as they arrive."""
        stream = self._raw.raw
        try:
            if chunk_size is None:
                # read1 hands over what has arrived (iter_content(None) waits for the whole body).
                while True:
                    chunk = stream.read1(_READ_SIZE, decode_content=True)
                    if not chunk:
                        return
                    yield chunk
            else:
                yield from self._raw.iter_content(chunk_size=chunk_size)
        except _TRANSPORT_ERRORS as exc:
            raise map_requests_error(exc, self.request) from exc
        finally:
            self.close()

    def close(self) -> None:
        """Release the connection (idempotent)."""
        if not self.is_closed:
            self.is_closed = True
            self._raw.close()


# -- sending -----------------------------------------------------------------------


class RequestsTransport:
    """Sends prepared requests on one ``requests.Session`` (shared by a client and its copies)."""

    def __init__(self, session: requests.Session) -> None:
        self.session = session
        self._env_by_origin: dict[str, dict[str, Any]] = {}
        self._env_lock = threading.Lock()
        self._pid = os.getpid()

    def send(self, request: PreparedRequest) -> RequestsResponse:
        """Send ``request`` (no redirects followed) and return its response head."""
        _ATTEMPT_TIMEOUT.set(request.timeout)
        try:
            raw = self._send(request)
        except _TRANSPORT_ERRORS as exc:
            raise map_requests_error(exc, request) from exc
        return RequestsResponse(raw, request)

    def _send(self, request: PreparedRequest) -> requests.Response:
        session = self.session
        env = self._environment_for(request.url)
        # Prepared directly: Session.prepare_request would copy the cookie jar and look for
        # ~/.netrc on every call. The session's headers, cookies and hooks still apply; netrc
        # credentials are found once per origin. Header values were validated by the builder.
        auth = session.auth or env["netrc_auth"]
        prepared = requests.PreparedRequest()
        body = request.content
        if auth is None and not session.cookies and (body is None or type(body) is bytes):
            prepared.method = request.method
            prepared.url = _prepared_url(request.url)
            headers: CaseInsensitiveDict[Any] = CaseInsensitiveDict(session.headers)  # type: ignore[arg-type]
            headers.update(request.headers.to_dict())
            if body is not None:
                headers["Content-Length"] = str(len(body))
            elif request.method not in ("GET", "HEAD"):
                headers["Content-Length"] = "0"
            prepared.headers = headers
            prepared.body = body
            prepared.prepare_cookies(session.cookies)  # empty, but a redirect reads the jar back
            prepared.hooks = session.hooks
        else:
            own = request.headers
            prepared.prepare(
                method=request.method,
                url=request.url,
                headers={**session.headers, **own.to_dict()},
                data=body,
                cookies=session.cookies,
                hooks=session.hooks,
                auth=auth if auth and "authorization" not in own else None,
            )
        return session.send(
            prepared, timeout=requests_timeout(request.timeout), allow_redirects=False, stream=True, **env["send"]
        )

    def _environment_for(self, url: str) -> dict[str, Any]:
        # requests merges proxies/verify/cert (and netrc) from the environment on every
        # Session.request; do it once per origin instead (same trust_env rules).
        origin = origin_key(url)
        cached = self._env_by_origin.get(origin)
        if cached is None:
            session = self.session
            # A configured CA bundle or verify=False must beat REQUESTS_CA_BUNDLE,
            # which requests would otherwise prefer over the session's setting.
            configured = None if session.verify is True else session.verify
            merged = session.merge_environment_settings(url, {}, None, configured, None)
            verify = merged["verify"]
            if origin.startswith("http:") and not requests.utils.select_proxy(url, merged["proxies"]):
                verify = True  # no TLS on this origin: a CA bundle path would only cost a stat() per request
            cached = {
                "send": {"proxies": merged["proxies"], "verify": verify, "cert": merged["cert"]},
                "netrc_auth": requests.utils.get_netrc_auth(url) if session.trust_env and not session.auth else None,
            }
            with self._env_lock:
                if len(self._env_by_origin) >= 256:  # a client calling many hosts: keep the cache bounded
                    self._env_by_origin.clear()
                self._env_by_origin[origin] = cached
        return cached

    def close(self) -> None:
        """Close the session's pools."""
        self.session.close()


_PREPARED_URLS: dict[str, str] = {}


def _prepared_url(url: str) -> str:
    """``PreparedRequest.prepare_url`` (IDNA, requoting), once per URL string."""
    found = _PREPARED_URLS.get(url)
    if found is None:
        p = requests.PreparedRequest()
        p.prepare_url(url, None)
        found = str(p.url)
        if len(_PREPARED_URLS) >= 1024:
            _PREPARED_URLS.clear()
        _PREPARED_URLS[url] = found
    return found
