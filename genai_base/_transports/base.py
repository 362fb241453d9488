"""The transport-neutral response and transport interfaces (no I/O here).

A transport sends one :class:`~genai_base._request.PreparedRequest` and hands
back a response with a status, :class:`~genai_base.Headers` and a body to
read, iterate or release. Every failure a transport meets is raised as the
library's own :class:`~genai_base.APIError` subclass, with the transport's
exception as ``__cause__``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, AsyncIterator, Iterator, Optional, Protocol

from .._errors import ResponseTooLargeError
from .._headers import Headers
from .._redact import redact_url
from .._request import PreparedRequest

if TYPE_CHECKING:
    import aiohttp
    import requests

__all__ = [
    "MAX_HEADER_LINE",
    "MAX_RESPONSE_HEADERS",
    "TOO_MANY_HEADERS",
    "AsyncResponse",
    "AsyncSessionFactory",
    "AsyncTransport",
    "SessionFactory",
    "SyncResponse",
    "SyncTransport",
    "remember_template",
    "too_large",
    "warn_if_unverified",
]

log = logging.getLogger("genai_base")
_warned_unverified = False

#: How many templates a transport remembers (checked, prebuilt) before it starts over.
TEMPLATES_REMEMBERED = 64


def remember_template(memo: dict[int, Any], store: object, made: Any) -> None:
    """Note ``made`` for the template storage ``store`` (``Headers.template_store``), under its id.

    ``made`` must hold ``store``: then the id names no other object while the
    entry lives. A client that makes ever more templates (a key rotated
    often) has the memo start over at :data:`TEMPLATES_REMEMBERED`.
    """
    if len(memo) >= TEMPLATES_REMEMBERED:
        memo.clear()
    memo[id(store)] = made

#: The longest response status or header line either transport accepts (http.client's own limit).
MAX_HEADER_LINE = 65536
#: The most header fields a response head may hold, on both transports: http.client refuses a 100th
#: (it counts the blank line ending the head among its 100 lines), and aiohttp is given the same limit.
MAX_RESPONSE_HEADERS = 99
#: What either transport says of a head past that limit.
TOO_MANY_HEADERS = f"more than MAX_RESPONSE_HEADERS ({MAX_RESPONSE_HEADERS}) response headers"


def warn_if_unverified(verify: Any) -> None:
    """Log once per process that TLS verification is off."""
    global _warned_unverified
    if verify is False and not _warned_unverified:
        _warned_unverified = True
        log.warning("TLS certificate verification is disabled (verify=False); connections can be intercepted")


def too_large(request: PreparedRequest, limit: int, declared: Optional[int] = None) -> ResponseTooLargeError:
    """The error for a body past ``max_response_size`` (raised before more of it is held)."""
    said = f" (it declares {declared} bytes)" if declared is not None else ""
    return ResponseTooLargeError(
        f"the response body is larger than max_response_size ({limit} bytes){said}; nothing more was read "
        f"({request.method} {redact_url(request.url)})",
        request=request,
        limit=limit,
    )


class _ResponseHead(Protocol):
    @property
    def status_code(self) -> int: ...

    @property
    def headers(self) -> Headers: ...

    @property
    def content_type(self) -> Optional[str]: ...

    @property
    def http_version(self) -> str: ...

    @property
    def url(self) -> str: ...

    @property
    def is_closed(self) -> bool: ...

    def close(self) -> None:
        """Release the connection without reading the rest of the body (idempotent)."""


class SyncResponse(_ResponseHead, Protocol):
    """A response on a blocking transport."""

    def read(self) -> bytes:
        """The whole body; the connection is released afterwards, also on error."""
        ...

    def iter_bytes(self, chunk_size: Optional[int] = None) -> Iterator[bytes]:
        """The body in chunks as they arrive; released at the end or on error."""
        ...


class AsyncResponse(_ResponseHead, Protocol):
    """A response on an asyncio transport."""

    async def read(self) -> bytes:
        """The whole body; the connection is released afterwards, also on error."""
        ...

    def iter_bytes(self, chunk_size: Optional[int] = None) -> AsyncIterator[bytes]:
        """The body in chunks as they arrive; released at the end or on error."""
        ...


class SyncTransport(Protocol):
    """Sends a prepared request and blocks for the response head."""

    def send(self, request: PreparedRequest) -> SyncResponse: ...

    def close(self) -> None: ...


class AsyncTransport(Protocol):
    """Sends a prepared request and awaits the response head."""

    async def send(self, request: PreparedRequest) -> AsyncResponse: ...

    async def close(self) -> None: ...


class SessionFactory(Protocol):
    """Makes the ``requests.Session`` a sync client sends with, from the client's settings."""

    def __call__(self, settings: Any) -> "requests.Session": ...


class AsyncSessionFactory(Protocol):
    """Makes the ``aiohttp.ClientSession`` an async client sends with (called inside the running loop)."""

    def __call__(self, settings: Any) -> "aiohttp.ClientSession": ...
