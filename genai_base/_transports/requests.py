"""The blocking transport on ``requests``: session factory, sending, bodies, error mapping, environment.

The pool is bounded (``pool_size`` connections) and a call that finds no
free connection within ``Timeout.pool`` fails with ``PoolTimeoutError``;
uploads are bounded by ``Timeout.write`` and response heads are read safely
(see :mod:`.requests_pool`). Bodies are read here, a piece at a time, so
that ``max_response_size`` (counted after decompression) and the attempt's
``Timeout.total`` (the call's ``deadline`` is cut into it) bound them as
they arrive, a trickling body included.
"""

from __future__ import annotations

import logging
import os
import re
import threading
import time
from typing import Any, Iterator, Optional

import requests
import requests.utils
import urllib3
import urllib3.exceptions
from requests.structures import CaseInsensitiveDict

from .._errors import (
    APIConnectionError,
    APIError,
    APITimeoutError,
    PoolTimeoutError,
    StreamInterruptedError,
)
from .._headers import Headers
from .._headers_check import check_sent_headers
from .._options import DEFAULT_MAX_RESPONSE_SIZE, Timeout
from .._redact import REDACTED, redact_text, redact_url
from .._request import PreparedRequest, origin_key
from .base import too_large, warn_if_unverified
from .environment import split_userinfo
from .requests_cookies import OriginCookiePolicy
from .requests_pool import (
    BlockingPoolAdapter,
    UnsafeResponseError,
    WriteTimeoutError,
    attempt_timeout,
    current_attempt_timeout,
    proxy_authorization,
)

__all__ = [
    "BlockingPoolAdapter",
    "RequestsResponse",
    "RequestsTransport",
    "current_attempt_timeout",
    "install_urllib3_log_filter",
    "map_requests_error",
    "requests_session_factory",
    "requests_timeout",
]

log = logging.getLogger("genai_base")


def requests_timeout(timeout: Timeout) -> Optional[tuple[Optional[float], Optional[float]]]:
    """``(connect, read)`` for ``requests``, each capped by ``total``."""
    connect, read, total = timeout.connect, timeout.read, timeout.total
    if total is not None:
        connect = total if connect is None else min(connect, total)
        read = total if read is None else min(read, total)
    return None if connect is None and read is None else (connect, read)


# -- urllib3's own log lines -------------------------------------------------------


class _RedactingFilter(logging.Filter):
    """Rewrites urllib3's records with every query value and URL password redacted.

    urllib3 logs each request line at DEBUG (``"GET /v1/x?key=... HTTP/1.1" 200``);
    it cannot know which parameters carry credentials, so none of its query
    values are shown.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a record that cannot be formatted: leave it to logging
            return True
        cleaned = redact_text(_QUERY_VALUE.sub(rf"\1{REDACTED}", text))
        if cleaned != text or record.args:
            record.msg, record.args = cleaned, ()
        return True


_QUERY_VALUE = re.compile(r"([?&][^=&\s\"'?]*=)[^&#\s\"']*")
_URLLIB3_LOGGERS = ("urllib3", "urllib3.connectionpool", "urllib3.connection", "urllib3.poolmanager",
                    "urllib3.response", "urllib3.util.retry")
_LOG_FILTER = _RedactingFilter()


def install_urllib3_log_filter() -> None:
    """Put the redacting filter on urllib3's loggers (idempotent; done when this module is imported)."""
    for name in _URLLIB3_LOGGERS:
        logger = logging.getLogger(name)
        if _LOG_FILTER not in logger.filters:
            logger.addFilter(_LOG_FILTER)


install_urllib3_log_filter()


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


def _chain(exc: BaseException) -> Iterator[BaseException]:
    """``exc`` and what it wraps: urllib3 keeps causes in ``reason`` and ``args``, Python in ``__cause__``."""
    seen: set[int] = set()
    todo = [exc]
    while todo and len(seen) < 32:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        inner = getattr(current, "reason", None)
        wrapped = (current.__cause__, current.__context__, inner, *current.args)
        todo.extend(e for e in wrapped if isinstance(e, BaseException))


def _find(exc: BaseException, kind: type[BaseException]) -> Optional[BaseException]:
    return next((e for e in _chain(exc) if isinstance(e, kind)), None)


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
    elif (written := _find(exc, WriteTimeoutError)) is not None:
        error = APITimeoutError(f"write timed out: {written} {where}", request=request)
    elif (unsafe := _find(exc, UnsafeResponseError)) is not None:
        error = APIConnectionError(f"the server sent a malformed response: {unsafe} {where}", request=request)
    elif _is_read_timeout(exc):
        error = APITimeoutError(f"read timed out {where}", request=request)
    elif isinstance(exc, urllib3.exceptions.EmptyPoolError) or "Pool is empty" in str(exc):
        pool = request.timeout.pool
        within = "" if pool is None else f" within {pool:g}s"
        error = PoolTimeoutError(f"no pooled connection became free{within} {where}", request=request)
    elif isinstance(exc, requests.exceptions.ContentDecodingError) or _find(exc, urllib3.exceptions.DecodeError):
        error = APIConnectionError(f"the response body could not be decoded: {_reason(exc)} {where}", request=request)
    elif isinstance(exc, (requests.exceptions.ChunkedEncodingError, urllib3.exceptions.ProtocolError)):
        error = StreamInterruptedError(f"the response was cut off: {_reason(exc)} {where}", request=request)
    else:
        error = APIConnectionError(f"connection error: {_reason(exc)} {where}", request=request)
    error.__cause__ = exc
    return error


