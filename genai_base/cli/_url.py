"""The URL of ``genai-base request``: checked, split into the client's base URL and the path, credentials taken out.

Credentials written in the URL (``https://user:password@host/...``) become
HTTP basic auth: an ``Authorization: Basic ...`` header on the request, with
the userinfo removed from the URL (so that it is never logged, shown in an
error, or sent to another origin by a redirect: the library drops
``Authorization`` there).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from typing import Optional
from urllib.parse import SplitResult, unquote, urlsplit, urlunsplit

from ._common import UsageError

__all__ = ["Target", "parse_target", "shown"]

_SCHEMES = ("http", "https")
_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)([^/?#@]*)@")
_UNSAFE = re.compile(r"[\x00-\x20\x7f]")


@dataclass(frozen=True)
class Target:
    """Where the request goes: the client's base URL, the path with its query, and basic auth if any."""

    origin: str
    path: str
    authorization: Optional[str] = None


def shown(url: str) -> str:
    """``url`` as it may be printed: a password in it replaced by ``<redacted>``."""
    match = _USERINFO.match(url)
    if not match:
        return url
    user, sep, _ = match.group(2).partition(":")
    return f"{match.group(1)}{user}{':<redacted>' if sep else ''}@{url[match.end():]}"


def parse_target(url: str, prog: str) -> Target:
    """``url`` checked and split; a :class:`UsageError` saying what is wrong otherwise."""

    def wrong(what: str) -> UsageError:
        return UsageError(f"{what}: {shown(url)!r}", prog)

    if _UNSAFE.search(url):
        raise wrong("the URL contains a space or a control character (quote it, or encode it as %20)")
    try:
        parts = urlsplit(url)
        port = parts.port  # validates the port
    except ValueError as exc:
        raise wrong(f"invalid URL ({exc})") from None
    if not parts.scheme or "//" not in url:
        raise wrong("the URL must be absolute, like https://host/path")
    if parts.scheme.lower() not in _SCHEMES:
        raise wrong(f"unsupported URL scheme {parts.scheme!r} (use http:// or https://)")
    if not parts.hostname:
        raise wrong("the URL has no host")
    if port == 0:
        raise wrong("port 0 cannot be connected to")
    authorization = _basic_auth(parts) if "@" in parts.netloc else None
    netloc = parts.netloc.rpartition("@")[2]
    origin = urlunsplit((parts.scheme.lower(), netloc, "", "", ""))
    path = urlunsplit(("", "", parts.path or "/", parts.query, ""))
    return Target(origin, path, authorization)


def _basic_auth(parts: SplitResult) -> str:
    # RFC 3986 userinfo is percent-encoded; basic auth carries it decoded (RFC 7617), as curl does.
    user = unquote(parts.username or "")
    password = unquote(parts.password or "")
    token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
    return f"Basic {token}"
