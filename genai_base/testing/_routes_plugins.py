"""Routes for the plugins in ``plugins/``: a MessagePack echo and an HMAC signature check.

``/msgpack/echo`` is registered only when ``msgpack`` is importable (the
server itself never needs it). ``/hmac/verify`` checks the signature of the
``genai-base-hmac`` scheme with a known test key and answers 401 when it is
wrong, stale or missing:

    string to sign = "GENAI-HMAC-SHA256" \\n timestamp \\n METHOD \\n canonical path
                     \\n canonical query \\n body SHA-256 (hex, or UNSIGNED-PAYLOAD)
    X-Signature    = hex(HMAC-SHA256(secret, string to sign))

with ``X-Key-Id``, ``X-Signature-Timestamp`` (Unix seconds) and
``X-Content-SHA256`` sent alongside. The canonical path is the path
percent-decoded then encoded again (only ``/`` and unreserved characters
left as is); the canonical query is every pair, decoded, sorted, and encoded
the same way.
"""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any
from urllib.parse import parse_qsl, quote, unquote

from aiohttp import web

from ._routes_common import error_body, json_response

__all__ = [
    "HMAC_ALGORITHM",
    "HMAC_MAX_SKEW",
    "HMAC_TEST_KEY_ID",
    "HMAC_TEST_SECRET",
    "add_plugin_routes",
    "hmac_string_to_sign",
]

HMAC_ALGORITHM = "GENAI-HMAC-SHA256"
HMAC_TEST_KEY_ID = "test-key"
HMAC_TEST_SECRET = "genai-base-test-secret"
HMAC_MAX_SKEW = 300
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"

MSGPACK_TYPES = ("application/msgpack", "application/x-msgpack", "application/vnd.msgpack")


def _encode(text: str, safe: str = "") -> str:
    return quote(text, safe=safe + "-_.~")


def hmac_string_to_sign(method: str, raw_path: str, raw_query: str, body_hash: str, timestamp: str) -> str:
    """The string the ``genai-base-hmac`` scheme signs, as the server rebuilds it."""
    path = _encode(unquote(raw_path), safe="/") or "/"
    pairs = sorted(parse_qsl(raw_query, keep_blank_values=True))
    query = "&".join(f"{_encode(k)}={_encode(v)}" for k, v in pairs)
    return "\n".join([HMAC_ALGORITHM, timestamp, method.upper(), path, query, body_hash])


def _unauthorized(reason: str) -> web.Response:
    return json_response(error_body(reason, type="authentication_error"), status=401)


async def hmac_verify(request: web.Request) -> web.StreamResponse:
    """200 with what was verified when the signature is right; 401 saying why otherwise."""
    headers = request.headers
    key_id = headers.get("X-Key-Id")
    timestamp = headers.get("X-Signature-Timestamp")
    signature = headers.get("X-Signature")
    declared_hash = headers.get("X-Content-SHA256")
    if not (key_id and timestamp and signature and declared_hash):
        return _unauthorized("missing X-Key-Id, X-Signature-Timestamp, X-Content-SHA256 or X-Signature")
    if key_id != HMAC_TEST_KEY_ID:
        return _unauthorized(f"unknown key id {key_id!r}")
    try:
        skew = abs(time.time() - int(timestamp))
    except ValueError:
        return _unauthorized("X-Signature-Timestamp is not a whole number of seconds")
    if skew > HMAC_MAX_SKEW:
        return _unauthorized(f"timestamp is {skew:.0f}s away from the server's clock")
    body = await request.read()
    actual_hash = hashlib.sha256(body).hexdigest()
    if declared_hash != UNSIGNED_PAYLOAD and declared_hash != actual_hash:
        return _unauthorized("X-Content-SHA256 does not match the body")
    to_sign = hmac_string_to_sign(
        request.method, request.rel_url.raw_path, request.rel_url.raw_query_string, declared_hash, timestamp
    )
    expected = hmac.new(HMAC_TEST_SECRET.encode(), to_sign.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.strip().lower()):
        return _unauthorized("signature does not match")
    return json_response(
        {
            "verified": True,
            "key_id": key_id,
            "method": request.method,
            "path": request.path,
            "query": request.rel_url.raw_query_string,
            "body_sha256": actual_hash,
            "unsigned_payload": declared_hash == UNSIGNED_PAYLOAD,
        }
    )


def _msgpack_echo_handler(msgpack: Any) -> Any:
    async def msgpack_echo(request: web.Request) -> web.StreamResponse:
        """Echo the request in MessagePack; ``?as=x-msgpack`` answers with that media type, ``?broken=1`` badly."""
        body = await request.read()
        media = (request.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        decoded: Any = None
        if body and media in MSGPACK_TYPES:
            try:
                decoded = msgpack.unpackb(body, raw=False)
            except Exception as exc:
                return json_response(error_body(f"request body is not valid MessagePack: {exc}"), status=400)
        elif body:
            decoded = body.decode("utf-8", errors="replace")
        answer_type = "application/x-msgpack" if request.query.get("as") == "x-msgpack" else "application/msgpack"
        if request.query.get("broken"):
            return web.Response(body=b"\xc1\xc1\xc1", content_type=answer_type)
        query: dict[str, list[str]] = {}
        for name, value in request.query.items():
            query.setdefault(name, []).append(value)
        payload = {
            "method": request.method,
            "path": request.path,
            "query": query,
            "content_type": media,
            "accept": request.headers.get("Accept", ""),
            "body": decoded,
        }
        return web.Response(body=msgpack.packb(payload, use_bin_type=True), content_type=answer_type)

    return msgpack_echo


def add_plugin_routes(app: web.Application) -> None:
    """Register ``/hmac/verify`` and, when ``msgpack`` is importable, ``/msgpack/echo``."""
    router = app.router
    router.add_route("*", "/hmac/verify", hmac_verify)
    router.add_route("*", "/hmac/verify/{tail:.*}", hmac_verify)
    try:
        import msgpack
    except ImportError:
        return
    router.add_route("*", "/msgpack/echo", _msgpack_echo_handler(msgpack))
