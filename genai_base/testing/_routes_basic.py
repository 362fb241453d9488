"""Built-in routes: echo, status, slow answers, sized bodies and redirects."""

from __future__ import annotations

import asyncio
import json
from email.message import Message
from email.parser import BytesHeaderParser
from urllib.parse import parse_qsl

from aiohttp import web

from ._routes_common import (
    REQUEST_IDS,
    bad_request,
    error_body,
    float_param,
    int_param,
    json_response,
    query_pairs,
    query_params,
)

__all__ = ["add_basic_routes", "echo_payload"]

_FILE_TEXT_LIMIT = 1000
_NO_BODY_STATUSES = frozenset({204, 304})


def _media_type(content_type: str | None) -> str:
    """The lower-cased ``type/subtype`` part of a Content-Type value."""
    return (content_type or "").split(";", 1)[0].strip().lower()


def _header_param(value: str, header: str, param: str) -> str | None:
    """Read one parameter (e.g. ``boundary``) of a header value."""
    message = Message()
    message[header] = value
    found = message.get_param(param, header=header)
    if found is None or isinstance(found, tuple):
        return None
    return found


def _parse_multipart(content_type: str, body: bytes) -> tuple[dict[str, str], list[dict[str, object]]]:
    """Split a multipart/form-data body into text fields and file descriptions."""
    form: dict[str, str] = {}
    files: list[dict[str, object]] = []
    boundary = _header_param(content_type, "content-type", "boundary")
    if not boundary:
        return form, files
    delimiter = b"--" + boundary.encode("latin-1")
    for section in body.split(delimiter)[1:]:
        if section.startswith(b"--"):
            break
        if section.startswith(b"\r\n"):
            section = section[2:]
        head, _, content = section.partition(b"\r\n\r\n")
        if content.endswith(b"\r\n"):
            content = content[:-2]
        headers = BytesHeaderParser().parsebytes(head + b"\r\n\r\n")
        name = headers.get_param("name", header="content-disposition")
        field_name = name if isinstance(name, str) else ""
        filename = headers.get_filename()
        if filename is None:
            form[field_name] = content.decode("utf-8", errors="replace")
            continue
        files.append(
            {
                "name": field_name,
                "filename": filename,
                "content_type": headers.get("content-type"),
                "size": len(content),
                "text": content[: _FILE_TEXT_LIMIT * 4].decode("utf-8", errors="replace")[:_FILE_TEXT_LIMIT],
            }
        )
    return form, files


def _parse_form(content_type: str | None, body: bytes) -> tuple[dict[str, str], list[dict[str, object]]]:
    """Decode urlencoded or multipart form bodies; other bodies give empty results."""
    media_type = _media_type(content_type)
    if media_type == "application/x-www-form-urlencoded":
        pairs = parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)
        return dict(pairs), []
    if media_type == "multipart/form-data" and content_type is not None:
        return _parse_multipart(content_type, body)
    return {}, []


async def echo_payload(request: web.Request) -> dict[str, object]:
    """Describe ``request`` as the ``/echo`` JSON document."""
    body = await request.read()
    parsed: object = None
    if body:
        try:
            parsed = json.loads(body)
        except ValueError:
            parsed = None
    query: dict[str, list[str]] = {}
    for name, value in query_pairs(request):
        query.setdefault(name, []).append(value)
    content_type = request.headers.get("Content-Type")
    form, files = _parse_form(content_type, body)
    return {
        "method": request.method,
        "path": request.path,
        "query": query,
        "query_string": request.rel_url.raw_query_string,
        "headers": {name.lower(): value for name, value in request.headers.items()},
        "body": body.decode("utf-8", errors="replace"),
        "json": parsed,
        "content_type": content_type,
        "form": form,
        "files": files,
    }


async def echo(request: web.Request) -> web.StreamResponse:
    """Answer with a JSON description of the request."""
    payload = await echo_payload(request)
    return json_response(payload, headers={"x-request-id": request.app[REQUEST_IDS].next()})


async def status(request: web.Request) -> web.StreamResponse:
    """Answer the status code named in the path."""
    code = int(request.match_info["code"])
    if not 200 <= code <= 599:
        raise bad_request(f"unsupported status {code}")
    headers = {"x-request-id": request.app[REQUEST_IDS].next()}
    if code in _NO_BODY_STATUSES:
        return web.Response(status=code, headers=headers)
    body = error_body(f"status {code}", code=code)
    return json_response(body, status=code, headers=headers)


async def slow(request: web.Request) -> web.StreamResponse:
    """Sleep ``seconds`` before sending anything."""
    seconds = float_param(query_params(request), "seconds", 0.5)
    await asyncio.sleep(seconds)
    return json_response({"slept": seconds})


async def slow_body(request: web.Request) -> web.StreamResponse:
    """Send headers and the first part of the body at once, the rest after ``seconds``."""
    seconds = float_param(query_params(request), "seconds", 0.5)
    stream = web.StreamResponse(headers={"Content-Type": "application/json"})
    stream.enable_chunked_encoding()
    await stream.prepare(request)
    await stream.write(b'{"a":')
    await asyncio.sleep(seconds)
    await stream.write(b"1}")
    await stream.write_eof()
    return stream


async def sized_bytes(request: web.Request) -> web.StreamResponse:
    """``size`` bytes of ``b"x"``."""
    size = int_param(query_params(request), "size", 1024)
    return web.Response(body=b"x" * size, headers={"Content-Type": "application/octet-stream"})


async def large_json(request: web.Request) -> web.StreamResponse:
    """A JSON document with ``items`` entries."""
    count = int_param(query_params(request), "items", 1000)
    data = [{"id": index, "name": f"item {index}"} for index in range(count)]
    return json_response({"data": data})


async def redirect(request: web.Request) -> web.StreamResponse:
    """Redirect to ``to`` with the given ``status`` (302 by default)."""
    params = query_params(request)
    code = int_param(params, "status", 302)
    if not 300 <= code <= 399:
        raise bad_request(f"redirect status must be 3xx, got {code}")
    return web.Response(status=code, headers={"Location": params.get("to", "/echo")})


async def redirect_chain(request: web.Request) -> web.StreamResponse:
    """Redirect ``n`` times, then echo."""
    remaining = int(request.match_info["n"])
    if remaining <= 0:
        return await echo(request)
    return web.Response(status=302, headers={"Location": f"/redirect-chain/{remaining - 1}"})


async def redirect_loop(request: web.Request) -> web.StreamResponse:
    """Redirect to itself forever."""
    return web.Response(status=302, headers={"Location": "/redirect-loop"})


def add_basic_routes(app: web.Application) -> None:
    """Register the basic routes on ``app`` (any method)."""
    router = app.router
    router.add_route("*", "/echo", echo)
    router.add_route("*", "/echo/{tail:.*}", echo)
    router.add_route("*", r"/status/{code:\d+}", status)
    router.add_route("*", "/slow", slow)
    router.add_route("*", "/slow-body", slow_body)
    router.add_route("*", "/bytes", sized_bytes)
    router.add_route("*", "/large-json", large_json)
    router.add_route("*", "/redirect", redirect)
    router.add_route("*", r"/redirect-chain/{n:\d+}", redirect_chain)
    router.add_route("*", "/redirect-loop", redirect_loop)
