"""Configuration keys, their defaults, parsing and validation, and where each value came from.

Four sources, in rising precedence: built-in ``DEFAULTS``, ``GENAI_BASE_*``
environment variables, the configuration an application loads into the
container (``config.from_dict()/from_yaml()/from_ini()``), and client
constructor arguments. Every value may arrive as a string (environment
variables and ini files only have strings), so each parser accepts one.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, NamedTuple, Optional
from urllib.parse import urlsplit, urlunsplit

from ._errors import ConfigurationError
from ._options import DEFAULT_TIMEOUT, Timeout

__all__ = [
    "DEFAULTS",
    "ENV_PREFIX",
    "SOURCES",
    "ConfigEntry",
    "Settings",
    "describe",
    "env_settings",
    "resolve_settings",
]

ENV_PREFIX = "GENAI_BASE_"
SOURCES = ("default", "environment", "configuration", "argument")
# A section of that name in a yaml or ini file holds top-level keys (ini files have no top level).
CONFIG_SECTION = "genai_base"
REDACTED = "<redacted>"

DEFAULTS: dict[str, Any] = {
    "session_factory": "requests",
    "async_session_factory": "aiohttp",
    "serializer": "json",
    "serializers": [],
    "retry_policy": "exponential",
    "paginator": "cursor",
    "auth": None,
    "auth_options": {},
    "hooks": ["logging"],
    "max_retries": 5,
    "timeout": DEFAULT_TIMEOUT,
    "deadline": None,
    "idempotency_header": None,
    "max_redirects": 20,
    "retry_after_ceiling": 60.0,
    "pool_size": 100,
    "pool_keepalive": 20,
    "proxies": None,
    "verify": True,
    "cert": None,
    "trust_env": True,
    "query_array_format": "repeat",
    "query_nested_format": "brackets",
    "retry_budget": {"capacity": 500, "retry_cost": 5, "timeout_retry_cost": 10, "success_refund": 1},
}
# Mapping-valued keys whose entries merge across sources (an entry's own source is kept).
MERGED_KEYS = frozenset({"retry_budget", "auth_options"})
# Keys whose values are never shown: in ``describe``, in errors.
SECRET_KEYS = frozenset({"auth_options"})


# -- parsers: each takes a raw value (often a string) and returns the typed one ---------------


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


def _number(value: Any) -> float:
    number = _seconds(value)
    if number is None:
        raise ValueError("expected a non-negative number")
    return number


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
    "auth": _optional_name,
    "auth_options": _mapping,
    "hooks": _names,
    "max_retries": _int(0),
    "timeout": _timeout,
    "deadline": _seconds,
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
}
# Entries of merged keys that are parsed one by one (``None``: any entry, kept as given).
ENTRY_PARSERS: dict[str, Optional[dict[str, Callable[[Any], Any]]]] = {
    "retry_budget": {name: _number for name in DEFAULTS["retry_budget"]},
    "auth_options": None,
}


# -- sources -----------------------------------------------------------------------------


def env_settings(environ: Optional[Mapping[str, str]] = None) -> dict[str, Any]:
    """The settings given as ``GENAI_BASE_<KEY>`` variables (``__`` for a dot), as raw strings."""
    environ = os.environ if environ is None else environ
    found: dict[str, Any] = {}
    for name, value in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        key = name[len(ENV_PREFIX):].lower()
        top, _, sub = key.partition("__")
        if top not in PARSERS:
            continue  # e.g. GENAI_BASE_LOG, GENAI_BASE_DISABLE_PLUGINS: read elsewhere
        if sub:
            entry = found.setdefault(top, {})
            if isinstance(entry, dict):
                entry[sub] = value
        else:
            found[top] = value
    return found


def _flatten_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The application's configuration with a ``genai_base`` section lifted to the top level."""
    flat = {k: v for k, v in config.items() if k != CONFIG_SECTION}
    section = config.get(CONFIG_SECTION)
    if isinstance(section, Mapping):
        for key, value in section.items():
            top, sep, sub = str(key).replace("__", ".").partition(".")
            if sep:
                entry = flat.setdefault(top, {})
                if isinstance(entry, dict):
                    entry = flat[top] = dict(entry)
                    entry[sub] = value
                    continue
            flat[top] = value
    elif section is not None:
        raise ConfigurationError(f"the {CONFIG_SECTION!r} section of the configuration must be a mapping")
    unknown = sorted(set(flat) - set(PARSERS))
    if unknown:
        import difflib

        hints = []
        for key in unknown:
            close = difflib.get_close_matches(key, PARSERS, n=1)
            hints.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        raise ConfigurationError(
            f"unknown configuration key(s) from configuration: {', '.join(hints)}; known keys: {', '.join(PARSERS)}"
        )
    return flat


