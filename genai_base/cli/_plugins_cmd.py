"""``genai-base plugins``: every discovered component per group, and which are selected or disabled."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Optional

from ._common import PROG, one_line, to_json

__all__ = ["add_parser", "run", "GROUP_SETTINGS", "collect"]

# The configuration keys that choose components of each group.
GROUP_SETTINGS: dict[str, tuple[str, ...]] = {
    "session_factories": ("session_factory",),
    "async_session_factories": ("async_session_factory",),
    "serializers": ("serializer", "serializers"),
    "retry_policies": ("retry_policy",),
    "paginators": ("paginator",),
    "stream_protocols": ("stream_protocol",),
    "auth": ("auth",),
    "hooks": ("hooks",),
    "policies": ("policies",),
    "rate_limiters": ("rate_limiter",),
}


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "plugins",
        help="list every discovered component per group",
        description=(
            "List every component found through the genai_base.* entry-point groups, with the distribution "
            "and version offering it, and whether it is built in, selected by the configuration, or disabled "
            "by GENAI_BASE_DISABLE_PLUGINS. Nothing is imported."
        ),
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    return parser


def _specs(settings: Any, group: str) -> list[str]:
    specs: list[str] = []
    for key in GROUP_SETTINGS.get(group, ()):
        value = settings[key]
        values = value if isinstance(value, (list, tuple)) else [value]
        specs.extend(v for v in values if isinstance(v, str) and v)
    return specs


def collect() -> dict[str, Any]:
    """The listing as data: ``{"groups": {group: [entry, ...]}, "disabled_specs": [...], "problems": [...]}``."""
    from .. import _plugins
    from .._container import ClientContainer

    found = _plugins.discover()
    # Read with an explicit environment: the unknown entries are listed here, not logged as well.
    disabled = _plugins.disabled_specs(os.environ)
    problems = [
        f"{_plugins.DISABLE_ENV} entry {entry!r} matches no installed plugin and is ignored"
        for entry in _plugins.unknown_disabled(disabled)
    ]
    selected: set[tuple[str, str, str]] = set()
    settings: Optional[Any] = None
    try:
        settings = ClientContainer().settings()
    except Exception as exc:  # a bad configuration still leaves the listing useful
        problems.append(f"cannot tell which plugins are selected: {one_line(str(exc))}")
    if settings is not None:
        for group in found:
            for spec in _specs(settings, group):
                try:
                    info = _plugins.select(group, spec, disabled)
                except Exception as exc:
                    problems.append(one_line(str(exc)))
                    continue
                selected.add((info.group, info.name, info.distribution))
    groups: dict[str, list[dict[str, Any]]] = {}
    for group, infos in found.items():
        groups[group] = [
            {
                "name": info.name,
                "value": info.value,
                "distribution": info.distribution,
                "version": info.version,
                "builtin": info.builtin,
                "selected": (info.group, info.name, info.distribution) in selected,
                "disabled": _plugins.is_disabled(info, disabled),
            }
            for info in infos
        ]
    return {"groups": groups, "disabled_specs": sorted(disabled), "problems": problems}


def _flags(entry: dict[str, Any]) -> str:
    flags = [name for name in ("builtin", "selected", "disabled") if entry[name]]
    return ", ".join("built-in" if flag == "builtin" else flag for flag in flags)


def render(listing: dict[str, Any]) -> str:
    """The listing as aligned text, one block per group."""
    rows = [entry for entries in listing["groups"].values() for entry in entries]
    name_w = max([len(e["name"]) for e in rows] + [4])
    dist_w = max([len(f"{e['distribution']} {e['version']}") for e in rows] + [12])
    flag_w = max([len(_flags(e)) for e in rows] + [5])
    lines: list[str] = []
    for group, entries in listing["groups"].items():
        lines.append(f"{group} (entry-point group genai_base.{group})")
        if not entries:
            lines.append("  (none)")
        for e in entries:
            dist = f"{e['distribution']} {e['version']}"
            lines.append(f"  {e['name']:<{name_w}}  {dist:<{dist_w}}  {_flags(e):<{flag_w}}  {e['value']}".rstrip())
        lines.append("")
    if listing["disabled_specs"]:
        lines.append(f"GENAI_BASE_DISABLE_PLUGINS: {', '.join(listing['disabled_specs'])}")
    return "\n".join(lines).rstrip() + "\n"


def run(args: argparse.Namespace) -> int:
    listing = collect()
    if args.json:
        print(to_json(listing))
    else:
        sys.stdout.write(render(listing))
    for problem in listing["problems"]:
        print(f"{PROG}: warning: {problem}", file=sys.stderr)
    return 0
