"""Parsers for configuration values: each takes a raw value (often a string) and returns the typed one.

Environment variables and ini files only carry strings, so every parser
accepts one; a parser raises ``ValueError`` saying what it expected.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

from ._options import Timeout
from ._redact import REDACTED, redact_proxy_url

# Keys whose values are never shown: in ``describe``, in errors.
SECRET_KEYS = frozenset({"auth_options"})


def redact_entry(key: str, value: Any) -> Any:
    """An entry of a mapping-valued key as it may be shown (a URL entry without its password)."""
    if key in URL_ENTRIES:
        return redact_proxy_url(value) if isinstance(value, str) else (None if value is None else REDACTED)
    return value


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if isinstance(value, str) and value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError("expected a boolean (true/false)")


def _int(minimum: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, (int, str)):
            raise ValueError("expected a whole number")
        try:
            number = int(value)
        except ValueError:
            raise ValueError("expected a whole number") from None
        if number < minimum:
            raise ValueError(f"must be >= {minimum}")
        return number

    return parse


def _is_none(value: Any) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in ("", "none", "null"))


def _seconds(value: Any) -> Optional[float]:
    if _is_none(value):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("expected a number of seconds")
    try:
        number = float(value)
    except ValueError:
        raise ValueError("expected a number of seconds") from None
    if not number >= 0 or number == float("inf"):
        raise ValueError("must be a non-negative finite number of seconds")
    return number


def _optional_positive_seconds(value: Any) -> Optional[float]:
    seconds = _seconds(value)
    if seconds == 0:
        raise ValueError("must be a positive number of seconds (or none)")
    return seconds


def _size(value: Any) -> Optional[int]:
    """A number of bytes (``none`` turns the bound off); a string may end in KiB, MiB or GiB."""
    if _is_none(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        for suffix, factor in (("kib", 1 << 10), ("mib", 1 << 20), ("gib", 1 << 30)):
            if text.lower().endswith(suffix):
                number = _int(1)(text[: -len(suffix)].strip())
                return number * factor
        return _int(1)(text)
    return _int(1)(value)


def _number(value: Any) -> float:
    number = _seconds(value)
    if number is None:
        raise ValueError("expected a non-negative number")
    return number


def _rate(value: Any) -> Optional[float]:
    """Requests per second: a positive finite number, or ``None`` (not set)."""
    if _is_none(value):
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError("expected a number of requests per second")
    try:
        number = float(value)
    except ValueError:
        raise ValueError("expected a number of requests per second") from None
    if not 0 < number < float("inf"):
        raise ValueError("must be a positive finite number of requests per second")
    return number


def _positive_seconds(value: Any) -> float:
    number = _number(value)
    if number == 0:
        raise ValueError("must be more than 0 seconds")
    return number


def _text(value: Any) -> Optional[str]:
    """A non-empty string, or ``None`` (not set)."""
    if _is_none(value):
        return None
    if not isinstance(value, str):
        raise ValueError("expected a string")
    return value.strip()


def _timeout(value: Any) -> Optional[Timeout]:
    """A :class:`Timeout` from a number, ``None``, a ``Timeout`` or a mapping of its fields."""
    if isinstance(value, Timeout):
        return value
    if isinstance(value, Mapping):
        fields = {"timeout", "connect", "read", "write", "pool", "total"}
        unknown = set(value) - fields
        if unknown:
            raise ValueError(f"unknown timeout field(s) {', '.join(sorted(map(str, unknown)))}")
        parsed = {k: _seconds(v) for k, v in value.items()}
        return Timeout(parsed.pop("timeout", None), **parsed)
    seconds = _seconds(value)
    return None if seconds is None else Timeout(seconds)


def _name(value: Any) -> Any:
    """A plugin name (``none`` is a name: the retry policy), or a component given directly."""
    if not isinstance(value, str):
        return value  # a component given directly (from_dict, an argument), or None
    return value.strip() or None


def _optional_name(value: Any) -> Any:
    """Like :func:`_name`, where ``none``/``null`` also mean "not set" (no auth, no header)."""
    return None if _is_none(value) else _name(value)


def _names(value: Any) -> list[Any]:
    if _is_none(value):
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        return [item.strip() if isinstance(item, str) else item for item in value]
    raise ValueError("expected a list of names or a comma-separated string")


def _mapping(value: Any) -> dict[str, Any]:
    if _is_none(value):
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping")
    return dict(value)


def _proxies(value: Any) -> Any:
    if _is_none(value):
        return None
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values()):
        return dict(value) or None
    raise ValueError("expected a proxy URL or a mapping of scheme to proxy URL")


def _verify(value: Any) -> Any:
    try:
        return _bool(value)
    except ValueError:
        if isinstance(value, str) and value.strip():
            return value.strip()  # a CA bundle path
        raise ValueError("expected true, false or a CA bundle path") from None


def _cert(value: Any) -> Any:
    if _is_none(value):
        return None
    if isinstance(value, str):
        parts = [p.strip() for p in value.split(",") if p.strip()]
        return parts[0] if len(parts) == 1 else tuple(parts)
    if isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ValueError("expected a certificate path or a (certificate, key) pair")


def _choice(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if isinstance(value, str):
            value = value.strip().lower()
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return str(value)

    return parse


PARSERS: dict[str, Callable[[Any], Any]] = {
    "session_factory": _name,
    "async_session_factory": _name,
    "serializer": _name,
    "serializers": _names,
    "retry_policy": _name,
    "paginator": _name,
    "stream_protocol": _name,
    "stream_reconnects": _int(0),
    "auth": _optional_name,
    "auth_options": _mapping,
    "hooks": _names,
    "policies": _names,
    "max_retries": _int(0),
    "timeout": _timeout,
    "deadline": _optional_positive_seconds,
    "max_response_size": _size,
    "idempotency_header": _optional_name,
    "max_redirects": _int(0),
    "retry_after_ceiling": _number,
    "pool_size": _int(1),
    "pool_keepalive": _int(0),
    "proxies": _proxies,
    "verify": _verify,
    "cert": _cert,
    "trust_env": _bool,
    "query_array_format": _choice("comma", "repeat", "indices", "brackets"),
    "query_nested_format": _choice("brackets", "dots"),
    "retry_budget": _mapping,
    "rate_limiter": _name,
    "rate_limit": _mapping,
}
# Entries of merged keys that are parsed one by one (``None``: any entry, kept as given).
ENTRY_PARSERS: dict[str, Optional[dict[str, Callable[[Any], Any]]]] = {
    "retry_budget": {name: _number for name in ("capacity", "retry_cost", "timeout_retry_cost", "success_refund")},
    "auth_options": None,
    "rate_limit": {
        "rps": _rate,
        "burst": _int(1),
        "key": _text,
        "url": _text,
        "fail_open": _bool,
        "redis_timeout": _positive_seconds,
        "lease": _int(0),
        "lease_window": _positive_seconds,
    },
}
# Entries whose values are URLs that may carry a password: shown with the user info redacted.
URL_ENTRIES = frozenset({"rate_limit.url"})

parse_mapping = _mapping