def _where(source: str, key: str) -> str:
    if source == "environment":
        return f"environment variable {ENV_PREFIX}{key.upper().replace('.', '__')}"
    if source == "argument":
        return "constructor argument"
    return source


def _shown(key: str, value: Any) -> str:
    return REDACTED if key.partition(".")[0] in SECRET_KEYS or key == "proxies" else repr(value)


def _invalid(key: str, source: str, raw: Any, reason: object) -> ConfigurationError:
    return ConfigurationError(
        f"invalid value for {key!r} from {_where(source, key)}: {_shown(key, raw)} ({reason})"
    )


@dataclass(frozen=True)
class Settings:
    """The validated configuration a client is built from, and each value's source.

    ``sources`` maps every key (and ``retry_budget.<entry>`` / ``auth_options.<entry>``)
    to one of ``default``, ``environment``, ``configuration``, ``argument``.
    """

    values: Mapping[str, Any]
    sources: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def __contains__(self, key: object) -> bool:
        return key in self.values

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key``, or ``default``."""
        return self.values.get(key, default)

    def source(self, key: str) -> str:
        """Where ``key``'s value came from."""
        return self.sources.get(key, "default")

    def is_set(self, key: str) -> bool:
        """True when some source (not the built-in default) gave ``key``."""
        return self.source(key) != "default"

    def __repr__(self) -> str:
        shown = {k: (REDACTED if k in SECRET_KEYS and v else v) for k, v in self.values.items()}
        return f"Settings({shown!r})"


def resolve_settings(
    config: Optional[Mapping[str, Any]],
    env: Optional[Mapping[str, Any]],
    arguments: Optional[Mapping[str, Any]] = None,
) -> Settings:
    """Validate defaults < ``env`` < ``config`` < ``arguments``, keeping each value's source.

    ``config`` is what the application loaded into the container (a
    ``genai_base`` section is lifted to the top level); ``env`` the raw
    values of ``GENAI_BASE_*`` variables (see :func:`env_settings`);
    ``arguments`` the client constructor's explicit arguments.
    """
    layers: list[tuple[str, Mapping[str, Any]]] = [
        ("default", DEFAULTS),
        ("environment", env or {}),
        ("configuration", _flatten_config(config or {})),
        ("argument", arguments or {}),
    ]
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, parse in PARSERS.items():
        if key in MERGED_KEYS:
            values[key], source = _merge_entries(key, layers, sources)
        else:
            source, raw = next((s, layer[key]) for s, layer in reversed(layers) if key in layer)
            try:
                values[key] = parse(raw)
            except (TypeError, ValueError) as exc:
                raise _invalid(key, source, raw, exc) from None
        sources[key] = source
    return Settings(values, sources)


def _merge_entries(key: str, layers: list[tuple[str, Mapping[str, Any]]], sources: dict[str, str]) -> tuple[Any, str]:
    merged: dict[str, Any] = {}
    top_source = "default"
    entry_parsers = ENTRY_PARSERS[key]
    for source, layer in layers:
        if key not in layer:
            continue
        raw = layer[key]
        try:
            entries = _mapping(raw)
        except ValueError as exc:
            raise _invalid(key, source, raw, exc) from None
        if source != "default" and entries:
            top_source = source
        for name, value in entries.items():
            name = str(name)
            if entry_parsers is not None:
                if name not in entry_parsers:
                    raise _invalid(f"{key}.{name}", source, value, f"unknown entry; known: {', '.join(entry_parsers)}")
                try:
                    value = entry_parsers[name](value)
                except (TypeError, ValueError) as exc:
                    raise _invalid(f"{key}.{name}", source, value, exc) from None
            merged[name] = value
            sources[f"{key}.{name}"] = source
    return merged, top_source


# -- describe: what ``genai-base config`` prints ---------------------------------------------


class ConfigEntry(NamedTuple):
    """One key's effective value (secrets redacted) and its source."""

    value: Any
    source: str


def _redact_proxy_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{REDACTED}@{host}"))


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
            return _redact_proxy_url(value)
        if isinstance(value, Mapping):
            return {k: _redact_proxy_url(v) if isinstance(v, str) else REDACTED for k, v in value.items()}
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


def describe(target: Any, arguments: Optional[Mapping[str, Any]] = None) -> dict[str, ConfigEntry]:
    """Every configuration key's effective value and source, with secrets redacted.

    ``target`` is a ``ClientContainer`` (``arguments`` may add the
    constructor arguments a client would get), a client, or a
    :class:`Settings`. Entries of ``retry_budget`` are listed one by one as
    ``retry_budget.<entry>``.
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
        if key == "retry_budget":
            for name, entry in value.items():
                sub = f"{key}.{name}"
                out[sub] = ConfigEntry(entry, settings.source(sub))
            continue
        out[key] = ConfigEntry(redact_value(key, value), settings.source(key))
    return out
