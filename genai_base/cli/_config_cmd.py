"""``genai-base config``: the effective configuration, where each value came from, secrets redacted."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Any, Mapping, Optional

from .._config_report import redact_proxy_url
from ._common import PROG, UsageError, one_line, to_json
from ._plugins_cmd import GROUP_SETTINGS

__all__ = ["add_parser", "run", "redact", "REDACTED"]

REDACTED = "<redacted>"
_SECRET_WORDS = ("key", "token", "secret", "password", "passwd", "credential", "signature", "cookie", "auth")
# auth_options entries that name where a credential goes, not the credential itself.
_PUBLIC_AUTH_OPTIONS = frozenset({"header", "query_param", "scheme", "prefix"})
_COMPONENT_KEYS = frozenset(key for keys in GROUP_SETTINGS.values() for key in keys)
# Variables read outside the settings table.
_OTHER_VARIABLES = ("GENAI_BASE_DISABLE_PLUGINS", "GENAI_BASE_LOG")


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "config",
        help="show the effective configuration and where each value came from",
        description=(
            "Show every setting a client would be built with, where it came from (default, environment, "
            "file) and which plugin each component setting selects. Secrets are redacted. Exits 1 when the "
            "configuration is invalid."
        ),
    )
    parser.add_argument("--file", metavar="PATH", help="also load a configuration file (.yaml, .yml, .json or .ini)")
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def _secret_name(name: str) -> bool:
    lowered = name.lower()
    return any(word in lowered for word in _SECRET_WORDS)


def redact(key: str, value: Any) -> Any:
    """``value`` of setting ``key`` with credentials replaced by ``<redacted>``."""
    if key == "auth_options" and isinstance(value, Mapping):
        return {k: (v if k in _PUBLIC_AUTH_OPTIONS else REDACTED) for k, v in value.items()}
    if key == "proxies":
        if isinstance(value, str):
            return redact_proxy_url(value)
        if isinstance(value, Mapping):
            return {k: redact_proxy_url(v) if isinstance(v, str) else v for k, v in value.items()}
    if isinstance(value, Mapping):
        return {k: (REDACTED if _secret_name(str(k)) else redact(str(k), v)) for k, v in value.items()}
    if isinstance(value, str) and "://" in value:
        return redact_proxy_url(value)
    if key.partition(".")[0] in _COMPONENT_KEYS:
        if isinstance(value, (list, tuple)):
            return [v if isinstance(v, str) else f"<{type(v).__name__} object>" for v in value]
        if value is not None and not isinstance(value, str):
            return f"<{type(value).__name__} object>"  # a component given in code: its repr may hold a secret
    if not isinstance(value, (str, int, float, bool, list, tuple, type(None))):
        return repr(value)  # e.g. a Timeout
    return value


def _load_file(container: Any, path: str) -> None:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"no such configuration file: {path}")
    ext = os.path.splitext(path)[1].lower()
    if ext in (".yaml", ".yml"):
        try:
            import yaml  # noqa: F401
        except ImportError:
            raise RuntimeError("reading YAML needs PyYAML: pip install 'genai-base[yaml]'") from None
        container.config.from_yaml(path, required=True)
    elif ext == ".json":
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
        if not isinstance(data, dict):
            raise ValueError(f"{path}: a configuration file holds a JSON object")
        container.config.from_dict(data)
    elif ext in (".ini", ".cfg"):
        container.config.from_ini(path, required=True)
    else:
        raise UsageError(f"cannot tell the format of {path!r}: use .yaml, .yml, .json or .ini", f"{PROG} config")


def _source_label(key: str, source: str, file: Optional[str]) -> str:
    if source == "configuration" and file:
        return f"file {file}"
    if source == "environment":
        return f"environment (GENAI_BASE_{key.upper().replace('.', '__')})"
    return source


def _describe_rows(settings: Any) -> Optional[list[tuple[str, Any, str]]]:
    """Rows from ``genai_base._settings``'s own describe function, when it has one of a known shape."""
    from .. import _settings

    describe = getattr(_settings, "describe_settings", None) or getattr(_settings, "describe", None)
    if not callable(describe):
        return None
    try:
        described = describe(settings)
    except TypeError:
        return None
    rows: list[tuple[str, Any, str]] = []
    items = described.items() if isinstance(described, Mapping) else None
    if items is not None:
        for key, entry in items:
            if isinstance(entry, Mapping) and "value" in entry and "source" in entry:
                rows.append((str(key), entry["value"], str(entry["source"])))
            elif isinstance(entry, (tuple, list)) and len(entry) == 2:
                rows.append((str(key), entry[0], str(entry[1])))
            else:
                return None
        return rows
    if isinstance(described, (list, tuple)):
        for entry in described:
            key = getattr(entry, "key", None)
            if key is None or not hasattr(entry, "value") or not hasattr(entry, "source"):
                return None
            rows.append((str(key), entry.value, str(entry.source)))
        return rows
    return None


