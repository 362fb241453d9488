"""The one place secrets are hidden: headers, URLs (query values and passwords), free text.

Reprs, logs, hook records, error messages, the config report and the CLI all
call these, so a credential name added here is hidden everywhere at once.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

__all__ = [
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_QUERY_PARAMS",
    "redact_headers",
    "redact_url",
    "redact_proxy_url",
    "redact_text",
    "redact_error",
    "is_secret_header",
]

REDACTED = "<redacted>"

#: Header names whose values are credentials (lower case). Also what a redirect
#: to another origin drops, wherever the header came from.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-goog-api-key",
        "x-auth-token",
    }
)

#: Query parameter names whose values are credentials (compared in lower case).
SECRET_QUERY_PARAMS = frozenset({"key", "api_key", "apikey", "access_token", "token", "sig", "signature"})


def is_secret_header(name: str, extra: Iterable[str] = ()) -> bool:
    """True when ``name`` carries a credential (the built-in list or ``extra``)."""
    lower = name.lower()
    return lower in SECRET_HEADERS or lower in {e.lower() for e in extra}


def redact_headers(headers: Mapping[str, Any], extra: Iterable[str] = ()) -> dict[str, Any]:
    """A plain copy of ``headers`` whose credential values read ``<redacted>``."""
    secret = SECRET_HEADERS | {e.lower() for e in extra} if extra else SECRET_HEADERS
    return {k: (REDACTED if k.lower() in secret else v) for k, v in headers.items()}


def redact_url(url: str, secret: Iterable[str] = SECRET_QUERY_PARAMS) -> str:
    """``url`` with a password in its user info and credential query values replaced."""
    if "@" in url:
        url = _redact_userinfo(url)
    if "?" not in url:
        return url
    base, _, query = url.partition("?")
    names = {s.lower() for s in secret}
    pairs = [(k, REDACTED if k.lower() in names else v) for k, v in parse_qsl(query, keep_blank_values=True)]
    return f"{base}?{urlencode(pairs, safe='<>')}"


def _redact_userinfo(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"//[^/@]*@", f"//{REDACTED}@", url)
    if "@" not in parts.netloc:
        return url
    userinfo, _, hostport = parts.netloc.rpartition("@")
    user = userinfo.partition(":")[0] if ":" in userinfo else userinfo
    shown = f"{user}:{REDACTED}" if ":" in userinfo else REDACTED
    if not user:
        shown = REDACTED
    return urlunsplit(parts._replace(netloc=f"{shown}@{hostport}"))


def redact_proxy_url(url: str) -> str:
    """``url`` with all of its user info (name and password) replaced by ``<redacted>``."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return re.sub(r"//[^/@]*@", f"//{REDACTED}@", url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{REDACTED}@{host}"))


def redact_text(text: str, secret_params: Iterable[str] = ()) -> str:
    """``text`` (a message quoting URLs) with credential query values and URL passwords redacted."""
    names = SECRET_QUERY_PARAMS | {s.lower() for s in secret_params}
    pattern = r"([?&](?:" + "|".join(re.escape(n) for n in sorted(names)) + r")=)[^&#\s'\")]*"
    text = re.sub(pattern, rf"\1{REDACTED}", text, flags=re.IGNORECASE)
    return re.sub(r"(://[^/\s:@'\"]*:)[^/\s@'\"]*@", rf"\1{REDACTED}@", text)


def redact_error(error: BaseException, secret_params: Iterable[str] = ()) -> BaseException:
    """Redact credential query values and URL passwords from ``error``'s message in place (and return it).

    The exceptions it was raised from (``__cause__``, ``__context__``, and
    exceptions held in ``args``, as urllib3 and requests wrap theirs) are
    redacted too, so a traceback printed or recorded in a span does not
    quote the signed URL. (An exception that builds its text from other
    attributes at ``str()`` time cannot be reached this way.)
    """
    names = tuple(secret_params)
    seen: set[int] = set()
    todo = [error]
    while todo and len(seen) < 16:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        message = getattr(current, "message", None)
        if isinstance(message, str):
            cleaned = redact_text(message, names)
            if cleaned != message:
                try:
                    current.message = cleaned  # type: ignore[attr-defined]
                except AttributeError:  # a read-only property
                    pass
        try:
            current.args = tuple(redact_text(a, names) if isinstance(a, str) else a for a in current.args)
        except (AttributeError, TypeError):
            pass
        inner = (current.__cause__, current.__context__, *current.args)
        todo.extend(e for e in inner if isinstance(e, BaseException))
    return error
