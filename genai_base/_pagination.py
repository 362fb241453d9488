"""Listings that span pages: :class:`SyncPage`, :class:`AsyncPage` and :class:`AsyncPager`.

Every paging decision lives in :class:`BasePage` and the helpers here (which
page comes next, when to stop, the options of the next request, repeated
pages); the sync and async classes only fetch, through the client's own
``request()`` so that retries, auth and hooks apply to every page. The
strategies themselves are in :mod:`genai_base._paginators`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import (
    Any,
    AsyncIterator,
    Callable,
    Generator,
    Generic,
    Iterator,
    Mapping,
    Optional,
    TypeVar,
)
from urllib.parse import parse_qsl

from ._errors import APIError, APIResponseValidationError
from ._options import FinalRequestOptions, RequestOptions
from ._paginators import (
    CursorPaginator,
    Link,
    LinkHeaderPaginator,
    OffsetPaginator,
    PageInfo,
    PageNumberPaginator,
    PageResponse,
    Paginator,
    parse_link_header,
)
from ._parse import load_data
from ._redact import redact_url
from ._request import origin_of, resolve_link
from ._response import APIResponse, AsyncAPIResponse, BaseAPIResponse
from ._types import NotGiven
from ._wrappers import RAW_RESPONSE_HEADER
from .models import to_jsonable

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
    "PaginationError",
    "PaginationLoopError",
    "BasePage",
    "SyncPage",
    "AsyncPage",
    "AsyncPager",
]

T = TypeVar("T")

_BODY_LESS_METHODS = frozenset({"GET", "HEAD"})


class PaginationError(APIError):
    """A listing cannot go on: its next page is invalid or unsafe to fetch."""

    def __init__(self, message: str, *, page_info: PageInfo, url: str, request: Any = None) -> None:
        super().__init__(message, request)
        #: The next page as the paginator described it.
        self.page_info = page_info
        #: The URL that page would be fetched from.
        self.url = url


class PaginationLoopError(PaginationError):
    """The API pointed again at a page this listing already fetched (a repeated cursor or link)."""


# --- what the next request is --------------------------------------------------------------------


def _body_paging(options: FinalRequestOptions) -> bool:
    """True when paging values travel in the JSON body (every method but GET/HEAD)."""
    return options.method.upper() not in _BODY_LESS_METHODS


def _jsonable_mapping(value: Any) -> dict[str, Any]:
    data = to_jsonable(value)
    if not isinstance(data, Mapping):
        raise TypeError(
            f"a paged request's JSON body must be a mapping to add paging values, got {type(value).__name__}"
        )
    return dict(data)


def _url_query(url: str) -> dict[str, object]:
    _, _, query = url.partition("?")
    grouped: dict[str, list[str]] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        grouped.setdefault(key, []).append(value)
    return {key: values[0] if len(values) == 1 else values for key, values in grouped.items()}


def effective_params(options: FinalRequestOptions) -> dict[str, object]:
    """Every paging value ``options`` sends: the query (the URL's own, then ``params``),
    overlaid with the JSON body's top-level fields on a body-paged (non-GET) request."""
    params: dict[str, object] = {**_url_query(options.url), **options.params}
    if _body_paging(options):
        for part in (options.json_data, options.extra_json):
            if part is not None:
                try:
                    params.update(_jsonable_mapping(part))
                except TypeError:
                    pass
    return params


def _request_key(client: Any, options: FinalRequestOptions) -> str:
    """What makes two page requests "the same page": method, the full URL with its query, the body."""
    url = client._builder.build_url(options.url, options.params)
    return json.dumps(
        [options.method.upper(), url, to_jsonable(options.json_data), to_jsonable(options.extra_json)],
        sort_keys=True,
        default=repr,
    )


def next_options(options: FinalRequestOptions, info: PageInfo, page_url: str) -> FinalRequestOptions:
    """The options of the page ``info`` describes: a copy of ``options`` (the page that pointed
    to it) with its URL, query or JSON body changed, every other option kept."""
    changes: dict[str, Any] = {}
    params: dict[str, object] = dict(options.params)
    if info.url is not None:
        try:
            url = resolve_link(page_url, info.url)
        except ValueError as exc:
            raise PaginationError(
                f"refusing to fetch the next page from {redact_url(info.url)!r} (linked from "
                f"{redact_url(page_url)}): {exc}",
                page_info=info,
                url=page_url,
            ) from None
        if origin_of(url) != origin_of(page_url):
            raise PaginationError(
                f"refusing to fetch the next page from another origin ({redact_url(url)}, "
                f"linked from {redact_url(page_url)}): the client's credentials would go with it",
                page_info=info,
                url=page_url,
            )
        changes["url"] = url
        # The link's own query wins; the first call's other params are kept.
        for key in _url_query(url):
            params.pop(key, None)
    if info.params:
        if _body_paging(options):
            body = _jsonable_mapping(options.json_data) if options.json_data is not None else {}
            changes["json_data"] = {**body, **info.params}
            if options.extra_json and any(key in options.extra_json for key in info.params):
                changes["extra_json"] = {k: v for k, v in options.extra_json.items() if k not in info.params}
        else:
            params.update(info.params)
    changes["params"] = params
    return options.copy(**changes)


def first_options(path: str, *, method: str, body: Any, options: RequestOptions) -> FinalRequestOptions:
    """The options of a listing's first request."""
    return FinalRequestOptions(method=method, url=path, json_data=body, **options)


def resolve_paginator(client: Any, paginator: Any) -> Paginator:
    """``paginator`` as an object: the container's default for None, a plugin for a name."""
    from ._container import load_component

    if paginator is None:
        return client._container.paginator(settings=client._settings)  # type: ignore[no-any-return]
    if isinstance(paginator, type):
        paginator = paginator()
    return load_component("paginators", paginator, client._settings)  # type: ignore[no-any-return]


@dataclass
class _Listing:
    """What every page of one listing shares."""

    client: Any
    model: Any
    paginator: Paginator
    strict: bool
    # request key -> depth of the first page fetched with it (the first page is depth 0)
    seen: dict[str, int] = field(default_factory=dict)

    def load_items(self, data: Any, response: Any) -> list[Any]:
        try:
            raw_items = self.paginator.items(data)
        except ValueError as exc:  # the protocol's "this body is not a page"
            if self.strict:
                raise APIResponseValidationError(
                    f"not a page of items: {exc}", response=response, body=data, request=response.http_request
                ) from exc
            return []
        if self.model is object:
            return list(raw_items)
        return list(load_data(list[self.model], raw_items, strict=self.strict, response=response))  # type: ignore[name-defined]


@dataclass(frozen=True)
class _PageRequest:
    """A page to fetch: its options and how deep in the listing it is."""

    options: FinalRequestOptions
    depth: int


def _take_wrapper_marker(options: FinalRequestOptions) -> tuple[FinalRequestOptions, Optional[str]]:
    """``options`` without a response wrapper's marker header, and the marker's mode (None without one).

    The marker asks for the raw response of the listing's first page only: the
    pages after it are fetched as usual.
    """
    headers = options.headers
    if type(headers) is NotGiven or not headers or RAW_RESPONSE_HEADER not in headers:
        return options, None
    mode = str(headers[RAW_RESPONSE_HEADER])
    return options.copy(headers={k: v for k, v in headers.items() if k != RAW_RESPONSE_HEADER}), mode


def _raw_first_options(listing: _Listing, request: _PageRequest, mode: str,
                       make_page: Callable[[Any], Any]) -> FinalRequestOptions:
    """The first page's options asking for its raw response, whose ``parse()`` gives the page.

    The method's own ``post_parser`` (if any) still sees the decoded body first,
    as it does for every page.
    """
    options = request.options
    headers = {} if isinstance(options.headers, NotGiven) else dict(options.headers)
    headers[RAW_RESPONSE_HEADER] = mode
    own = options.post_parser
    post_parser = make_page if own is None else (lambda data: make_page(own(data)))
    return options.copy(headers=headers, post_parser=post_parser)


def _start(client: Any, path: str, *, model: Any, paginator: Any, body: Any, options: RequestOptions,
           method: str) -> tuple[_Listing, _PageRequest, Optional[str]]:
    listing = _Listing(
        client=client,
        model=model,
        paginator=resolve_paginator(client, paginator),
        strict=bool(client._strict_response_validation),
    )
    first, wrapper = _take_wrapper_marker(first_options(path, method=method, body=body, options=options))
    request = _PageRequest(first, 0)
    listing.seen[_request_key(client, request.options)] = 0
    return listing, request, wrapper


_UNSET: Any = object()


class BasePage(Generic[T]):
    """One fetched page and the decisions about the next one (no I/O here).

    ``items`` are this page's items loaded as the listing's model; ``data``
    is the decoded body and ``response`` the raw response, for metadata.
    """

    def __init__(self, listing: _Listing, request: _PageRequest, response: BaseAPIResponse[Any], data: Any) -> None:
        self._listing = listing
        self._request = request
        #: The raw response of this page, for its headers and status.
        self.response = response
        #: The decoded body of this page.
        self.data = data
        #: This page's items, loaded as the listing's ``model``.
        self.items: list[T] = listing.load_items(data, response)
        self._current = PageInfo(url=response.url, params=effective_params(request.options))
        self._next_info: Optional[PageInfo] = _UNSET

    @property
    def options(self) -> FinalRequestOptions:
        """The options this page was fetched with."""
        return self._request.options

    def next_page_info(self) -> Optional[PageInfo]:
        """How to ask for the next page, or None when this is the last one (no I/O)."""
        if self._next_info is _UNSET:
            info = None
            if self.items:  # an empty page ends every listing
                info = self._listing.paginator.next_page(self.data, self.response, self._current)
            self._next_info = info
        return self._next_info

    def has_next_page(self) -> bool:
        """True when the paginator names a next page (no I/O)."""
        return self.next_page_info() is not None

    def _next_request(self) -> _PageRequest:
        info = self.next_page_info()
        if info is None:
            raise RuntimeError(
                "No next page expected; please check `.has_next_page()` before calling `.get_next_page()`."
            )
        options = next_options(self._request.options, info, self.response.url)
        key = _request_key(self._listing.client, options)
        depth = self._request.depth
        seen_at = self._listing.seen.get(key)
        if seen_at is not None and seen_at <= depth:
            raise PaginationLoopError(
                f"the API pointed again at a page this listing already fetched ({info.describe()}) in the "
                f"response to {self._request.options.method.upper()} {redact_url(self.response.url)}; "
                "stopping instead of looping forever",
                page_info=info,
                url=self.response.url,
                request=self.response.http_request,
            )
        self._listing.seen.setdefault(key, depth + 1)
        return _PageRequest(options, depth + 1)

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} {len(self.items)} items from {self._request.options.method.upper()} "
            f"{redact_url(self.response.url)} next={self.next_page_info()!r}>"
        )


