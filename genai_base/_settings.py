"""Configuration keys, their defaults, parsing and validation, and where each value came from."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Optional

from ._errors import ConfigurationError

__all__ = ["DEFAULTS", "ENV_PREFIX", "Settings", "env_settings", "resolve_settings"]

ENV_PREFIX = "GENAI_BASE_"

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
    "timeout": None,
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
# Keys whose default means "not configured": the client's own default applies.
UNSET_BY_DEFAULT = frozenset({"timeout", "deadline"})


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
        number = int(value)
        if number < minimum:
            raise ValueError(f"must be >= {minimum}")
        return number

    return parse


def _seconds(value: Any) -> Optional[float]:
    if value is None or (isinstance(value, str) and value.strip().lower() in ("", "none")):
        return None
    if isinstance(value, bool):
        raise ValueError("expected a number of seconds")
    number = float(value)
    if not number >= 0 or number == float("inf"):
        raise ValueError("must be a non-negative finite number of seconds")
    return number


def _name(value: Any) -> Optional[str]:
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        return value  # an object given directly through from_dict()
    return value.strip()


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, (list, tuple)):
        return list(value)
    raise ValueError("expected a list of names or a comma-separated string")


def _mapping(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping")
    return dict(value)


def _verify(value: Any) -> Any:
    try:
        return _bool(value)
    except ValueError:
        if isinstance(value, str) and value:
            return value  # a CA bundle path
        raise


def _choice(*choices: str) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return str(value)

    return parse


def _budget(value: Any) -> dict[str, float]:
    if not isinstance(value, Mapping):
        raise ValueError("expected a mapping of capacity, retry_cost, timeout_retry_cost, success_refund")
    out = dict(DEFAULTS["retry_budget"])
    for key, item in value.items():
        if key not in out:
            raise ValueError(f"unknown retry_budget key {key!r}")
        number = _seconds(item)
        if number is None:
            raise ValueError(f"retry_budget.{key} needs a number")
        out[key] = number
    return out


PARSERS: dict[str, Callable[[Any], Any]] = {
    "session_factory": _name,
    "async_session_factory": _name,
    "serializer": _name,
    "serializers": _names,
    "retry_policy": _name,
    "paginator": _name,
    "auth": _name,
    "auth_options": _mapping,
    "hooks": _names,
    "max_retries": _int(0),
    "timeout": _seconds,
    "deadline": _seconds,
    "idempotency_header": _name,
    "max_redirects": _int(0),
    "retry_after_ceiling": _seconds,
    "pool_size": _int(1),
    "pool_keepalive": _int(0),
    "proxies": lambda v: v or None,
    "verify": _verify,
    "cert": _name,
    "trust_env": _bool,
    "query_array_format": _choice("comma", "repeat", "indices", "brackets"),
    "query_nested_format": _choice("brackets", "dots"),
    "retry_budget": _budget,
}


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
            found.setdefault(top, {})[sub] = value
        else:
            found[top] = value
    return found


@dataclass(frozen=True)
class Settings:
    """The validated configuration a client is built from, and each value's source."""

    values: Mapping[str, Any]
    sources: Mapping[str, str] = field(default_factory=dict)

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def is_set(self, key: str) -> bool:
        """True when some source (not the built-in default) gave ``key``."""
        return self.sources.get(key, "default") != "default"


def resolve_settings(config: Mapping[str, Any], env: Mapping[str, Any]) -> Settings:
    """Validate the container's merged configuration; tell each value's source.

    ``config`` holds every source merged (defaults < environment < files and
    dicts); ``env`` the environment's raw values, to tell sources apart.
    """
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}
    for key, parse in PARSERS.items():
        raw = config.get(key, DEFAULTS[key])
        if key in env and raw == env[key]:
            source = "environment"
        elif raw == DEFAULTS[key]:
            source = "default"
        else:
            source = "configuration"
        try:
            values[key] = parse(raw)
        except (TypeError, ValueError) as exc:
            where = f"environment variable {ENV_PREFIX}{key.upper()}" if source == "environment" else source
            raise ConfigurationError(f"invalid value for {key!r} from {where}: {raw!r} ({exc})") from exc
        sources[key] = source
    return Settings(values, sources)
