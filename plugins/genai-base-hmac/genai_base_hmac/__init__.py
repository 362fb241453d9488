"""HMAC-SHA256 request signing for genai_base (entry point ``genai_base.auth: hmac``)."""

from __future__ import annotations

import hashlib
import hmac
import time
from typing import Any, AsyncGenerator, Callable, Generator, Union
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from genai_base import PreparedRequest, ResponseHead

__all__ = ["HMACAuth", "from_settings", "string_to_sign", "genai_base_plugin_api"]
__version__ = "0.1.0"

genai_base_plugin_api = 1

ALGORITHM = "GENAI-HMAC-SHA256"
UNSIGNED_PAYLOAD = "UNSIGNED-PAYLOAD"
KEY_ID_HEADER = "X-Key-Id"
TIMESTAMP_HEADER = "X-Signature-Timestamp"
CONTENT_HASH_HEADER = "X-Content-SHA256"
SIGNATURE_HEADER = "X-Signature"


def _encode(text: str, safe: str = "") -> str:
    return quote(text, safe=safe + "-_.~")


def _canonical_path(path: str) -> str:
    return _encode(unquote(path), safe="/") or "/"


def _canonical_query(query: str) -> str:
    pairs = sorted(parse_qsl(query, keep_blank_values=True))
    return "&".join(f"{_encode(name)}={_encode(value)}" for name, value in pairs)


def body_sha256(request: PreparedRequest) -> str:
    """Hex SHA-256 of the body (multipart bodies are bytes too), or ``UNSIGNED-PAYLOAD`` for a file or stream."""
    content = request.content
    if content is None:
        content = b""
    elif isinstance(content, str):
        content = content.encode("utf-8")
    elif isinstance(content, (bytearray, memoryview)):
        content = bytes(content)
    if not isinstance(content, bytes):
        return UNSIGNED_PAYLOAD  # a file object or an iterable: read only by the transport
    return hashlib.sha256(content).hexdigest()


def string_to_sign(method: str, url: str, content_hash: str, timestamp: str) -> str:
    """The six lines the signature covers (see the README)."""
    parts = urlsplit(url)
    return "\n".join(
        [ALGORITHM, timestamp, method.upper(), _canonical_path(parts.path), _canonical_query(parts.query), content_hash]
    )


class HMACAuth:
    """Signs method, path, query, body hash and a timestamp with a shared secret (HMAC-SHA256).

    Works on both clients: ``auth_flow`` (sync) and ``async_auth_flow`` (async)
    sign each attempt, so a retry carries a fresh timestamp.
    """

    genai_base_plugin_api = 1
    sensitive_headers = frozenset(
        {SIGNATURE_HEADER.lower(), TIMESTAMP_HEADER.lower(), KEY_ID_HEADER.lower(), CONTENT_HASH_HEADER.lower()}
    )
    sensitive_query_params: frozenset[str] = frozenset()

    def __init__(self, key_id: str, secret: Union[str, bytes], *, clock: Callable[[], float] = time.time) -> None:
        if not key_id or not isinstance(key_id, str):
            raise ValueError("HMACAuth needs a non-empty key_id")
        if not secret:
            raise ValueError("HMACAuth needs a non-empty secret")
        self.key_id = key_id
        self._secret = secret.encode("utf-8") if isinstance(secret, str) else bytes(secret)
        self._clock = clock

    def sign(self, request: PreparedRequest) -> PreparedRequest:
        """A copy of ``request`` with the signature headers."""
        timestamp = str(int(self._clock()))
        content_hash = body_sha256(request)
        message = string_to_sign(request.method, request.url, content_hash, timestamp)
        signature = hmac.new(self._secret, message.encode("utf-8"), hashlib.sha256).hexdigest()
        headers = {
            KEY_ID_HEADER: self.key_id,
            TIMESTAMP_HEADER: timestamp,
            CONTENT_HASH_HEADER: content_hash,
            SIGNATURE_HEADER: signature,
        }
        return request.with_headers(**headers)

    def auth_flow(self, request: PreparedRequest) -> Generator[PreparedRequest, ResponseHead, None]:
        """Sign the attempt (a signature cannot be refreshed: a 401 is final)."""
        yield self.sign(request)

    async def async_auth_flow(self, request: PreparedRequest) -> AsyncGenerator[PreparedRequest, ResponseHead]:
        """As :meth:`auth_flow`, for the async client."""
        yield self.sign(request)

    def __repr__(self) -> str:
        return f"HMACAuth(key_id={self.key_id!r}, secret=<redacted>)"


def from_settings(settings: Any) -> HMACAuth:
    """Factory for the ``hmac`` entry point: ``auth_options`` gives ``key_id`` and ``secret``."""
    options = dict(settings["auth_options"])
    missing = [name for name in ("key_id", "secret") if not options.get(name)]
    if missing:
        raise ValueError(f"auth 'hmac' needs auth_options.{' and auth_options.'.join(missing)}")
    unknown = set(options) - {"key_id", "secret"}
    if unknown:
        raise ValueError(f"auth 'hmac' takes auth_options key_id and secret, not {', '.join(sorted(unknown))}")
    return HMACAuth(str(options["key_id"]), options["secret"])