def _is_read_timeout(exc: BaseException) -> bool:
    # A timeout while reading the body surfaces as ConnectionError(ReadTimeoutError).
    cause = exc.args[0] if isinstance(exc, requests.exceptions.ConnectionError) and exc.args else None
    return isinstance(exc, (requests.exceptions.Timeout, urllib3.exceptions.ReadTimeoutError, TimeoutError)) or (
        isinstance(cause, urllib3.exceptions.ReadTimeoutError)
    )


_TRANSPORT_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError)

# -- responses ---------------------------------------------------------------------

_HTTP_VERSIONS = {9: "HTTP/0.9", 10: "HTTP/1.0", 11: "HTTP/1.1", 20: "HTTP/2"}
_READ_SIZE = 64 * 1024


class RequestsResponse:
    """A ``requests.Response`` behind the transport-neutral interface.

    ``limit`` bounds the (decoded) body; ``ends`` is the ``time.monotonic()``
    by which the attempt must be over (its ``Timeout.total``), checked before
    every read and given to the socket as its timeout when nearer than the
    read timeout.
    """

    __slots__ = ("_ends", "_headers", "_limit", "_raw", "is_closed", "request", "status_code")

    def __init__(
        self,
        raw: requests.Response,
        request: PreparedRequest,
        limit: Optional[int] = DEFAULT_MAX_RESPONSE_SIZE,
        ends: Optional[float] = None,
    ) -> None:
        self._raw = raw
        self.request = request
        self.status_code: int = raw.status_code
        self._headers: Optional[Headers] = None
        self._limit = limit
        self._ends = ends
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
        if self.is_closed:
            raise StreamInterruptedError("the response was closed before its body was read", request=self.request)
        try:
            if self._ends is None and self._fits():
                return self._raw.content  # a known length within the bound, no deadline: read at once
            return b"".join(self._pieces())
        except _TRANSPORT_ERRORS as exc:
            raise self._error(exc) from exc
        finally:
            self.close()

    def iter_bytes(self, chunk_size: Optional[int] = None) -> Iterator[bytes]:
        """The (decoded) body in chunks as they arrive (``chunk_size``: in pieces of that size)."""
        if self.is_closed:
            raise StreamInterruptedError("the response was closed before its body was read", request=self.request)
        try:
            if chunk_size is None:
                yield from self._pieces()
                return
            pending = b""
            for piece in self._pieces():
                pending += piece
                while len(pending) >= chunk_size:
                    yield pending[:chunk_size]
                    pending = pending[chunk_size:]
            if pending:
                yield pending
        except _TRANSPORT_ERRORS as exc:
            raise self._error(exc) from exc
        finally:
            self.close()

    def _fits(self) -> bool:
        """True when the declared length is within the bound and no decoding can grow it."""
        if self._limit is None:
            return True
        headers = self._raw.headers
        length = headers.get("content-length")
        if not length or not length.isdigit() or headers.get("content-encoding"):
            return False
        if int(length) > self._limit:
            raise too_large(self.request, self._limit, declared=int(length))
        return True

    def _pieces(self) -> Iterator[bytes]:
        """What has arrived, one socket read at a time, counted against the bound and the attempt's end."""
        stream = self._raw.raw
        read1 = stream.read1
        limit, ends = self._limit, self._ends
        size = 0
        while True:
            if ends is not None:
                self._before_read(ends)
            # read1 hands over what has arrived (urllib3 bounds what one read decompresses).
            chunk = read1(_READ_SIZE, decode_content=True)
            if not chunk:
                return
            size += len(chunk)
            if limit is not None and size > limit:
                raise too_large(self.request, limit)
            yield chunk

    def _before_read(self, ends: float) -> None:
        remaining = ends - time.monotonic()
        if remaining <= 0:
            raise self._out_of_time()
        read = self.request.timeout.read
        if read is None or remaining < read:
            # The socket's next wait may not outlast the attempt (a body that trickles in).
            sock = getattr(getattr(self._raw.raw, "connection", None), "sock", None)
            if sock is not None:
                sock.settimeout(remaining)

    def _out_of_time(self) -> APITimeoutError:
        total = self.request.timeout.total
        return APITimeoutError(
            f"timed out reading the body: the attempt's total of {total:g}s (its share of the call's deadline, "
            f"if any) passed ({self.request.method} {redact_url(self.request.url)})",
            request=self.request,
        )

    def _error(self, exc: BaseException) -> APIError:
        if self._ends is not None and time.monotonic() >= self._ends:
            error = self._out_of_time()
            error.__cause__ = exc
            return error
        return map_requests_error(exc, self.request)

    def close(self) -> None:
        """Release the connection (idempotent)."""
        if not self.is_closed:
            self.is_closed = True
            self._raw.close()