class SyncPage(BasePage[T]):
    """A page on the sync client; iterating it yields every item from this page on, fetching lazily."""

    @classmethod
    def first(cls, client: Any, path: str, *, model: Any, paginator: Any = None, body: Any = None,
              options: RequestOptions = {}, method: str = "get") -> "SyncPage[Any]":
        """Fetch the first page of a listing.

        Asked through a response wrapper (``with_raw_response``), this is the first
        page's raw :class:`~genai_base.APIResponse` instead, whose ``parse()`` gives the page.
        """
        listing, request, wrapper = _start(client, path, model=model, paginator=paginator, body=body,
                                           options=options, method=method)
        if wrapper is not None:
            # The wrapper's caller gets the raw response (its types say so); this method's do not.
            return cls._fetch_raw(listing, request, wrapper)  # type: ignore[return-value]
        return cls._fetch(listing, request)

    @classmethod
    def _fetch_raw(cls, listing: _Listing, request: _PageRequest, mode: str) -> "APIResponse[SyncPage[Any]]":
        """The first page's raw response (body unread for ``mode="stream"``); ``parse()`` makes the page."""
        made: list[APIResponse[Any]] = []
        options = _raw_first_options(listing, request, mode, lambda data: cls(listing, request, made[0], data))
        response: APIResponse[SyncPage[Any]] = listing.client.request(object, options)
        made.append(response)
        return response

    @classmethod
    def _fetch(cls, listing: _Listing, request: _PageRequest) -> "SyncPage[Any]":
        response: APIResponse[object] = listing.client.request(APIResponse[object], request.options)
        return cls(listing, request, response, response.parse())

    def get_next_page(self) -> "SyncPage[T]":
        """Fetch the next page (check :meth:`has_next_page` first)."""
        return self._fetch(self._listing, self._next_request())

    def iter_pages(self) -> Iterator["SyncPage[T]"]:
        """This page, then each following page as it is fetched."""
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = page.get_next_page()

    def __iter__(self) -> Iterator[T]:
        for page in self.iter_pages():
            yield from page.items


