"""Per-call options: :class:`FinalRequestOptions`, :class:`Timeout`, :func:`make_request_options`."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields, replace
from typing import Any, Callable, Mapping, Optional, TypedDict, Union

from ._redact import redact_headers
from ._types import NOT_GIVEN, NotGiven, Omit, is_given

__all__ = [
    "Timeout",
    "TimeoutTypes",
    "FinalRequestOptions",
    "RequestOptions",
    "make_request_options",
    "DEFAULT_TIMEOUT",
    "DEFAULT_MAX_RETRIES",
    "DEFAULT_MAX_REDIRECTS",
    "DEFAULT_MAX_RESPONSE_SIZE",
    "FileTypes",
]

FileTypes = Any  # (filename, bytes | file, content_type) tuples, or bare bytes / file objects


@dataclass(frozen=True)
class Timeout:
    """Timeouts in seconds for each phase of one attempt; ``None`` disables a phase.

    The first argument is the default of every phase that is not named, as in
    httpx (``Timeout(60, connect=5)``: connect 5 s, read/write/pool 60 s).
    ``total`` bounds a whole attempt, its body included; it is off unless
    given. ``write`` bounds each wait for the server to take more of an
    upload. A call's ``deadline`` bounds all its attempts and waits. Every
    value is a positive finite number of seconds or ``None``: ``0``, NaN,
    infinities and booleans are refused with ``ValueError``/``TypeError``.
    """

    #: The value given first: the default of every phase not named.
    timeout: Optional[float] = None
    #: Seconds to establish the connection (TCP and TLS).
    connect: Optional[float] = None
    #: Seconds to wait for each piece of the response (headers, then each chunk of the body; on the
    #: async shell a body of a known length up to 64 KiB, read whole, is one piece).
    read: Optional[float] = None
    #: Seconds to send each piece of the request body.
    write: Optional[float] = None
    #: Seconds to wait for a free connection from the pool.
    pool: Optional[float] = None
    #: Seconds for a whole attempt, from sending to the last byte; ``None``: no such bound.
    total: Optional[float] = None

    def __init__(
        self,
        timeout: Optional[float] = None,
        *,
        connect: Optional[float] | NotGiven = NOT_GIVEN,
        read: Optional[float] | NotGiven = NOT_GIVEN,
        write: Optional[float] | NotGiven = NOT_GIVEN,
        pool: Optional[float] | NotGiven = NOT_GIVEN,
        total: Optional[float] = None,
    ) -> None:
        default = check_seconds(timeout, "timeout")

        def pick(value: Optional[float] | NotGiven, name: str) -> Optional[float]:
            return default if isinstance(value, NotGiven) else check_seconds(value, f"timeout {name}")

        object.__setattr__(self, "timeout", default)
        object.__setattr__(self, "connect", pick(connect, "connect"))
        object.__setattr__(self, "read", pick(read, "read"))
        object.__setattr__(self, "write", pick(write, "write"))
        object.__setattr__(self, "pool", pick(pool, "pool"))
        object.__setattr__(self, "total", check_seconds(total, "timeout total"))

    @classmethod
    def coerce(cls, value: "TimeoutTypes") -> "Timeout":
        """A :class:`Timeout` from a number, ``None`` or a :class:`Timeout`."""
        if isinstance(value, Timeout):
            return value
        if value is None:
            return _NO_TIMEOUT
        return cls(value)


def check_seconds(value: object, what: str) -> Optional[float]:
    """``value`` as a number of seconds: ``None``, or a positive finite number (``0``, NaN, inf refused)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{what} must be a number of seconds or None, got {type(value).__name__}")
    seconds = float(value)
    if not (seconds > 0 and math.isfinite(seconds)):
        raise ValueError(f"{what} must be a positive finite number of seconds or None, got {value!r}")
    return seconds


_NO_TIMEOUT = Timeout(None)
TimeoutTypes = Union[float, int, Timeout, None]

