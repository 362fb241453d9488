"""From :class:`FinalRequestOptions` to one transport-neutral :class:`PreparedRequest`.

URL joining, query merging and encoding, header merging and body building
happen here once per call, with no I/O, so both shells send the same thing.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Iterable, Mapping, Optional, Union
from urllib.parse import parse_qsl, urlencode, urlsplit

from ._options import FinalRequestOptions, Timeout, redact_headers
from ._querystring import Querystring
from ._types import NotGiven, Omit
from .models import to_jsonable

if TYPE_CHECKING:
    from ._serializers import Serializer

__all__ = ["PreparedRequest", "RequestBuilder", "enforce_trailing_slash", "origin_of"]

RETRY_COUNT_HEADER = "x-genai-retry-count"
# A scheme at the very start makes a URL absolute; "://" later on (in a query) does not.
_ABSOLUTE_URL = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
IDEMPOTENCY_PREFIX = "genai-base-retry-"

FileSpec = tuple[Optional[str], Any, Optional[str]]


@dataclass(slots=True)
class PreparedRequest:
    """What one attempt sends: method, full URL, headers and body, and its timeouts.

    ``content`` is the encoded body (bytes, str or a file object); a
    multipart request has ``files`` (and text ``form`` fields) instead, and
    the transport writes it with a boundary of its own.
    """

    method: str
    url: str
    headers: dict[str, str]
    content: Union[bytes, str, Any, None] = None
    form: Optional[list[tuple[str, str]]] = None
    files: Optional[list[tuple[str, FileSpec]]] = None
    timeout: Timeout = field(default_factory=Timeout)

    def with_headers(self, **changes: str) -> "PreparedRequest":
        """A copy with extra or replaced headers (names as given)."""
        # A direct constructor call: dataclasses.replace costs several times more per attempt.
        return PreparedRequest(
            self.method, self.url, {**self.headers, **changes}, self.content, self.form, self.files, self.timeout
        )

    def __repr__(self) -> str:
        return (
            f"PreparedRequest(method={self.method!r}, url={redact_url(self.url)!r}, "
            f"headers={redact_headers(self.headers)!r})"
        )


_SECRET_QUERY = frozenset({"key", "api_key", "apikey", "access_token", "token", "sig", "signature"})


def redact_url(url: str, secret: Iterable[str] = _SECRET_QUERY) -> str:
    """``url`` with credential-looking query values replaced by ``<redacted>``."""
    if "?" not in url:
        return url
    base, _, query = url.partition("?")
    names = {s.lower() for s in secret}
    pairs = [(k, "<redacted>" if k.lower() in names else v) for k, v in parse_qsl(query, keep_blank_values=True)]
    return f"{base}?{urlencode(pairs, safe='<>')}"


def enforce_trailing_slash(url: str) -> str:
    """The base URL with exactly one trailing ``/`` on its path, so relative paths extend it."""
    parts = urlsplit(url)
    if not parts.scheme or not parts.netloc:
        raise ValueError(f"base_url must be an absolute http(s) URL, got {url!r}")
    return url if url.endswith("/") else url + "/"


def origin_key(url: str) -> str:
    """``scheme://host:port`` as written in ``url``: a cheap cache key (not for security checks)."""
    end = url.find("/", url.find("//") + 2)
    return url if end < 0 else url[:end]


