"""``requests``/``urllib3`` exceptions in the library's words (the original kept as ``__cause__``).

urllib3 wraps its causes in ``reason`` and ``args`` and requests wraps
urllib3's: the mapping looks through the whole chain, so a write timeout or
an unsafe response line raised deep in a connection (see
:mod:`.requests_pool`) is named as what it is, not as a dropped connection.
"""

from __future__ import annotations

from typing import Iterator, Optional

import requests
import urllib3
import urllib3.exceptions

from .._errors import APIConnectionError, APIError, APITimeoutError, PoolTimeoutError, StreamInterruptedError
from .._redact import redact_url
from .._request import PreparedRequest
from .requests_pool import UnsafeResponseError, WriteTimeoutError

__all__ = ["TRANSPORT_ERRORS", "map_requests_error"]


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


#: What sending or reading on requests can raise (mapped by :func:`map_requests_error`).
TRANSPORT_ERRORS = (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError)
