"""What ``genai-base config`` shows: each setting's effective value, secrets redacted, and its source."""

from __future__ import annotations

from typing import Any, Mapping, NamedTuple, Optional

from ._config_values import PARSERS, SECRET_KEYS, redact_entry
from ._options import Timeout
from ._redact import REDACTED, redact_proxy_url
from ._settings import Settings

__all__ = ["ConfigEntry", "describe", "redact_proxy_url"]


class ConfigEntry(NamedTuple):
    """One key's effective value (secrets redacted) and its source."""

    value: Any
    source: str


def _plain_timeout(timeout: Timeout) -> Any:
    """A number when every phase has one value, else a mapping of the phases that differ."""
    base = timeout.timeout
    phases = {"connect": timeout.connect, "read": timeout.read, "write": timeout.write, "pool": timeout.pool}
    different = {k: v for k, v in phases.items() if v != base}
    if not different and timeout.total is None:
        return base
    out: dict[str, Any] = {"timeout": base, **different}
    if timeout.total is not None:
        out["total"] = timeout.total
    return out


def redact_value(key: str, value: Any) -> Any:
    """``value`` of ``key`` as it may be shown: credentials replaced by ``<redacted>``."""
    top = key.partition(".")[0]
    if top in SECRET_KEYS:
        if isinstance(value, Mapping):
            return {k: REDACTED for k in value}
        return REDACTED if value not in (None, {}, "") else value
    if top == "proxies":
        if isinstance(value, str):
            return redact_proxy_url(value)
        if isinstance(value, Mapping):
            return {k: redact_proxy_url(v) if isinstance(v, str) else REDACTED for k, v in value.items()}
    if isinstance(value, Timeout):
        return _plain_timeout(value)
    return _plain(value)


_PRIMITIVES = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    # A component given as an object shows its type, never its repr (which may hold a credential).
    if isinstance(value, _PRIMITIVES):
        return value
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    return f"<{type(value).__name__}>"


# Mapping-valued keys listed entry by entry (``retry_budget.capacity``, ``rate_limit.rps``, ...).
_LISTED_ENTRIES = ("retry_budget", "rate_limit")


def describe(target: Any, arguments: Optional[Mapping[str, Any]] = None) -> dict[str, ConfigEntry]:
    """Every configuration key's effective value and source, with secrets redacted.

    ``target`` is a ``ClientContainer`` (``arguments`` may add the
    constructor arguments a client would get), a client, or a
    :class:`Settings`. Entries of ``retry_budget`` and ``rate_limit`` are
    listed one by one as ``retry_budget.<entry>`` (the Redis URL in
    ``rate_limit.url`` without its password).
    """
    if isinstance(target, Settings):
        settings = target
    elif isinstance(getattr(target, "_settings", None), Settings):
        settings = target._settings
    else:
        settings = target.settings(arguments=dict(arguments or {}))
    out: dict[str, ConfigEntry] = {}
    for key in PARSERS:
        value = settings[key]
        if key in _LISTED_ENTRIES:
            for name, entry in value.items():
                sub = f"{key}.{name}"
                out[sub] = ConfigEntry(redact_entry(sub, entry), settings.source(sub))
            continue
        out[key] = ConfigEntry(redact_value(key, value), settings.source(key))
    return out
