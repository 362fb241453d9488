"""Paging strategies: :class:`PageInfo`, the :class:`Paginator` protocol and the built-ins.

A paginator only reads: it finds the items of a decoded page and says how to
ask for the next one (a :class:`PageInfo`), or ``None`` when the listing is
over. It never sends anything; :mod:`genai_base._pagination` does, through
the client. The built-ins keep no state, so one object can serve any number
of listings at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Mapping, Optional, Protocol, runtime_checkable
from urllib.parse import unquote, urljoin

__all__ = [
    "PageInfo",
    "PageResponse",
    "Paginator",
    "CursorPaginator",
    "OffsetPaginator",
    "PageNumberPaginator",
    "LinkHeaderPaginator",
    "Link",
    "parse_link_header",
]


@dataclass(frozen=True)
class PageInfo:
    """How to ask for a page.

    ``url``: a full URL, or a reference resolved against the URL of the page
    that pointed to it (the first call's query parameters are kept unless the
    URL sets them itself). ``params``: values merged into the query string of
    a GET listing, or into the JSON body of any other (a POST search). Given
    both, the URL is fetched with ``params`` merged in.
    """

    #: The URL to fetch, absolute or relative to the page that pointed to it.
    url: Optional[str] = None
    #: Paging values for the query string (GET) or the JSON body (other methods).
    params: Optional[Mapping[str, object]] = None

    def __post_init__(self) -> None:
        if self.url is None and self.params is None:
            raise ValueError("PageInfo needs url= or params=")

    def describe(self) -> str:
        """A short human-readable form for messages (``page_token='abc'``, ``url=...``)."""
        parts = []
        if self.url is not None:
            parts.append(f"url={self.url!r}")
        if self.params:
            parts.extend(f"{key}={value!r}" for key, value in self.params.items())
        return ", ".join(parts) or "no parameters"


class PageResponse(Protocol):
    """What a paginator sees of the response: its headers and the URL that was fetched."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def url(self) -> str: ...


@runtime_checkable
class Paginator(Protocol):
    """Finds the items of a page and the :class:`PageInfo` of the next one.

    ``data`` is the decoded body; ``current`` describes the request that got
    this page: ``params`` holds every paging value it sent (query string of
    a GET, the query merged with the JSON body otherwise) and ``url`` the URL
    it was sent to. Return ``None`` when there is no next page. An empty page
    always ends a listing, whatever ``next_page`` says. ``items`` raises
    ``ValueError`` for a body that is not a page: with strict response
    validation the listing raises ``APIResponseValidationError``, otherwise
    the page counts as empty.
    """

    def items(self, data: Any) -> list[Any]:
        """The items of the decoded page ``data``; ``ValueError`` when ``data`` is not a page."""
        ...

    def next_page(self, data: Any, response: PageResponse, current: PageInfo) -> Optional[PageInfo]:
        """How to ask for the page after ``data`` (fetched as ``current``, answered by ``response``), or ``None``.

        ``response`` gives the headers (a ``Link`` header, say) and the URL
        fetched; ``current.params`` holds the paging values that were sent.
        """
        ...


def _field_items(data: Any, items_field: Optional[str]) -> list[Any]:
    """The list at ``items_field`` of a JSON object (or ``data`` itself when the field is None).

    A missing or null field is an empty page; any other shape raises ``ValueError``.
    """
    if items_field is None:
        value = data
        where = "the response body"
    else:
        if not isinstance(data, Mapping):
            raise ValueError(f"expected a JSON object with a {items_field!r} list, got {type(data).__name__}")
        value = data.get(items_field)
        where = f"field {items_field!r}"
    if value is None:
        return []
    if not isinstance(value, list):
        raise ValueError(f"expected {where} to be a list, got {type(value).__name__}")
    return value


