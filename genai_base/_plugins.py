"""Component discovery through ``importlib.metadata`` entry points.

Entry points are scanned once per process, on first use; a plugin's module
is imported only when it is selected, and never when it is disabled.
"""

from __future__ import annotations

import functools
import inspect
import os
import re
from dataclasses import dataclass
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Callable, Optional

from ._errors import PluginConflictError, PluginLoadError, PluginNotFoundError

__all__ = ["GROUPS", "PLUGIN_API_VERSION", "PluginInfo", "discover", "select", "load", "disabled_specs"]

GROUP_PREFIX = "genai_base."
GROUPS = (
    "session_factories",
    "async_session_factories",
    "serializers",
    "retry_policies",
    "paginators",
    "auth",
    "hooks",
)
PLUGIN_API_VERSION = 1
BUILTIN_DISTRIBUTION = "genai-base"
DISABLE_ENV = "GENAI_BASE_DISABLE_PLUGINS"


def _normalize(dist: str) -> str:
    return re.sub(r"[-_.]+", "-", dist).lower()


@dataclass(frozen=True)
class PluginInfo:
    """One discovered component: its group, name and the distribution offering it."""

    group: str
    name: str
    value: str
    distribution: str
    version: str
    entry_point: EntryPoint

    @property
    def builtin(self) -> bool:
        """True for the components genai_base itself ships."""
        return _normalize(self.distribution) == BUILTIN_DISTRIBUTION

    @property
    def label(self) -> str:
        """``group:name`` from ``distribution version``, for messages."""
        return f"{self.group}:{self.name} (from {self.distribution} {self.version})"


@functools.cache
def discover() -> dict[str, tuple[PluginInfo, ...]]:
    """Every component offered in every group, without importing any of them."""
    found: dict[str, list[PluginInfo]] = {group: [] for group in GROUPS}
    seen: set[tuple[str, str, str]] = set()
    for group in GROUPS:
        for ep in entry_points(group=GROUP_PREFIX + group):
            dist = ep.dist
            dist_name = dist.metadata["Name"] if dist is not None else "unknown"
            key = (group, ep.name, _normalize(dist_name))
            if key in seen:  # the same distribution seen twice on sys.path
                continue
            seen.add(key)
            version = dist.version if dist is not None else "?"
            found[group].append(PluginInfo(group, ep.name, ep.value, dist_name, version, ep))
    return {group: tuple(sorted(items, key=lambda p: (p.name, p.distribution))) for group, items in found.items()}


def disabled_specs(environ: Optional[dict[str, str]] = None) -> frozenset[str]:
    """The entries of ``GENAI_BASE_DISABLE_PLUGINS``, normalized."""
    raw = (environ if environ is not None else os.environ).get(DISABLE_ENV, "")
    return frozenset(part.strip() for part in raw.split(",") if part.strip())


def is_disabled(info: PluginInfo, disabled: frozenset[str]) -> bool:
    """True when ``info`` is turned off by a ``group:name``, distribution name or ``*``."""
    if not disabled or info.builtin:
        return False
    if "*" in disabled:
        return True
    names = {f"{info.group}:{info.name}", f"{GROUP_PREFIX}{info.group}:{info.name}"}
    return bool(names & disabled) or any(_normalize(d) == _normalize(info.distribution) for d in disabled)


def select(group: str, spec: str, disabled: Optional[frozenset[str]] = None) -> PluginInfo:
    """The one plugin ``spec`` (``name`` or ``distribution:name``) names in ``group``."""
    if group not in GROUPS:
        raise PluginNotFoundError(f"unknown plugin group {group!r}; groups: {', '.join(GROUPS)}")
    disabled = disabled_specs() if disabled is None else disabled
    dist_part, _, name = spec.rpartition(":")
    offered = discover()[group]
    candidates = [p for p in offered if p.name == name]
    if dist_part:
        candidates = [p for p in candidates if _normalize(p.distribution) == _normalize(dist_part)]
    enabled = [p for p in candidates if not is_disabled(p, disabled)]
    if not enabled:
        available = sorted({p.name for p in offered if not is_disabled(p, disabled)})
        why = " (it is disabled by GENAI_BASE_DISABLE_PLUGINS)" if candidates else ""
        raise PluginNotFoundError(
            f"no {group} plugin named {spec!r}{why}; available: {', '.join(available) or '(none)'}"
        )
    if len(enabled) > 1:
        dists = ", ".join(f"{p.distribution} {p.version}" for p in enabled)
        choices = ", ".join(f"'{p.distribution}:{p.name}'" for p in enabled)
        raise PluginConflictError(
            f"{group} plugin {name!r} is offered by several distributions ({dists}); choose one as {choices}"
        )
    return enabled[0]


def load(info: PluginInfo, check: Optional[Callable[[Any], bool]] = None, **kwargs: Any) -> Any:
    """Import ``info``'s object and make the component: classes and factories are called."""
    try:
        obj = info.entry_point.load()
    except Exception as exc:
        raise PluginLoadError(f"{info.label} failed to import: {type(exc).__name__}: {exc}") from exc
    api = getattr(obj, "genai_base_plugin_api", PLUGIN_API_VERSION)
    if api != PLUGIN_API_VERSION:
        raise PluginLoadError(
            f"{info.label} was written for plugin API {api!r}; this genai_base provides {PLUGIN_API_VERSION}"
        )
    component = obj
    if isinstance(obj, type) or (check is not None and not check(obj) and callable(obj)):
        try:
            component = obj(**_accepted(obj, kwargs))
        except Exception as exc:
            raise PluginLoadError(f"{info.label} could not be created: {type(exc).__name__}: {exc}") from exc
    if check is not None and not check(component):
        raise PluginLoadError(f"{info.label} does not provide what the {info.group} group needs: got {component!r}")
    return component


def _accepted(factory: Any, kwargs: dict[str, Any]) -> dict[str, Any]:
    # Factories take the settings they name; a plain class takes none it doesn't declare.
    try:
        params = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return {}
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values()):
        return kwargs
    return {k: v for k, v in kwargs.items() if k in params}