class AsyncPage(BasePage[T]):
    """A page on the async client; ``async for item in page`` yields every item from this page on."""

    @classmethod
    async def _fetch(cls, listing: _Listing, request: _PageRequest) -> "AsyncPage[Any]":
        response = await listing.client.request(APIResponse[object], request.options)
        return cls(listing, request, response, await response.parse())

    @classmethod
    async def _fetch_raw(cls, listing: _Listing, request: _PageRequest,
                         mode: str) -> "AsyncAPIResponse[AsyncPage[Any]]":
        """The first page's raw response (body unread for ``mode="stream"``); ``await parse()`` makes the page."""
        made: list[AsyncAPIResponse[Any]] = []
        options = _raw_first_options(listing, request, mode, lambda data: cls(listing, request, made[0], data))
        response: AsyncAPIResponse[AsyncPage[Any]] = await listing.client.request(object, options)
        made.append(response)
        return response

    async def get_next_page(self) -> "AsyncPage[T]":
        """Fetch the next page (check :meth:`has_next_page` first)."""
        return await self._fetch(self._listing, self._next_request())

    async def iter_pages(self) -> AsyncIterator["AsyncPage[T]"]:
        """This page, then each following page as it is fetched."""
        page = self
        while True:
            yield page
            if not page.has_next_page():
                return
            page = await page.get_next_page()

    async def __aiter__(self) -> AsyncIterator[T]:
        async for page in self.iter_pages():
            for item in page.items:
                yield item