def collect(file: Optional[str] = None) -> tuple[dict[str, Any], list[str]]:
    """The effective configuration as data, and the problems found in it."""
    from .. import _plugins, _settings
    from .._container import ClientContainer

    container = ClientContainer()
    if file:
        _load_file(container, file)
    settings = container.settings()  # raises ConfigurationError on an invalid value
    rows = _describe_rows(settings)
    if rows is None:
        rows = [(key, settings.values[key], settings.sources.get(key, "default")) for key in settings.values]
    problems: list[str] = []
    result: dict[str, Any] = {"settings": {}, "components": {}, "other_variables": {}, "unknown_variables": []}
    for key, value, source in rows:
        result["settings"][key] = {"value": redact(key, value), "source": _source_label(key, source, file)}

    disabled = _plugins.disabled_specs()
    for group, keys in GROUP_SETTINGS.items():
        for key in keys:
            value = settings.values.get(key)
            specs = value if isinstance(value, (list, tuple)) else [value]
            chosen: list[str] = []
            for spec in specs:
                if not isinstance(spec, str) or not spec:
                    if spec is not None:
                        chosen.append(f"{type(spec).__name__} object given in code")
                    continue
                try:
                    info = _plugins.select(group, spec, disabled)
                except Exception as exc:
                    problems.append(one_line(str(exc)))
                    chosen.append(f"{spec}: not usable")
                    continue
                chosen.append(f"{info.name} from {info.distribution} {info.version} ({info.value})")
            result["components"][key] = chosen

    for name in _OTHER_VARIABLES:
        if name in os.environ:
            result["other_variables"][name] = os.environ[name]
    known = {_settings.ENV_PREFIX + key.upper() for key in settings.values}
    for name in sorted(os.environ):
        if not name.startswith(_settings.ENV_PREFIX) or name in _OTHER_VARIABLES:
            continue
        top = name.split("__", 1)[0] if "__" in name[len(_settings.ENV_PREFIX) :] else name
        if name not in known and top not in known:
            result["unknown_variables"].append(name)
    return result, problems


def _show(value: Any) -> str:
    if value is None:
        return "(not set)"
    if isinstance(value, str):
        return value
    return to_json(value, indent=None)


def render(result: dict[str, Any]) -> str:
    """The configuration as aligned text."""
    settings = result["settings"]
    key_w = max([len(k) for k in settings] + [7])
    value_w = min(max([len(_show(s["value"])) for s in settings.values()] + [5]), 48)
    lines = [f"{'setting':<{key_w}}  {'value':<{value_w}}  source"]
    for key, entry in settings.items():
        lines.append(f"{key:<{key_w}}  {_show(entry['value']):<{value_w}}  {entry['source']}")
    lines += ["", "components selected by name:"]
    for key, chosen in result["components"].items():
        lines.append(f"  {key:<{key_w}}  {', '.join(chosen) if chosen else '(none)'}")
    if result["other_variables"]:
        lines += ["", "other variables:"]
        lines += [f"  {name}={value}" for name, value in result["other_variables"].items()]
    return "\n".join(lines) + "\n"


def run(args: argparse.Namespace) -> int:
    result, problems = collect(args.file)
    if args.json:
        print(to_json({**result, "problems": problems}))
    else:
        sys.stdout.write(render(result))
    for name in result["unknown_variables"]:
        print(f"{PROG}: warning: {name} is not a genai_base setting and is ignored", file=sys.stderr)
    for problem in problems:
        print(f"{PROG}: error: {problem}", file=sys.stderr)
    return 1 if problems else 0
