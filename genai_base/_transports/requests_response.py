"""A ``requests.Response`` behind the transport-neutral response interface, its body read a piece at a time.

Reading here, rather than through ``Response.content``, is what lets
``max_response_size`` (counted after decompression) and the attempt's
``Timeout.total`` (the call's ``deadline`` is cut into it) bound a body as
it arrives, one that trickles in included.
"""

from __future__ import annotations

import time
from typing import Iterator, Optional

import requests

from .._errors import APIError, APITimeoutError, StreamInterruptedError
from .._headers import Headers
from .._options import DEFAULT_MAX_RESPONSE_SIZE
from .._redact import redact_url
from .._request import PreparedRequest
from .base import too_large
from .requests_errors import TRANSPORT_ERRORS, map_requests_error

__all__ = ["RequestsResponse"]


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
        except TRANSPORT_ERRORS as exc:
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
        except TRANSPORT_ERRORS as exc:
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