def _int_param(params: Optional[Mapping[str, object]], name: str) -> Optional[int]:
    """``params[name]`` as an int (query values arrive as strings); None when absent or not a number."""
    if not params:
        return None
    value: Any = params.get(name)
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (list, tuple)):
        value = value[-1] if value else None
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class CursorPaginator:
    """The body names the next page's cursor; it is sent back as ``cursor_param``.

    The listing ends when the cursor is missing, null or empty, or a page is empty.
    """

    def __init__(
        self,
        items_field: str = "data",
        cursor_field: str = "next_page_token",
        cursor_param: str = "page_token",
    ) -> None:
        #: The field of the body that holds the page's items.
        self.items_field = items_field
        #: The field of the body that holds the next page's cursor.
        self.cursor_field = cursor_field
        #: The parameter the cursor is sent back as.
        self.cursor_param = cursor_param

    def items(self, data: Any) -> list[Any]:
        """The list at :attr:`items_field` (empty when it is missing or null)."""
        return _field_items(data, self.items_field)

    def next_page(self, data: Any, response: PageResponse, current: PageInfo) -> Optional[PageInfo]:
        """The cursor sent back as :attr:`cursor_param`; ``None`` when there is none or the page is empty."""
        if not self.items(data) or not isinstance(data, Mapping):
            return None
        cursor = data.get(self.cursor_field)
        if cursor is None or cursor == "" or isinstance(cursor, (bool, list, dict)):
            return None
        return PageInfo(params={self.cursor_param: cursor})

    def __repr__(self) -> str:
        return (
            f"CursorPaginator(items_field={self.items_field!r}, cursor_field={self.cursor_field!r}, "
            f"cursor_param={self.cursor_param!r})"
        )


class OffsetPaginator:
    """``offset``/``limit`` paging: the next offset is this one plus the items received.

    The listing ends at an empty page, or at a short one: fewer items than the
    ``limit`` that was sent (with no limit sent, only an empty page ends it).
    """

    def __init__(self, items_field: str = "data", offset_param: str = "offset", limit_param: str = "limit") -> None:
        #: The field of the body that holds the page's items.
        self.items_field = items_field
        #: The parameter that carries the offset.
        self.offset_param = offset_param
        #: The parameter that carries the page size (read from the first call).
        self.limit_param = limit_param

    def items(self, data: Any) -> list[Any]:
        """The list at :attr:`items_field` (empty when it is missing or null)."""
        return _field_items(data, self.items_field)

    def next_page(self, data: Any, response: PageResponse, current: PageInfo) -> Optional[PageInfo]:
        """The offset past this page; ``None`` after an empty or a short page."""
        count = len(self.items(data))
        if count == 0:
            return None
        limit = _int_param(current.params, self.limit_param)
        if limit is not None and count < limit:
            return None
        offset = _int_param(current.params, self.offset_param) or 0
        return PageInfo(params={self.offset_param: offset + count})

    def __repr__(self) -> str:
        return (
            f"OffsetPaginator(items_field={self.items_field!r}, offset_param={self.offset_param!r}, "
            f"limit_param={self.limit_param!r})"
        )


class PageNumberPaginator:
    """``page=1, 2, ...`` paging (the first page is 1 when none was sent); ends at an empty page."""

    def __init__(self, items_field: str = "data", page_param: str = "page") -> None:
        #: The field of the body that holds the page's items.
        self.items_field = items_field
        #: The parameter that carries the page number (the first page is 1).
        self.page_param = page_param

    def items(self, data: Any) -> list[Any]:
        """The list at :attr:`items_field` (empty when it is missing or null)."""
        return _field_items(data, self.items_field)

    def next_page(self, data: Any, response: PageResponse, current: PageInfo) -> Optional[PageInfo]:
        """The next page number; ``None`` after an empty page."""
        if not self.items(data):
            return None
        page = _int_param(current.params, self.page_param) or 1
        return PageInfo(params={self.page_param: page + 1})

    def __repr__(self) -> str:
        return f"PageNumberPaginator(items_field={self.items_field!r}, page_param={self.page_param!r})"


class LinkHeaderPaginator:
    """Follows the ``Link: <...>; rel="next"`` response header (RFC 8288).

    ``items_field=None`` means the body itself is the list of items. A
    relative link is resolved against the URL of the page that carried it.
    """

    def __init__(self, items_field: Optional[str] = None) -> None:
        #: The field of the body that holds the items; ``None``: the body is the list.
        self.items_field = items_field

    def items(self, data: Any) -> list[Any]:
        """The list at :attr:`items_field` (empty when it is missing or null)."""
        return _field_items(data, self.items_field)

    def next_page(self, data: Any, response: PageResponse, current: PageInfo) -> Optional[PageInfo]:
        """The ``rel="next"`` link of the ``Link`` header; ``None`` without one or after an empty page."""
        if not self.items(data):
            return None
        for value in _header_values(response.headers, "link"):
            for link in parse_link_header(value):
                if "next" in link.rels:
                    return PageInfo(url=urljoin(response.url, link.url))
        return None

    def __repr__(self) -> str:
        return f"LinkHeaderPaginator(items_field={self.items_field!r})"


