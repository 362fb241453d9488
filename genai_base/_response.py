"""Response wrappers: :class:`APIResponse` (sync) and :class:`AsyncAPIResponse`.

Both share :class:`BaseAPIResponse` for what needs no I/O (status, headers,
parsing cached bytes); the subclasses read through the transport-neutral
response interface (:mod:`genai_base._transports.base`), never a
``requests`` or ``aiohttp`` object.
"""

from __future__ import annotations

import codecs
import os
from datetime import timedelta
from typing import TYPE_CHECKING, Any, AsyncIterator, Callable, Generic, Iterator, Optional, TypeVar, Union, overload

from ._headers import Headers
from ._parse import charset_of, decode_text, load_json, parse_body, text_charset
from ._request import PreparedRequest

if TYPE_CHECKING:
    from typing_extensions import TypeForm

    from ._serializers import SerializerRegistry
    from ._transports.base import AsyncResponse, SyncResponse

__all__ = ["BaseAPIResponse", "APIResponse", "AsyncAPIResponse"]

T = TypeVar("T")
_To = TypeVar("_To")
PathLike = Union[str, "os.PathLike[str]"]


class BaseAPIResponse(Generic[T]):
    """Status, headers, the request that was sent, and how the body is parsed."""

    #: Tells the parser that ``cast_to=APIResponse[T]`` asks for this wrapper.
    _raw_response_marker = True

    # Slots: one of these lives for every call in flight.
    __slots__ = (
        "__weakref__",
        "_call_id",  # set by the engine on a streamed response when hooks listen (read with getattr)
        "_cast_to",
        "_content",
        "_parsed",
        "_post_parser",
        "_raw",
        "_serializers",
        "_stream_factory",
        "_strict",
        "elapsed",
        "http_request",
        "retries_taken",
        "status_code",
    )

    def __init__(
        self,
        *,
        raw: Any,
        http_request: PreparedRequest,
        cast_to: Any,
        serializers: "SerializerRegistry",
        strict: bool,
        retries_taken: int,
        elapsed: timedelta,
        content: Optional[bytes] = None,
        post_parser: Optional[Callable[[Any], Any]] = None,
    ) -> None:
        self._raw = raw
        #: The HTTP status code.
        self.status_code: int = raw.status_code
        #: The request of the attempt that got this response (the last hop after redirects).
        self.http_request = http_request
        #: How many retries the call took before this response.
        self.retries_taken = retries_taken
        #: Time from sending the attempt to its response head.
        self.elapsed = elapsed
        self._cast_to = cast_to
        self._serializers = serializers
        self._strict = strict
        self._content = content
        self._post_parser = post_parser
        # Set for a wrapped method that streams: ``parse()`` gives its stream over this response.
        self._stream_factory: Optional[Callable[[Any], Any]] = None
        self._parsed: dict[Any, Any] = {}

    @property
    def headers(self) -> Headers:
        """The response headers (case-insensitive, repeated ones kept)."""
        headers: Headers = self._raw.headers
        return headers

    @property
    def url(self) -> str:
        """The URL of the request that got this response (the final one after redirects)."""
        return self.http_request.url

    @property
    def method(self) -> str:
        """The request's method."""
        return self.http_request.method

    @property
    def http_version(self) -> str:
        """The protocol version the server answered with (``HTTP/1.1``)."""
        version: str = self._raw.http_version
        return version

    @property
    def is_closed(self) -> bool:
        """True once the connection was released (the body read, or the response closed)."""
        return bool(self._raw.is_closed)

    @property
    def content_type(self) -> Optional[str]:
        """The ``Content-Type`` header, if any."""
        value: Optional[str] = self._raw.content_type
        return value

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
        if to is None and self._post_parser is not None:  # what the method itself would have returned
            parsed = self._post_parser(parsed)
        self._parsed[cast_to] = parsed
        return parsed

    def _decoder(self) -> "codecs.IncrementalDecoder":
        # text_charset: an unknown or unusable charset (idna, base64) decodes as UTF-8.
        return codecs.getincrementaldecoder(text_charset(charset_of(self.content_type)))(errors="replace")

    def __repr__(self) -> str:
        return f"<{type(self).__name__} [{self.status_code}] {self.http_request.method} {self.http_request!r}>"


def _lines(decoded: str, pending: str) -> tuple[list[str], str]:
    """Complete lines of ``pending + decoded`` (without their endings) and what is left over."""
    text = pending + decoded
    lines = text.splitlines(keepends=True)
    rest = ""
    if lines and not lines[-1].endswith(("\n", "\r")):
        rest = lines.pop()
    elif lines and lines[-1].endswith("\r"):
        rest = lines.pop()  # a CR may be the first half of CRLF
    return [line.rstrip("\r\n") for line in lines], rest