DEFAULT_TIMEOUT = Timeout(60.0, connect=5.0)

DEFAULT_MAX_RETRIES = 5
DEFAULT_MAX_REDIRECTS = 20
#: The most bytes of a response body (after decompression) a client holds: 256 MiB.
DEFAULT_MAX_RESPONSE_SIZE = 256 * 1024 * 1024

@dataclass(slots=True)
class FinalRequestOptions:
    """Everything one call needs: the method, URL and what to send, plus per-call settings.

    Fields left ``NOT_GIVEN`` fall back to the client's defaults.
    """

    #: The HTTP method, in any case (``"get"``, ``"POST"``).
    method: str
    #: A path joined to the client's base URL, or an absolute URL used as given.
    url: str
    #: Query parameters, merged over the URL's own query and the client's ``custom_query``.
    params: Mapping[str, object] = field(default_factory=dict)
    #: Headers of this call: they win over the client's; an :data:`omit` value removes one.
    headers: Union[Mapping[str, Union[str, Omit]], NotGiven] = NOT_GIVEN
    #: The JSON body (mappings, lists, models, dataclasses), sent through the serializer.
    json_data: Any = None
    #: Keys merged into ``json_data`` (a resource method's ``extra_body``).
    extra_json: Optional[Mapping[str, object]] = None
    #: A raw body: bytes, text, a file object or an iterator of bytes.
    content: Union[bytes, str, Any, None] = None
    #: Multipart files, ``{field: file or (name, content[, content_type[, headers]])}``.
    files: Optional[Mapping[str, FileTypes]] = None
    #: Retries for this call; ``NOT_GIVEN``: the client's.
    max_retries: Union[int, NotGiven] = NOT_GIVEN
    #: Timeouts for each attempt of this call; ``NOT_GIVEN``: the client's.
    timeout: Union[TimeoutTypes, NotGiven] = NOT_GIVEN
    #: The idempotency key of every attempt (sent when the client names an ``idempotency_header``).
    idempotency_key: Optional[str] = None
    #: Whether to follow 3xx answers; ``None``: the client's choice (yes).
    follow_redirects: Optional[bool] = None
    #: Seconds for the whole call, retries and waits included; ``NOT_GIVEN``: the client's.
    deadline: Union[float, NotGiven, None] = NOT_GIVEN
    #: Applied to the parsed result (a resource method's own post-processing).
    post_parser: Optional[Callable[[Any], Any]] = None
    #: Whether a streamed call that breaks resumes with ``Last-Event-ID``; ``None``: GET streams do.
    resumable: Optional[bool] = None

    def __post_init__(self) -> None:
        # Checked here, at the call site, so a wrong option fails before anything is sent.
        max_retries = self.max_retries
        if type(max_retries) is not int or max_retries < 0:
            if max_retries is not NOT_GIVEN:
                _check_max_retries(max_retries)
        timeout = self.timeout
        if timeout is not NOT_GIVEN and type(timeout) is not Timeout and timeout is not None:
            Timeout.coerce(timeout)  # type: ignore[arg-type]  # raises for 0, NaN, inf, a str...
        if self.deadline is not NOT_GIVEN and self.deadline is not None:
            check_seconds(self.deadline, "deadline")
        if self.follow_redirects is not None and type(self.follow_redirects) is not bool:
            raise TypeError(f"follow_redirects must be True, False or None, got {type(self.follow_redirects).__name__}")

    @classmethod
    def construct(cls, **values: Any) -> "FinalRequestOptions":
        """Alias of the constructor, for code written against Stainless-generated SDKs (``construct(...)``)."""
        return cls(**values)

    def get_max_retries(self, default: int) -> int:
        """The per-call ``max_retries`` if given, else ``default``."""
        return self.max_retries if isinstance(self.max_retries, int) else default

    def copy(self, **changes: Any) -> "FinalRequestOptions":
        """A copy with some fields replaced."""
        return replace(self, **changes)

    def __repr__(self) -> str:
        shown = []
        for f in fields(self):
            value = getattr(self, f.name)
            if value is NOT_GIVEN or value is None or value == {}:
                continue
            if f.name == "headers" and isinstance(value, Mapping):
                value = redact_headers(value)
            elif f.name in ("content", "files"):
                value = f"<{type(value).__name__}>"
            shown.append(f"{f.name}={value!r}")
        return f"FinalRequestOptions({', '.join(shown)})"