def origin_of(url: str) -> tuple[str, str, Optional[int]]:
    """(scheme, host, port) with default ports filled in: what 'same origin' compares."""
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or ""), port


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
        self.serializer = serializer
        # Models inside a body are converted up front unless the serializer takes them itself.
        self._deep_convert = not getattr(serializer, "takes_models", False)
        self.idempotency_header = idempotency_header
        # lower-cased name -> (name as given, value); Omit removes a default.
        self._headers: dict[str, tuple[str, str]] = {}
        self._merge_headers_into(self._headers, default_headers)
        self._plain_headers = {name: value for name, value in self._headers.values()}
        self._custom_query = querystring.stringify_items(custom_query) if custom_query else []

    @property
    def default_headers(self) -> dict[str, str]:
        """The headers every request starts with."""
        return self._plain_headers.copy()

    @staticmethod
    def _merge_headers_into(
        target: dict[str, tuple[str, str]], headers: Mapping[str, Union[str, Omit]]
    ) -> None:
        for name, value in headers.items():
            if isinstance(value, Omit):
                target.pop(name.lower(), None)
            else:
                target[name.lower()] = (name, str(value))

    def build_url(self, url: str, params: Optional[Mapping[str, object]] = None) -> str:
        """Join ``url`` to the base URL and merge its query with custom and per-call params."""
        if not _ABSOLUTE_URL.match(url):
            url = self.base_url + url.lstrip("/")
        if not params and not self._custom_query:
            return url
        path, _, own_query = url.partition("?")
        sources = [self._custom_query]
        if own_query:
            sources.append(parse_qsl(own_query, keep_blank_values=True))
        if params:
            sources.append(self.querystring.stringify_items(params))
        query = urlencode(_merge_query(sources))
        return f"{path}?{query}" if query else path

    def build(self, options: FinalRequestOptions, timeout: Timeout) -> PreparedRequest:
        """The request for ``options``; the retry-count header is added per attempt."""
        method = _METHODS.get(options.method) or options.method.upper()
        url = options.url
        if options.params or self._custom_query or _ABSOLUTE_URL.match(url):
            url = self.build_url(url, options.params)
        else:  # most calls: a path under the base URL, no query to merge
            url = self.base_url + url.lstrip("/")
        request = PreparedRequest(method, url, {}, timeout=timeout)
        if options.json_data is None and not options.extra_json and not options.files:
            request.content, content_type = options.content, None  # no body to encode (a GET, raw content)
        else:
            content_type = self._add_body(request, options)
        needs_key = self.idempotency_header is not None and method != "GET"
        own_headers = None if type(options.headers) is NotGiven else options.headers
        if not own_headers and content_type is None and not needs_key:
            request.headers = self._plain_headers.copy()  # most calls: the defaults as they are
            return request
        merged = dict(self._headers)
        if own_headers:
            self._merge_headers_into(merged, own_headers)  # type: ignore[arg-type]
        if needs_key:
            assert self.idempotency_header is not None
            lower = self.idempotency_header.lower()
            if lower not in merged:
                key = options.idempotency_key or f"{IDEMPOTENCY_PREFIX}{uuid.uuid4()}"
                merged[lower] = (self.idempotency_header, key)
        if content_type == _MULTIPART:
            if "boundary=" not in merged.get("content-type", ("", ""))[1]:
                merged.pop("content-type", None)  # the transport writes its own boundary
        elif content_type is not None and "content-type" in merged:
            merged["content-type"] = (merged["content-type"][0], content_type)
        request.headers = {name: value for name, value in merged.values()}
        return request

    def _add_body(self, request: PreparedRequest, options: FinalRequestOptions) -> Optional[str]:
        """Set the body; return the Content-Type it needs (:data:`_MULTIPART`), or ``None`` for the default."""
        json_data = options.json_data
        if self._deep_convert or options.files or not isinstance(json_data, (dict, list, type(None))):
            # A Model is a JSON object too: convert first so it merges and forms like a dict.
            json_data = to_jsonable(json_data)

        if options.extra_json:
            if json_data is None:
                json_data = dict(options.extra_json)
            elif isinstance(json_data, Mapping):
                json_data = {**json_data, **options.extra_json}
            else:
                raise TypeError(
                    f"cannot merge extra_body into a JSON body of type {type(json_data).__name__}"
                )
        if options.files:
            if json_data is not None and not isinstance(json_data, Mapping):
                raise TypeError(
                    f"multipart bodies take a mapping of form fields, got {type(json_data).__name__}"
                )
            request.form = _form_fields(json_data or {})
            request.files = _file_fields(options.files)
            return _MULTIPART
        if options.content is not None:
            request.content = options.content
            return None
        if json_data is None:
            return None
        if request.method in ("GET", "HEAD"):
            raise ValueError(
                f"a {request.method} request carries no body; pass the values as query params instead"
            )
        request.content = self.serializer.dumps(json_data)
        media = self.serializer.media_types[0]
        return None if media == "application/json" else media


# One string per method for every request, not a fresh upper-cased copy per call.
_METHODS = {m.lower(): m for m in ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")}

# What _add_body answers for a multipart body (drop a Content-Type without a boundary);
# no media type can look like it.
_MULTIPART = "\x00multipart"


def _form_fields(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    fields: list[tuple[str, str]] = []
    for key, value in data.items():
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if item is None:
                continue
            if isinstance(item, bool):
                item = "true" if item else "false"
            fields.append((str(key), str(item)))
    return fields


def _file_fields(files: Mapping[str, Any]) -> list[tuple[str, FileSpec]]:
    out: list[tuple[str, FileSpec]] = []
    for name, spec in files.items():
        specs = spec if isinstance(spec, list) else [spec]
        for one in specs:
            if isinstance(one, tuple):
                filename = one[0] if len(one) > 0 else None
                content = one[1] if len(one) > 1 else b""
                content_type = one[2] if len(one) > 2 else None
                out.append((name, (filename, content, content_type)))
            else:
                out.append((name, (getattr(one, "name", name), one, None)))
    return out