class APIResponse(BaseAPIResponse[T]):
    """A raw response on the sync client; ``parse()`` gives the typed body."""

    __slots__ = ()
    _raw: "SyncResponse"

    def read(self) -> bytes:
        """The whole body (read once, then cached)."""
        if self._content is None:
            self._content = self._raw.read()
        return self._content

    def text(self) -> str:
        """The body decoded in its charset."""
        return decode_text(self.read(), self.content_type)

    def json(self) -> Any:
        """The body parsed as JSON (``APIResponseValidationError`` if it is not valid JSON)."""
        return load_json(self.read(), self)

    def iter_bytes(self, chunk_size: Optional[int] = None) -> Iterator[bytes]:
        """The body in chunks as they arrive (or the cached body if already read)."""
        if self._content is not None:
            yield self._content
            return
        yield from self._raw.iter_bytes(chunk_size)

    def iter_text(self, chunk_size: Optional[int] = None) -> Iterator[str]:
        """The body as text in its charset, in chunks as they arrive."""
        decoder = self._decoder()
        for chunk in self.iter_bytes(chunk_size):
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    def iter_lines(self) -> Iterator[str]:
        """The body's lines as they arrive, without their line endings."""
        pending = ""
        for text in self.iter_text():
            lines, pending = _lines(text, pending)
            yield from lines
        if pending:
            yield pending.rstrip("\r")

    def write_to_file(self, path: PathLike) -> None:
        """Write the body to ``path`` as it arrives."""
        with open(path, "wb") as file:
            for chunk in self.iter_bytes():
                file.write(chunk)

    stream_to_file = write_to_file

    @overload
    def parse(self, *, to: None = None) -> T: ...

    @overload
    def parse(self, *, to: "TypeForm[_To]") -> _To: ...

    def parse(self, *, to: Any = None) -> Any:
        """The body loaded as the call's ``cast_to`` (or ``to``); for a streaming method, its stream."""
        if to is None and self._stream_factory is not None:
            return self._stream_factory(self)
        return self._parse_content(self.read(), to)

    def close(self) -> None:
        """Release the connection without reading the rest of the body."""
        self._raw.close()


class _Once:
    """An async iterator over one chunk (a body already read)."""

    __slots__ = ("_chunk",)

    def __init__(self, chunk: bytes) -> None:
        self._chunk: Optional[bytes] = chunk

    def __aiter__(self) -> "_Once":
        return self

    async def __anext__(self) -> bytes:
        chunk, self._chunk = self._chunk, None
        if chunk is None:
            raise StopAsyncIteration
        return chunk


class AsyncAPIResponse(BaseAPIResponse[T]):
    """A raw response on the async client; its reads are coroutines."""

    __slots__ = ()
    _raw: "AsyncResponse"

    async def read(self) -> bytes:
        """The whole body (read once, then cached)."""
        if self._content is None:
            self._content = await self._raw.read()
        return self._content

    async def text(self) -> str:
        """The body decoded in its charset."""
        return decode_text(await self.read(), self.content_type)

    async def json(self) -> Any:
        """The body parsed as JSON (``APIResponseValidationError`` if it is not valid JSON)."""
        return load_json(await self.read(), self)

    def iter_bytes(self, chunk_size: Optional[int] = None) -> AsyncIterator[bytes]:
        """The body in chunks as they arrive (or the cached body if already read)."""
        if self._content is not None:
            return _Once(self._content)
        return self._raw.iter_bytes(chunk_size)

    async def iter_text(self, chunk_size: Optional[int] = None) -> AsyncIterator[str]:
        """The body as text in its charset, in chunks as they arrive."""
        decoder = self._decoder()
        async for chunk in self.iter_bytes(chunk_size):
            text = decoder.decode(chunk)
            if text:
                yield text
        tail = decoder.decode(b"", final=True)
        if tail:
            yield tail

    async def iter_lines(self) -> AsyncIterator[str]:
        """The body's lines as they arrive, without their line endings."""
        pending = ""
        async for text in self.iter_text():
            lines, pending = _lines(text, pending)
            for line in lines:
                yield line
        if pending:
            yield pending.rstrip("\r")

    async def write_to_file(self, path: PathLike) -> None:
        """Write the body to ``path`` as it arrives."""
        with open(path, "wb") as file:
            async for chunk in self.iter_bytes():
                file.write(chunk)

    stream_to_file = write_to_file

    @overload
    async def parse(self, *, to: None = None) -> T: ...

    @overload
    async def parse(self, *, to: "TypeForm[_To]") -> _To: ...

    async def parse(self, *, to: Any = None) -> Any:
        """The body loaded as the call's ``cast_to`` (or ``to``); for a streaming method, its stream."""
        if to is None and self._stream_factory is not None:
            return self._stream_factory(self)
        return self._parse_content(await self.read(), to)

    async def close(self) -> None:
        """Release the connection without reading the rest of the body."""
        self._raw.close()