class AsyncPager(Generic[T]):
    """What the async ``get_api_list`` returns: ``await`` it for the first page, or
    ``async for`` over it for every item across pages. Each use starts a fresh listing."""

    def __init__(self, client: Any, path: str, *, model: Any, paginator: Any = None, body: Any = None,
                 options: RequestOptions = {}, method: str = "get") -> None:
        self._client = client
        self._args: dict[str, Any] = dict(path=path, model=model, body=body, options=options, method=method)
        self._paginator = resolve_paginator(client, paginator)  # a bad name fails here, not later

    async def _first(self, *, raw_allowed: bool) -> AsyncPage[T]:
        listing, request, wrapper = _start(self._client, paginator=self._paginator, **self._args)
        if wrapper is not None and raw_allowed:
            # Awaited through a response wrapper (``with_raw_response``), whose caller gets the raw
            # response of the first page (the wrapper's types say so; ``await parse()`` gives the page).
            return await AsyncPage._fetch_raw(listing, request, wrapper)  # type: ignore[return-value]
        page: AsyncPage[T] = await AsyncPage._fetch(listing, request)
        return page

    def __await__(self) -> Generator[Any, None, AsyncPage[T]]:
        return self._first(raw_allowed=True).__await__()

    async def __aiter__(self) -> AsyncIterator[T]:
        page = await self._first(raw_allowed=False)
        async for item in page:
            yield item

    def __repr__(self) -> str:
        return f"<AsyncPager {self._args['method'].upper()} {self._args['path']} paginator={self._paginator!r}>"
