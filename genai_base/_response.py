"""Response wrappers: :class:`APIResponse` (sync) and :class:`AsyncAPIResponse`.

Both share :class:`BaseAPIResponse` for what needs no I/O (status, headers,
parsing cached bytes); the subclasses only read from their transport.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import TYPE_CHECKING, Any, AsyncIterator, Generic, Iterator, Mapping, Optional, TypeVar

from ._parse import decode_text, parse_body
from ._request import PreparedRequest

if TYPE_CHECKING:
    from ._serializers import SerializerRegistry

__all__ = ["BaseAPIResponse", "APIResponse", "AsyncAPIResponse"]

T = TypeVar("T")


class BaseAPIResponse(Generic[T]):
    """Status, headers, the request that was sent, and how the body is parsed."""

    # Slots: one of these lives for every call in flight.
    __slots__ = (
        "__weakref__",
        "_cast_to",
        "_content",
        "_parsed",
        "_raw",
        "_serializers",
        "_strict",
        "elapsed",
        "headers",
        "http_request",
        "retries_taken",
        "status_code",
    )

    def __init__(
        self,
        *,
        raw: Any,
        status_code: int,
        headers: Mapping[str, str],
        http_request: PreparedRequest,
        cast_to: Any,
        serializers: "SerializerRegistry",
        strict: bool,
        retries_taken: int,
        elapsed: timedelta,
        content: Optional[bytes] = None,
    ) -> None:
        self._raw = raw
        #: The HTTP status.
        self.status_code = status_code
        #: The response headers (case-insensitive).
        self.headers = headers
        #: The request that got this response (the last attempt's, after retries and redirects).
        self.http_request = http_request
        #: The retries the call took before this response (0: the first attempt answered).
        self.retries_taken = retries_taken
        #: From sending the request to the response headers (a :class:`datetime.timedelta`).
        self.elapsed = elapsed
        self._cast_to = cast_to
        self._serializers = serializers
        self._strict = strict
        self._content = content
        self._parsed: dict[Any, Any] = {}

    @property
    def url(self) -> str:
        """The URL of the request that got this response."""
        return self.http_request.url

    @property
    def content_type(self) -> Optional[str]:
        """The ``Content-Type`` header, if any."""
        return self.headers.get("content-type")

    @property
    def is_success(self) -> bool:
        """True for a 2xx status."""
        return 200 <= self.status_code < 300

    def _parse_content(self, content: bytes, to: Any) -> Any:
        cast_to = self._cast_to if to is None else to
        if cast_to in self._parsed:
            return self._parsed[cast_to]
        parsed = parse_body(
            cast_to,
            content,
            content_type=self.content_type,
            serializers=self._serializers,
            strict=self._strict,
            response=self,
        )
        self._parsed[cast_to] = parsed
        return parsed

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{self.status_code}] {self.http_request.method} {self.http_request!r}>"


class APIResponse(BaseAPIResponse[T]):
    """A raw response on the sync client; ``parse()`` gives the typed body."""

    __slots__ = ()

    def read(self) -> bytes:
        """The whole body (read once, then cached)."""
        if self._content is None:
            try:
                self._content = self._raw.content
            finally:
                self._raw.close()
        assert self._content is not None
        return self._content

    def text(self) -> str:
        """The body decoded in its charset."""
        return decode_text(self.read(), self.content_type)

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.read())

    def iter_bytes(self, chunk_size: Optional[int] = None) -> Iterator[bytes]:
        """The body in chunks as they arrive (or the cached body if already read)."""
        if self._content is not None:
            yield self._content
            return
        try:
            yield from self._raw.iter_content(chunk_size=chunk_size)
        finally:
            self._raw.close()

    def parse(self, *, to: Any = None) -> T:
        """The body loaded as the call's ``cast_to`` (or ``to``)."""
        return self._parse_content(self.read(), to)  # type: ignore[no-any-return]

    def close(self) -> None:
        """Release the connection without reading the rest of the body."""
        self._raw.close()


class AsyncAPIResponse(BaseAPIResponse[T]):
    """A raw response on the async client; its reads are coroutines."""

    __slots__ = ()

    async def read(self) -> bytes:
        """The whole body (read once, then cached)."""
        if self._content is None:
            try:
                self._content = await self._raw.read()
            finally:
                self._raw.release()
        assert self._content is not None
        return self._content

    async def text(self) -> str:
        """The body decoded in its charset."""
        return decode_text(await self.read(), self.content_type)

    async def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(await self.read())

    async def iter_bytes(self, chunk_size: Optional[int] = None) -> AsyncIterator[bytes]:
        """The body in chunks as they arrive (or the cached body if already read)."""
        if self._content is not None:
            yield self._content
            return
        try:
            if chunk_size:
                async for chunk in self._raw.content.iter_chunked(chunk_size):
                    yield chunk
            else:
                async for chunk in self._raw.content.iter_any():
                    yield chunk
        finally:
            self._raw.release()

    async def parse(self, *, to: Any = None) -> T:
        """The body loaded as the call's ``cast_to`` (or ``to``)."""
        return self._parse_content(await self.read(), to)  # type: ignore[no-any-return]

    async def close(self) -> None:
        """Release the connection without reading the rest of the body."""
        self._raw.close()