# -- sending -----------------------------------------------------------------------


class RequestsTransport:
    """Sends prepared requests on one ``requests.Session`` (shared by a client and its copies).

    ``max_response_size`` bounds every response body it reads (``None``: no bound).
    """

    def __init__(
        self, session: requests.Session, *, max_response_size: Optional[int] = DEFAULT_MAX_RESPONSE_SIZE
    ) -> None:
        self.session = session
        self.max_response_size = max_response_size
        self._env_by_origin: dict[str, dict[str, Any]] = {}
        self._env_lock = threading.Lock()
        self._pid = os.getpid()

    def send(self, request: PreparedRequest) -> RequestsResponse:
        """Send ``request`` (no redirects followed) and return its response head."""
        headers = request.headers.to_dict()
        check_sent_headers(headers)  # auth, policies and _prepare_request added headers after the builder
        timeout = request.timeout
        attempt_timeout.set(timeout)
        ends = None if timeout.total is None else time.monotonic() + timeout.total
        try:
            raw = self._send(request, headers)
        except _TRANSPORT_ERRORS as exc:
            raise map_requests_error(exc, request) from exc
        status = raw.status_code
        if 100 <= status < 200 and status != 101:
            # Only a session without the library's adapter gets here: its connection holds the rest.
            raw.raw.close()
            raw.close()
            raise APIConnectionError(
                f"the server sent an informational {status} response that this session's transport cannot skip "
                f"(a session_factory without genai_base's BlockingPoolAdapter) "
                f"({request.method} {redact_url(request.url)})",
                request=request,
            )
        return RequestsResponse(raw, request, self.max_response_size, ends)

    def _send(self, request: PreparedRequest, own: dict[str, str]) -> requests.Response:
        session = self.session
        url = request.url
        env = self._environment_for(url)
        if env["userinfo"]:  # user:password@ in the URL: Basic auth unless the request has its own
            url, credentials = split_userinfo(url)
            if credentials is not None and "authorization" not in request.headers:
                own = {**own, "Authorization": credentials}
        if env["tunnel"] is not None and "proxy-authorization" in request.headers:
            # An HTTPS origin through a proxy: the proxy reads this in the CONNECT; inside the
            # tunnel it would go to the origin.
            own = {k: v for k, v in own.items() if k.lower() != "proxy-authorization"}
            token = proxy_authorization.set(request.headers["proxy-authorization"])
        else:
            token = None
        try:
            return self._send_prepared(session, request, url, own, env)
        finally:
            if token is not None:
                proxy_authorization.reset(token)

    def _send_prepared(
        self, session: requests.Session, request: PreparedRequest, url: str, own: dict[str, str], env: dict[str, Any]
    ) -> requests.Response:
        # Prepared directly: Session.prepare_request would copy the cookie jar and look for
        # ~/.netrc on every call. The session's headers, cookies and hooks still apply; netrc
        # credentials are found once per origin. Header values were checked in send().
        auth = session.auth or env["netrc_auth"]
        prepared = requests.PreparedRequest()
        body = request.content
        if auth is None and not session.cookies and (body is None or type(body) is bytes):
            prepared.method = request.method
            prepared.url = _prepared_url(url)
            headers: CaseInsensitiveDict[Any] = CaseInsensitiveDict(session.headers)  # type: ignore[arg-type]
            headers.update(own)
            if body is not None:
                headers["Content-Length"] = str(len(body))
            elif request.method not in ("GET", "HEAD"):
                headers["Content-Length"] = "0"
            prepared.headers = headers
            prepared.body = body
            prepared.prepare_cookies(session.cookies)  # empty, but a redirect reads the jar back
            prepared.hooks = session.hooks
        else:
            has_own = any(name.lower() == "authorization" for name in own)
            prepared.prepare(
                method=request.method,
                url=url,
                headers={**session.headers, **own},
                data=body,
                cookies=session.cookies,
                hooks=session.hooks,
                auth=auth if auth and not has_own else None,
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
            proxy = requests.utils.select_proxy(url, merged["proxies"])
            if origin.startswith("http:") and not proxy:
                verify = True  # no TLS on this origin: a CA bundle path would only cost a stat() per request
            cached = {
                "send": {"proxies": merged["proxies"], "verify": verify, "cert": merged["cert"]},
                "netrc_auth": requests.utils.get_netrc_auth(url) if session.trust_env and not session.auth else None,
                # The proxy an HTTPS origin is tunnelled through, if any.
                "tunnel": proxy if proxy and origin.lower().startswith("https:") else None,
                "userinfo": "@" in origin,
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