def _check_max_retries(value: object) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"max_retries must be a whole number (0 disables retries), got {type(value).__name__}")
    if value < 0:
        raise ValueError(f"max_retries must be >= 0, got {value}")


class RequestOptions(TypedDict, total=False):
    """The per-call options a resource method forwards into :class:`FinalRequestOptions`.

    Made by :func:`make_request_options`; every key is optional.

    :param headers: headers of the call (``extra_headers``).
    :param params: query parameters (``extra_query``).
    :param extra_json: keys merged into the JSON body (``extra_body``).
    :param timeout: timeouts of each attempt.
    :param idempotency_key: the idempotency key of the call.
    :param max_retries: retries for the call.
    :param follow_redirects: whether 3xx answers are followed.
    :param deadline: seconds for the whole call, retries included.
    """

    headers: Mapping[str, Union[str, Omit]]
    params: Mapping[str, object]
    extra_json: Mapping[str, object]
    timeout: TimeoutTypes
    idempotency_key: str
    max_retries: int
    follow_redirects: bool
    deadline: Optional[float]
    #: Applied to the parsed result (a resource method's own post-processing).
    post_parser: Callable[[Any], Any]
    #: Whether a streamed call resumes after a break (see :func:`make_request_options`).
    resumable: bool


def make_request_options(
    *,
    query: Optional[Mapping[str, object]] = None,
    extra_headers: Optional[Mapping[str, Union[str, Omit]]] = None,
    extra_query: Optional[Mapping[str, object]] = None,
    extra_body: Optional[Mapping[str, object]] = None,
    timeout: Union[TimeoutTypes, NotGiven] = NOT_GIVEN,
    idempotency_key: Optional[str] = None,
    max_retries: Union[int, NotGiven] = NOT_GIVEN,
    follow_redirects: Optional[bool] = None,
    deadline: Union[float, NotGiven, None] = NOT_GIVEN,
    post_parser: Optional[Callable[[Any], Any]] = None,
    resumable: Optional[bool] = None,
) -> RequestOptions:
    """Build :class:`RequestOptions` from a method's ``query`` and the usual ``extra_*`` keyword arguments.

    ``query`` is the method's own query params; ``extra_query`` is merged over it.
    ``post_parser`` is applied to the parsed result. ``resumable=True`` lets a
    streamed call of any method resume after a break (GET streams do by
    default; ``False`` turns it off for one call).
    """
    options: RequestOptions = {}
    if extra_headers is not None:
        options["headers"] = extra_headers
    if query is not None or extra_query is not None:
        options["params"] = {**(query or {}), **(extra_query or {})}
    if extra_body is not None:
        options["extra_json"] = extra_body
    if is_given(timeout):
        options["timeout"] = timeout  # type: ignore[typeddict-item]
    if idempotency_key is not None:
        options["idempotency_key"] = idempotency_key
    if is_given(max_retries):
        options["max_retries"] = max_retries  # type: ignore[typeddict-item]
    if follow_redirects is not None:
        options["follow_redirects"] = follow_redirects
    if is_given(deadline):
        options["deadline"] = deadline  # type: ignore[typeddict-item]
    if post_parser is not None:
        options["post_parser"] = post_parser
    if resumable is not None:
        if not isinstance(resumable, bool):
            raise TypeError(f"resumable must be True, False or None, got {type(resumable).__name__}")
        options["resumable"] = resumable
    return options
