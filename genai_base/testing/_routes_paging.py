"""Built-in paging routes over a collection of ``total`` items.

Item ``i`` (0-based) is ``{"id": "item_<i>", "index": i}``. GET reads its
parameters from the query string; POST reads them from a JSON object body,
falling back to the query string for names the body lacks (or sets to null).
Every paging route takes ``delay_ms``: wait that long before answering a
page (a slow API, for a progress display or a deadline test).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable

from aiohttp import web

from ._routes_common import bad_request, float_param, int_param, json_response, query_params

__all__ = ["DEFAULT_TOTAL", "add_paging_routes", "make_items"]

DEFAULT_TOTAL = 25
_DEFAULT_LIMIT = 10

_Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_items(start: int, stop: int) -> list[dict[str, object]]:
    """Items ``start`` (inclusive) to ``stop`` (exclusive)."""
    return [{"id": f"item_{index}", "index": index} for index in range(start, stop)]


async def paging_params(request: web.Request) -> dict[str, str]:
    """Query parameters, overridden by a POST request's JSON object body; waits ``delay_ms`` first."""
    params = query_params(request)
    delay = float_param(params, "delay_ms", 0.0)
    if delay:
        await asyncio.sleep(delay / 1000.0)
    if request.method != "POST":
        return params
    body = await request.read()
    if not body.strip():
        return params
    try:
        data = json.loads(body)
    except ValueError:
        raise bad_request("request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise bad_request("request body must be a JSON object")
    for name, value in data.items():
        if value is None:
            continue
        if isinstance(value, bool):
            params[name] = "1" if value else "0"
        elif isinstance(value, (str, int, float)):
            params[name] = str(value)
    return params


def _slice(params: dict[str, str], start: int, count: int) -> list[dict[str, object]]:
    """Up to ``count`` items from ``start`` within ``total``."""
    total = int_param(params, "total", DEFAULT_TOTAL)
    return make_items(min(start, total), min(start + count, total))


def _cursor_start(token: str | None) -> int:
    """Decode a page token (the next index as a string; empty/absent = start)."""
    if not token:
        return 0
    try:
        start = int(token)
    except ValueError:
        raise bad_request(f"invalid page_token {token!r}") from None
    if start < 0:
        raise bad_request(f"invalid page_token {token!r}")
    return start


def _cursor_route(last_token: str | None) -> _Handler:
    """A cursor route whose last page carries ``last_token`` as its next token."""

    async def handler(request: web.Request) -> web.StreamResponse:
        """``page_token``/``limit`` paging; ``next_page_token`` in each page."""
        params = await paging_params(request)
        total = int_param(params, "total", DEFAULT_TOTAL)
        limit = int_param(params, "limit", _DEFAULT_LIMIT, minimum=1)
        start = _cursor_start(params.get("page_token"))
        end = start + limit
        token = str(end) if end < total else last_token
        return json_response({"data": _slice(params, start, limit), "next_page_token": token})

    return handler


async def cursor_empty_page(request: web.Request) -> web.StreamResponse:
    """Cursor pages, then an empty page that still carries the cursor ``"more"``."""
    params = await paging_params(request)
    total = int_param(params, "total", DEFAULT_TOTAL)
    limit = int_param(params, "limit", _DEFAULT_LIMIT, minimum=1)
    token = params.get("page_token")
    start = total if token == "more" else _cursor_start(token)
    if start >= total:
        return json_response({"data": [], "next_page_token": "more"})
    data = _slice(params, start, limit)
    return json_response({"data": data, "next_page_token": str(start + limit)})


async def cursor_repeat(request: web.Request) -> web.StreamResponse:
    """Always the first page, always with the same cursor."""
    params = await paging_params(request)
    limit = int_param(params, "limit", _DEFAULT_LIMIT, minimum=1)
    return json_response({"data": _slice(params, 0, limit), "next_page_token": "same"})


async def offset_page(request: web.Request) -> web.StreamResponse:
    """``offset``/``limit`` paging; short or empty page at the end."""
    params = await paging_params(request)
    offset = int_param(params, "offset", 0)
    limit = int_param(params, "limit", _DEFAULT_LIMIT, minimum=1)
    return json_response({"data": _slice(params, offset, limit)})


async def numbered_page(request: web.Request) -> web.StreamResponse:
    """``page`` (1-based) / ``per_page`` paging; empty page past the end."""
    params = await paging_params(request)
    page = int_param(params, "page", 1, minimum=1)
    per_page = int_param(params, "per_page", _DEFAULT_LIMIT, minimum=1)
    return json_response({"data": _slice(params, (page - 1) * per_page, per_page)})


def _link_route(first_path: str, next_path: str) -> _Handler:
    """Link-header paging: a bare JSON list, ``rel="next"`` pointing at ``next_path``."""

    async def handler(request: web.Request) -> web.StreamResponse:
        """``page``/``per_page`` paging of a bare JSON list; the next page in the ``Link`` header."""
        params = await paging_params(request)
        total = int_param(params, "total", DEFAULT_TOTAL)
        page = int_param(params, "page", 1, minimum=1)
        per_page = int_param(params, "per_page", _DEFAULT_LIMIT, minimum=1)
        start = (page - 1) * per_page
        headers: dict[str, str] = {}
        if start + per_page < total:
            origin = request.url.origin()

            def page_url(path: str, number: int) -> str:
                query = {"page": str(number), "per_page": str(per_page), "total": str(total)}
                return str(origin.with_path(path).with_query(query))

            next_url = page_url(next_path, page + 1)
            first_url = page_url(first_path, 1)
            headers["Link"] = f'<{next_url}>; rel="next", <{first_url}>; rel="first"'
        return json_response(_slice(params, start, per_page), headers=headers)

    return handler


async def empty(request: web.Request) -> web.StreamResponse:
    """An empty collection; ``?style=link`` answers a bare empty list."""
    params = await paging_params(request)
    if params.get("style") == "link":
        return json_response([])
    return json_response({"data": [], "next_page_token": None})


def add_paging_routes(app: web.Application) -> None:
    """Register the paging routes on ``app`` (any method)."""
    router = app.router
    router.add_route("*", "/items/cursor", _cursor_route(None))
    router.add_route("*", "/items/cursor-empty-token", _cursor_route(""))
    router.add_route("*", "/items/cursor-empty-page", cursor_empty_page)
    router.add_route("*", "/items/cursor-repeat", cursor_repeat)
    router.add_route("*", "/items/offset", offset_page)
    router.add_route("*", "/items/page", numbered_page)
    router.add_route("*", "/items/link", _link_route("/items/link", "/items/link"))
    router.add_route("*", "/items/link-other", _link_route("/items/link-other", "/items/link-other-2"))
    router.add_route("*", "/items/link-other-2", _link_route("/items/link-other", "/items/link-other-2"))
    router.add_route("*", "/items/empty", empty)
