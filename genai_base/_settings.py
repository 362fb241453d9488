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
from typing import Any, Mapping, Optional

from ._config_values import ENTRY_PARSERS, PARSERS, SECRET_KEYS, parse_mapping, redact_entry
from ._errors import ConfigurationError
from ._options import DEFAULT_MAX_RESPONSE_SIZE, DEFAULT_TIMEOUT
from ._redact import REDACTED

__all__ = [
    "DEFAULTS",
    "ENV_PREFIX",
    "SOURCES",
    "Settings",
    "env_settings",
    "resolve_settings",
]

ENV_PREFIX = "GENAI_BASE_"
SOURCES = ("default", "environment", "configuration", "argument")
# A section of that name in a yaml or ini file holds top-level keys (ini files have no top level).
CONFIG_SECTION = "genai_base"

DEFAULTS: dict[str, Any] = {
    "session_factory": "requests",
    "async_session_factory": "aiohttp",
    "serializer": "json",
    "serializers": [],
    "retry_policy": "exponential",
    "paginator": "cursor",
    "stream_protocol": "openai",
    "stream_reconnects": 3,
    "auth": None,
    "auth_options": {},
    "hooks": ["logging"],
    "policies": [],
    "max_retries": 5,
    "timeout": DEFAULT_TIMEOUT,
    "deadline": None,
    "idempotency_header": None,
    "max_redirects": 20,
    "max_response_size": DEFAULT_MAX_RESPONSE_SIZE,
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
    "rate_limiter": "none",
    # rps: requests per second (None: the limiter says it needs one); key None: the base URL's origin.
    "rate_limit": {
        "rps": None, "burst": 1, "key": None, "url": None, "fail_open": True, "redis_timeout": 0.1,
        "lease": 8, "lease_window": 0.005,
    },
}
# Mapping-valued keys whose entries merge across sources (an entry's own source is kept).
MERGED_KEYS = frozenset({"retry_budget", "auth_options", "rate_limit"})

# -- sources -----------------------------------------------------------------------------


class EnvLayer(dict):  # type: ignore[type-arg]
    """Settings read from environment variables, remembering the prefix they were read with."""

    def __init__(self, prefix: str = "GENAI_BASE_") -> None:
        super().__init__()
        self.prefix = prefix


def env_settings(environ: Optional[Mapping[str, str]] = None, prefix: Optional[str] = None) -> dict[str, Any]:
    """The settings given as ``<prefix><KEY>`` variables (``__`` for a dot), as raw strings.

    ``prefix`` is a client class's ``env_prefix`` (default ``GENAI_BASE_``), so two SDKs
    built on the library read their own variables.
    """
    environ = os.environ if environ is None else environ
    prefix = ENV_PREFIX if prefix is None else prefix
    found: dict[str, Any] = EnvLayer(prefix)
    for name, value in environ.items():
        if not name.startswith(prefix):
            continue
        key = name[len(prefix):].lower()
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


def _where(source: str, key: str, prefix: str = "GENAI_BASE_") -> str:
    if source == "environment":
        return f"environment variable {prefix}{key.upper().replace('.', '__')}"
    if source == "argument":
        return "constructor argument"
    return source


def _shown(key: str, value: Any) -> str:
    if key.partition(".")[0] in SECRET_KEYS or key in ("proxies", "rate_limit"):
        return REDACTED
    return repr(redact_entry(key, value))


def _invalid(key: str, source: str, raw: Any, reason: object, prefix: str = "GENAI_BASE_") -> ConfigurationError:
    return ConfigurationError(
        f"invalid value for {key!r} from {_where(source, key, prefix)}: {_shown(key, raw)} ({reason})"
    )


@dataclass(frozen=True)
class Settings:
    """The validated configuration a client is built from, and each value's source.

    ``sources`` maps every key (and ``retry_budget.<entry>`` / ``auth_options.<entry>``)
    to one of ``default``, ``environment``, ``configuration``, ``argument``.
    """

    values: Mapping[str, Any]
    sources: Mapping[str, str] = field(default_factory=dict)
    #: The prefix of the environment variables these settings were read from.
    env_prefix: str = "GENAI_BASE_"
    #: The logger the client's logging hook writes to.
    logger_name: str = "genai_base"

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

    def with_arguments(self, arguments: Mapping[str, Any]) -> "Settings":
        """These settings with constructor ``arguments`` laid on top (a copy of a client reuses its settings)."""
        values, sources = dict(self.values), dict(self.sources)
        for key, raw in arguments.items():
            try:
                values[key] = PARSERS[key](raw)
            except (TypeError, ValueError) as exc:
                raise _invalid(key, "argument", raw, exc) from None
            sources[key] = "argument"
        return Settings(values, sources, self.env_prefix, self.logger_name)

    def __repr__(self) -> str:
        shown = {k: (REDACTED if k in SECRET_KEYS and v else v) for k, v in self.values.items()}
        limits = shown.get("rate_limit")
        if isinstance(limits, Mapping):
            shown["rate_limit"] = {k: redact_entry(f"rate_limit.{k}", v) for k, v in limits.items()}
        return f"Settings({shown!r})"


def resolve_settings(
    config: Optional[Mapping[str, Any]],
    env: Optional[Mapping[str, Any]],
    arguments: Optional[Mapping[str, Any]] = None,
    *,
    logger_name: str = "genai_base",
) -> Settings:
    """Validate defaults < ``env`` < ``config`` < ``arguments``, keeping each value's source.

    ``config`` is what the application loaded into the container (a
    ``genai_base`` section is lifted to the top level); ``env`` the raw
    values of ``GENAI_BASE_*`` variables (see :func:`env_settings`);
    ``arguments`` the client constructor's explicit arguments;
    ``logger_name`` the logger the client's logging hook writes to.
    """
    prefix = getattr(env, "prefix", ENV_PREFIX)
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
            values[key], source = _merge_entries(key, layers, sources, prefix)
        else:
            source, raw = next((s, layer[key]) for s, layer in reversed(layers) if key in layer)
            try:
                values[key] = parse(raw)
            except (TypeError, ValueError) as exc:
                raise _invalid(key, source, raw, exc, prefix) from None
        sources[key] = source
    return Settings(values, sources, env_prefix=prefix, logger_name=logger_name)


def _merge_entries(
    key: str, layers: list[tuple[str, Mapping[str, Any]]], sources: dict[str, str], prefix: str
) -> tuple[Any, str]:
    merged: dict[str, Any] = {}
    top_source = "default"
    entry_parsers = ENTRY_PARSERS[key]
    for source, layer in layers:
        if key not in layer:
            continue
        raw = layer[key]
        try:
            entries = parse_mapping(raw)
        except ValueError as exc:
            raise _invalid(key, source, raw, exc, prefix) from None
        if source != "default" and entries:
            top_source = source
        for name, value in entries.items():
            name = str(name)
            if entry_parsers is not None:
                if name not in entry_parsers:
                    known = ", ".join(entry_parsers)
                    raise _invalid(f"{key}.{name}", source, value, f"unknown entry; known: {known}", prefix)
                try:
                    value = entry_parsers[name](value)
                except (TypeError, ValueError) as exc:
                    raise _invalid(f"{key}.{name}", source, value, exc, prefix) from None
            merged[name] = value
            sources[f"{key}.{name}"] = source
    return merged, top_source