def _header_values(headers: Mapping[str, str], name: str) -> list[str]:
    """Every value of header ``name`` (aiohttp keeps repeated headers apart; requests joins them)."""
    getall = getattr(headers, "getall", None)
    if getall is not None:
        return list(getall(name, []))
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return [] if value is None else [value]


# --- RFC 8288 Link header parsing ---------------------------------------------------------------


@dataclass(frozen=True)
class Link:
    """One link-value: the target reference as written and its parameters (names lower-cased)."""

    url: str
    params: Mapping[str, str]

    @property
    def rels(self) -> tuple[str, ...]:
        """The relation types of ``rel`` (space-separated, compared lower-case)."""
        return tuple(self.params.get("rel", "").lower().split())


_WS = " \t"


def _skip_ws(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WS:
        pos += 1
    return pos


def _read_quoted(text: str, pos: int) -> tuple[str, int]:
    """A quoted-string starting at ``text[pos] == '"'``; returns (value, position after it)."""
    out = []
    pos += 1
    while pos < len(text):
        char = text[pos]
        if char == "\\" and pos + 1 < len(text):
            out.append(text[pos + 1])
            pos += 2
            continue
        if char == '"':
            return "".join(out), pos + 1
        out.append(char)
        pos += 1
    return "".join(out), pos  # unterminated: take the rest


def _read_token(text: str, pos: int, stops: str) -> tuple[str, int]:
    start = pos
    while pos < len(text) and text[pos] not in stops:
        pos += 1
    return text[start:pos].strip(), pos


def _ext_value(value: str) -> str:
    """Decode an RFC 8187 ``charset'lang'pct-encoded`` value (``rel*=UTF-8''next``)."""
    charset, _, rest = value.partition("'")
    _, _, encoded = rest.partition("'")
    try:
        return unquote(encoded, encoding=charset or "utf-8", errors="strict")
    except (LookupError, UnicodeDecodeError):
        return unquote(encoded)


def parse_link_header(value: str) -> list[Link]:
    """The link-values of one ``Link`` header value, in order.

    Handles several links in one value, ``,`` and ``;`` inside ``<...>`` and
    quoted strings, escaped quotes, unquoted tokens, ``rel*`` extended values
    and repeated parameters (the first occurrence wins, as RFC 8288 says).
    Malformed link-values are skipped.
    """
    links: list[Link] = []
    pos = 0
    length = len(value)
    while pos < length:
        pos = _skip_ws(value, pos)
        if pos >= length:
            break
        if value[pos] != "<":
            # Not a link-value: skip to the next top-level comma.
            pos = _skip_to_comma(value, pos)
            continue
        end = value.find(">", pos + 1)
        if end < 0:
            break
        url = value[pos + 1 : end].strip()
        pos = end + 1
        params: dict[str, str] = {}
        while True:
            pos = _skip_ws(value, pos)
            if pos >= length or value[pos] == ",":
                pos += 1
                break
            if value[pos] != ";":
                pos = _skip_to_comma(value, pos)
                break
            name, pos = _read_token(value, pos + 1, "=;,")
            name = name.lower()
            param_value = ""
            pos = _skip_ws(value, pos)
            if pos < length and value[pos] == "=":
                pos = _skip_ws(value, pos + 1)
                if pos < length and value[pos] == '"':
                    param_value, pos = _read_quoted(value, pos)
                else:
                    param_value, pos = _read_token(value, pos, ";,")
            if name.endswith("*"):
                name = name[:-1]
                param_value = _ext_value(param_value)
            if name and name not in params:
                params[name] = param_value
        links.append(Link(url, params))
    return links


def _skip_to_comma(text: str, pos: int) -> int:
    """The position after the next comma outside quotes and ``<...>`` (or the end)."""
    while pos < len(text):
        char = text[pos]
        if char == '"':
            _, pos = _read_quoted(text, pos)
            continue
        if char == "<":
            end = text.find(">", pos + 1)
            pos = len(text) if end < 0 else end + 1
            continue
        pos += 1
        if char == ",":
            break
    return pos
