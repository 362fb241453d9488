"""From :class:`FinalRequestOptions` to one transport-neutral :class:`PreparedRequest`.

URL joining, query merging and encoding, header merging and checking, and
body building (JSON, raw content, multipart bytes) happen here once per
call, with no network I/O, so both shells send the same bytes.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Union
from urllib.parse import parse_qsl, unquote, urlencode, urljoin, urlsplit

from ._headers import Headers
from ._headers_check import check_headers
from ._jsonenc import to_plain
from ._multipart import MULTIPART, boundary_of, encode_multipart, read_files
from ._options import FinalRequestOptions, Timeout
from ._querystring import Querystring
from ._redact import redact_url
from ._types import NOT_GIVEN, NotGiven, Omit

if TYPE_CHECKING:
    from ._serializers import Serializer

__all__ = [
    "PreparedRequest",
    "RequestBuilder",
    "body_start_of",
    "check_relative_path",
    "enforce_trailing_slash",
    "origin_of",
    "resolve_link",
]

RETRY_COUNT_HEADER = "x-genai-retry-count"
# A scheme at the very start makes a URL absolute; "://" later on (in a query) does not.
_ABSOLUTE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
IDEMPOTENCY_PREFIX = "genai-base-retry-"
_SENTINELS = (NotGiven, Omit)


@dataclass(slots=True, init=False)
class PreparedRequest:
    """What one attempt sends: method, full URL, headers and body, and its timeouts.

    ``content`` is the encoded body: bytes (JSON, multipart, raw bytes), a
    str, or a file object or iterable of chunks given as ``content=``.
    ``body_start`` is where a file-object body started when the request was
    built; :meth:`rewind` seeks back there before the body is sent again.
    ``form`` and ``files`` are no longer set (a multipart body is bytes in
    ``content``, its boundary in ``Content-Type``): always ``None``, kept for
    code that reads them.
    """

    #: The HTTP method, upper case.
    method: str
    #: The full URL, query string included.
    url: str
    #: Every header sent (defaults, auth, the call's own).
    headers: Headers
    #: The encoded body, or ``None``.
    content: Union[bytes, str, Any, None] = None
    #: The text fields of a multipart body, or ``None``.
    form: Optional[list[tuple[str, str]]] = None
    #: The files of a multipart body, or ``None``.
    files: Optional[list[tuple[str, Any]]] = None
    #: The timeouts of this attempt.
    timeout: Timeout = field(default_factory=Timeout)
    #: Where a file-object body started (for a resend), or ``None``.
    body_start: Optional[int] = None

    def __init__(
        self,
        method: str,
        url: str,
        headers: Union[Headers, Mapping[str, str]],
        content: Union[bytes, str, Any, None] = None,
        form: Optional[list[tuple[str, str]]] = None,
        files: Optional[list[tuple[str, Any]]] = None,
        timeout: Optional[Timeout] = None,
        body_start: Optional[int] = None,
    ) -> None:
        # Written out (not generated): one is made per attempt, and a plain mapping from a
        # component becomes a Headers here (one header type everywhere).
        self.method = method
        self.url = url
        self.headers = headers if type(headers) is Headers else Headers(headers)
        self.content = content
        self.form = form
        self.files = files
        self.timeout = _DEFAULT_TIMEOUT if timeout is None else timeout
        self.body_start = body_start

    def with_headers(self, **changes: str) -> "PreparedRequest":
        """A copy with extra or replaced headers (names as given)."""
        # A template's headers stay a template's (derived once per change): the transports then take
        # them as checked and prebuilt.
        headers = self.headers.with_items(tuple(changes.items()))
        # A direct constructor call: dataclasses.replace costs several times more per attempt.
        return PreparedRequest(
            self.method,
            self.url,
            headers,
            self.content,
            self.form,
            self.files,
            self.timeout,
            self.body_start,
        )

    @property
    def rewindable(self) -> bool:
        """True when the body can be sent again as it was: none, bytes or str, or a file sought back."""
        content = self.content
        return content is None or isinstance(content, _RESENDABLE) or self.body_start is not None

    def rewind(self) -> bool:
        """Put a file-object body back where it started, before a retry or a redirect resends it.

        Returns False, without touching anything, for a body that cannot be
        sent again (an iterator, a generator, a non-seekable stream, a closed
        file): the caller must not resend it.
        """
        if self.body_start is None:
            return self.rewindable
        try:
            self.content.seek(self.body_start)  # type: ignore[union-attr]  # a file: body_start is set
        except (OSError, ValueError):  # closed, or no longer seekable
            return False
        return True

    def not_rewindable_reason(self) -> str:
        """Why the body cannot be sent again (said in the error raised instead of a retry)."""
        return (
            f"the request body (a {type(self.content).__name__}) cannot be rewound to send it again; "
            f"pass bytes or a seekable file object to allow retries and redirects that resend it"
        )

    def __repr__(self) -> str:
        return (
            f"PreparedRequest(method={self.method!r}, url={redact_url(self.url)!r}, "
            f"headers={self.headers.redacted().to_dict()!r})"
        )


_RESENDABLE = (bytes, str, bytearray, memoryview)
_DEFAULT_TIMEOUT = Timeout()


def body_start_of(content: Any) -> Optional[int]:
    """Where a file-object body starts, when it can be sought back there; else ``None``."""
    if content is None or isinstance(content, _RESENDABLE):
        return None
    try:
        seekable = getattr(content, "seekable", None)
        if not callable(getattr(content, "seek", None)) or (callable(seekable) and not seekable()):
            return None
        return int(content.tell())
    except (OSError, ValueError, AttributeError, TypeError):  # a pipe, a closed file, a stub
        return None


def enforce_trailing_slash(url: str) -> str:
    """The base URL with exactly one trailing ``/`` on its path, so relative paths extend it.

    Raises ``ValueError`` for anything but an absolute ``http``/``https`` URL
    with a host and a valid port (``ftp://...``, ``http://host:99999/``).
    """
    if not isinstance(url, str):
        raise TypeError(f"base_url must be a str, got {type(url).__name__}")
    try:
        parts = urlsplit(url)
        port = parts.port  # raises for a port that is not a number in 0..65535
    except ValueError as exc:
        raise ValueError(f"base_url {redact_url(url)!r} is not a valid URL: {exc}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"base_url must be an absolute http(s) URL with a host, got {redact_url(url)!r}")
    if port == 0 or "\\" in url or any(c in url for c in _CONTROL):
        raise ValueError(
            f"base_url {redact_url(url)!r} is not a valid URL (port 0, a backslash or a control character)"
        )
    return url if url.endswith("/") else url + "/"


_CONTROL = frozenset(chr(c) for c in (*range(0x21), 0x7F))
_DOT_SEGMENTS = frozenset({".", ".."})


def check_relative_path(path: str) -> None:
    """Refuse a relative path with a ``.`` or ``..`` segment (also percent-encoded, ``%2e%2e``).

    Such a segment would climb out of the base URL's path, and the two
    transports normalise it differently (urllib3 keeps ``%2e``, yarl decodes
    it); refusing it keeps a path built from caller input under the base path.
    """
    end = len(path)
    for mark in "?#":
        at = path.find(mark)
        if 0 <= at < end:
            end = at
    for segment in path[:end].split("/"):
        if segment and unquote(segment) in _DOT_SEGMENTS:
            raise ValueError(
                f"the request path {path[:end]!r} has a {segment!r} segment: a relative path may not climb "
                f"out of (or move inside) the base URL's path; pass the path without it, or an absolute URL"
            )


def resolve_link(page_url: str, link: str) -> str:
    """The absolute URL a ``Location`` or next-page ``Link`` points to, from ``page_url``.

    Raises ``ValueError`` for a link the transports could read differently
    from :func:`origin_of` (a backslash, a control character), one that is not
    ``http``/``https`` or has no host, or a malformed one (a bad port, an
    unclosed IPv6 bracket). Same-origin checks compare the URL returned here.
    """
    if "\\" in link or any(c in _CONTROL for c in link.strip()):
        raise ValueError("it has a backslash or a control character, which clients read differently")
    url = urljoin(page_url, link.strip())
    scheme, host, _ = origin_of(url)  # raises ValueError for a bad port or bracket
    if scheme not in ("http", "https") or not host:
        raise ValueError("it is not an absolute http(s) URL with a host")
    return url


def origin_key(url: str) -> str:
    """``scheme://host:port`` as written in ``url``: a cheap cache key (not for security checks)."""
    end = url.find("/", url.find("//") + 2)
    return url if end < 0 else url[:end]


def origin_of(url: str) -> tuple[str, str, Optional[int]]:
    """(scheme, host, port) with default ports filled in: what 'same origin' compares."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or ""), port


def _sets_content_type(headers: Any) -> bool:
    """Whether a call's own headers set a Content-Type (kept on a request without a body)."""
    return bool(headers) and type(headers) is not NotGiven and any(
        type(value) is str and name.lower() == "content-type" for name, value in headers.items()
    )


def _merge_query(sources: Iterable[list[tuple[str, str]]]) -> list[tuple[str, str]]:
    # A later source replaces every value an earlier one had for the same key.
    merged: dict[str, list[str]] = {}
    for pairs in sources:
        fresh: dict[str, list[str]] = {}
        for key, value in pairs:
            fresh.setdefault(key, []).append(value)
        merged.update(fresh)
    return [(key, value) for key, values in merged.items() for value in values]


class RequestBuilder:
    """Builds prepared requests for one client configuration (immutable once made)."""

    def __init__(
        self,
        *,
        base_url: str,
        default_headers: Mapping[str, Union[str, Omit]],
        custom_query: Mapping[str, object],
        querystring: Querystring,
        serializer: "Serializer",
        idempotency_header: Optional[str],
    ) -> None:
        self.base_url = enforce_trailing_slash(base_url)
        self.querystring = querystring
        # Form fields next to files: arrays with brackets (``tags[]``), nesting as the client's queries.
        self._form_qs = Querystring("brackets", querystring.nested_format)
        self.serializer = serializer
        # Models inside a body are converted up front unless the serializer takes them itself.
        self._deep_convert = not getattr(serializer, "takes_models", False)
        self.idempotency_header = idempotency_header
        check_headers(default_headers, where="default header", skip=_SENTINELS)  # once per client
        # lower-cased name -> (name as given, value); Omit removes a default.
        self._headers: dict[str, tuple[str, str]] = {}
        self._merge_headers_into(self._headers, default_headers)
        # Every attempt carries its retry count; the first sends the request as built.
        self._headers[RETRY_COUNT_HEADER] = (RETRY_COUNT_HEADER, "0")
        self._template = Headers.from_store(self._headers)
        # A request without a body sends no Content-Type, unless the call sets one itself.
        self._bodyless_template = Headers.from_store({k: v for k, v in self._headers.items() if k != "content-type"})
        self._default_type = self._headers.get("content-type", ("", ""))[1]
        self._multipart_by_default = self._default_type.lower().startswith(MULTIPART)
        if not isinstance(custom_query, Mapping):
            raise TypeError(f"custom_query must be a mapping, got {type(custom_query).__name__}")
        self._custom_query = querystring.stringify_items(custom_query) if custom_query else []
        #: No custom query and no multipart default: a bodiless call needs no merging at all.
        self._plain = not self._custom_query and not self._multipart_by_default

    def with_defaults(
        self, default_headers: Mapping[str, Union[str, Omit]], custom_query: Mapping[str, object]
    ) -> "RequestBuilder":
        """A builder like this one with other default headers and query (an SDK's per-request values)."""
        return RequestBuilder(
            base_url=self.base_url,
            default_headers=default_headers,
            custom_query=custom_query,
            querystring=self.querystring,
            serializer=self.serializer,
            idempotency_header=self.idempotency_header,
        )

    @property
    def default_headers(self) -> dict[str, str]:
        """The headers every request starts with (the retry count header included)."""
        return self._template.to_dict()

    @staticmethod
    def _merge_headers_into(
        target: dict[str, tuple[str, str]], headers: Mapping[str, Union[str, Omit, NotGiven]]
    ) -> None:
        for name, value in headers.items():
            if type(value) is str:
                target[name.lower()] = (name, value)
            elif isinstance(value, Omit):
                target.pop(name.lower(), None)
            # NOT_GIVEN: left out, the default (if any) stays

    def build_url(self, url: str, params: Optional[Mapping[str, object]] = None) -> str:
        """Join ``url`` to the base URL and merge its query with custom and per-call params."""
        if not _ABSOLUTE_URL.match(url):
            if "." in url or "%" in url:
                check_relative_path(url)
            url = self.base_url + url.lstrip("/")
        if not params and not self._custom_query:
            return url
        path, _, own_query = url.partition("?")
        sources = [self._custom_query]
        if own_query:
            sources.append(parse_qsl(own_query, keep_blank_values=True))
        removed: list[str] = []
        if params:
            if not isinstance(params, Mapping):
                raise TypeError(f"params must be a mapping, got {type(params).__name__}")
            sources.append(self.querystring.stringify_items(params))
            # ``omit`` as a per-call param removes that key from the custom query and the URL's own.
            removed = [str(key) for key, value in params.items() if isinstance(value, Omit)]
        merged = _merge_query(sources)
        if removed:
            merged = [pair for pair in merged if pair[0] not in removed]
        query = urlencode(merged)
        return f"{path}?{query}" if query else path

    def build(self, options: FinalRequestOptions, timeout: Timeout) -> PreparedRequest:
        """The request for ``options``; the retry-count header is added per attempt."""
        url = options.url
        if (
            options.headers is NOT_GIVEN
            and type(options.params) is dict
            and not options.params
            and options.json_data is None
            and options.content is None
            and options.files is None
            and not options.extra_json
            and self._plain
            and url[:1] == "/"
            and "." not in url
            and "%" not in url
        ):
            # Most calls: a path under the base URL, the default headers, no body, no query.
            method = _METHODS.get(options.method)
            if method is not None and (method == "GET" or self.idempotency_header is None):
                headers = self._bodyless_template.template_copy()
                return PreparedRequest(method, self.base_url + url.lstrip("/"), headers, None, None, None, timeout)
        method = _METHODS.get(options.method) or options.method.upper()
        params = options.params
        if params or self._custom_query or _ABSOLUTE_URL.match(url):
            url = self.build_url(url, params)
        else:  # most calls: a path under the base URL, no query to merge
            if type(params) is not dict and params is not None and not isinstance(params, Mapping):
                raise TypeError(f"params must be a mapping, got {type(params).__name__}")
            if "." in url or "%" in url:
                check_relative_path(url)
            url = self.base_url + url.lstrip("/")
        request = PreparedRequest(method, url, _EMPTY, timeout=timeout)
        merged: Optional[dict[str, tuple[str, str]]] = None
        own_headers = options.headers
        needs_key = self.idempotency_header is not None and method != "GET"
        if (type(own_headers) is not NotGiven and own_headers) or needs_key:
            merged = dict(self._headers)
            if own_headers:
                check_headers(own_headers, skip=_SENTINELS)
                self._merge_headers_into(merged, own_headers)
            if needs_key:
                assert self.idempotency_header is not None
                lower = self.idempotency_header.lower()
                if lower not in merged:
                    key = options.idempotency_key or f"{IDEMPOTENCY_PREFIX}{uuid.uuid4()}"
                    merged[lower] = (self.idempotency_header, key)
            current_type = merged.get("content-type", ("", ""))[1]
            multipart = current_type.lower().startswith(MULTIPART)
        else:
            if own_headers is not None and type(own_headers) is not NotGiven and not isinstance(own_headers, Mapping):
                check_headers(own_headers)  # raises the clear TypeError
            current_type, multipart = self._default_type, self._multipart_by_default
        content_type = None
        if options.files is not None or options.json_data is not None or options.extra_json or multipart:
            content_type = self._add_body(request, options, current_type, multipart or options.files is not None)
        elif options.content is not None:  # raw content, as given
            request.content = options.content
            request.body_start = body_start_of(options.content)
        if merged is None:
            if content_type is None:  # most calls: the defaults as they are
                template = self._template if request.content is not None else self._bodyless_template
                request.headers = template.template_copy()
                return request
            merged = dict(self._headers)
        if content_type is not None:
            name = merged["content-type"][0] if "content-type" in merged else "Content-Type"
            merged["content-type"] = (name, content_type)
        elif request.content is None and "content-type" in merged and not _sets_content_type(own_headers):
            del merged["content-type"]
        request.headers = Headers.from_store(merged)
        return request

    def _add_body(
        self, request: PreparedRequest, options: FinalRequestOptions, content_type: str, multipart: bool
    ) -> Optional[str]:
        """Set the body; return the Content-Type it needs, or ``None`` to keep the merged one."""
        if options.content is not None:
            if options.json_data is not None or options.extra_json:
                raise TypeError("pass either body= (or extra_body) or content=, not both")
            if options.files is not None:
                raise TypeError("pass either files= or content=, not both")
        if request.method in ("GET", "HEAD"):
            if options.json_data is not None or options.extra_json or options.files is not None:
                raise ValueError(
                    f"a {request.method} request carries no body; pass the values as query params instead"
                )
            request.content = options.content
            request.body_start = body_start_of(options.content)
            return None
        if options.content is not None:
            request.content = options.content
            request.body_start = body_start_of(options.content)
            return None
        json_data = options.json_data
        if self._deep_convert or multipart or not isinstance(json_data, (dict, list, type(None))):
            # A Model is a JSON object too: convert first so it merges and forms like a dict.
            json_data = to_plain(json_data)
        if options.extra_json:
            if json_data is None:
                json_data = dict(options.extra_json)
            elif isinstance(json_data, Mapping):
                json_data = {**json_data, **options.extra_json}
            else:
                raise TypeError(
                    f"cannot merge extra_body into a JSON body of type {type(json_data).__name__}"
                )
        if multipart:
            if json_data is not None and not isinstance(json_data, Mapping):
                raise TypeError(
                    f"multipart bodies take a mapping of form fields, got {type(json_data).__name__}"
                )
            fields = self._form_qs.stringify_items(to_plain(json_data) if json_data else {})
            parts = read_files(options.files) if options.files is not None else []
            request.content, sent_type = encode_multipart(fields, parts, boundary_of(content_type))
            return sent_type
        if json_data is None:
            return None
        request.content = self.serializer.dumps(json_data)
        media = self.serializer.media_types[0]
        return None if media == "application/json" else media


_EMPTY = Headers()  # replaced by the builder before anyone sees it

# One string per method for every request, not a fresh upper-cased copy per call.
_METHODS = {m.lower(): m for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")}
