"""Component discovery through ``importlib.metadata`` entry points.

Entry points are scanned once per process, on first use (:func:`discover` is
cached; call ``discover.cache_clear()`` after installing a distribution at
run time). A plugin's module is imported only when it is selected, and never
when it is disabled by ``GENAI_BASE_DISABLE_PLUGINS``: a comma list whose
entries are ``group:name`` (one plugin), a bare ``name`` (that name in every
group), a distribution name (everything it offers), ``distribution:name``,
or ``*`` (every plugin that is not part of genai_base itself). An entry that
matches nothing installed is reported once, as a warning on the
``genai_base`` logger, and otherwise ignored.

A plugin may declare the plugin API it was written for with a module or
object attribute ``genai_base_plugin_api = 1`` (or a tuple of versions);
an incompatible one raises :class:`PluginLoadError`.
"""

from __future__ import annotations

import functools
import inspect
import logging
import os
import re
import sys
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Mapping, Optional

from ._errors import PluginConflictError, PluginLoadError, PluginNotFoundError

if TYPE_CHECKING:
    from importlib.metadata import EntryPoint

__all__ = [
    "GROUPS",
    "PLUGIN_API_VERSION",
    "PluginInfo",
    "discover",
    "select",
    "load",
    "disabled_specs",
    "is_disabled",
    "is_disabled_spec",
    "unknown_disabled",
]

log = logging.getLogger("genai_base")

GROUP_PREFIX = "genai_base."
GROUPS = (
    "session_factories",
    "async_session_factories",
    "serializers",
    "retry_policies",
    "paginators",
    "stream_protocols",
    "auth",
    "hooks",
    "policies",
    "rate_limiters",
)
PLUGIN_API_VERSION = 1
API_ATTRIBUTE = "genai_base_plugin_api"
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
    def module(self) -> str:
        """The module the entry point imports (``pkg.mod`` of ``pkg.mod:obj``)."""
        return self.value.partition(":")[0].strip()

    @property
    def label(self) -> str:
        """``group:name`` from ``distribution version``, for messages."""
        return f"{self.group}:{self.name} (from distribution {self.distribution} {self.version})"


@functools.cache
def discover() -> dict[str, tuple[PluginInfo, ...]]:
    """Every component offered in every group, without importing any of them (scanned once)."""
    from importlib.metadata import entry_points  # only when a client is first built: keeps the import light

    found: dict[str, list[PluginInfo]] = {group: [] for group in GROUPS}
    seen: set[tuple[str, str, str]] = set()
    every = entry_points()
    for group in GROUPS:
        for ep in every.select(group=GROUP_PREFIX + group):
            dist = ep.dist
            dist_name = dist.metadata["Name"] if dist is not None else "unknown"
            key = (group, ep.name, _normalize(dist_name))
            if key in seen:  # the same distribution seen twice on sys.path
                continue
            seen.add(key)
            version = dist.version if dist is not None else "?"
            found[group].append(PluginInfo(group, ep.name, ep.value, dist_name, version, ep))
    return {group: tuple(sorted(items, key=lambda p: (p.name, p.distribution))) for group, items in found.items()}


# The entries already reported as matching nothing: each is reported once per process.
_reported: set[str] = set()


def disabled_specs(environ: Optional[Mapping[str, str]] = None) -> frozenset[str]:
    """The entries of ``GENAI_BASE_DISABLE_PLUGINS``.

    Read from the process environment (``environ`` not given), an entry that
    matches no installed plugin is logged as a warning, once.
    """
    raw = (environ if environ is not None else os.environ).get(DISABLE_ENV, "")
    disabled = frozenset(part.strip() for part in raw.split(",") if part.strip())
    if environ is None and disabled - _reported:
        for entry in unknown_disabled(disabled):
            if entry not in _reported:
                _reported.add(entry)
                log.warning(
                    "%s entry %r matches no installed plugin and is ignored "
                    "(entries are group:name, name, distribution, distribution:name or *)",
                    DISABLE_ENV,
                    entry,
                )
    return disabled


def _matches(entry: str, info: PluginInfo) -> bool:
    """Whether one entry other than ``*`` names ``info``."""
    left, sep, name = entry.rpartition(":")
    if not sep:  # a bare plugin name (any group) or a distribution
        return entry == info.name or _normalize(entry) == _normalize(info.distribution)
    if name != info.name:
        return False
    group = left[len(GROUP_PREFIX):] if left.startswith(GROUP_PREFIX) else left
    return group == info.group or _normalize(left) == _normalize(info.distribution)


def is_disabled(info: PluginInfo, disabled: frozenset[str]) -> bool:
    """True when ``info`` is turned off by an entry of ``GENAI_BASE_DISABLE_PLUGINS``.

    ``*`` spares genai_base's own components; naming one explicitly (by
    ``group:name``, bare name or distribution) does not.
    """
    if not disabled:
        return False
    if "*" in disabled and not info.builtin:
        return True
    return any(entry != "*" and _matches(entry, info) for entry in disabled)


def unknown_disabled(disabled: frozenset[str]) -> list[str]:
    """The entries of ``disabled`` that match no discovered plugin (sorted); ``*`` always matches."""
    every = [info for infos in discover().values() for info in infos]
    return sorted(entry for entry in disabled if entry != "*" and not any(_matches(entry, p) for p in every))


def _candidates(group: str, spec: str) -> tuple[str, list[PluginInfo], tuple[PluginInfo, ...]]:
    if group not in GROUPS:
        raise PluginNotFoundError(f"unknown plugin group {group!r}; groups: {', '.join(GROUPS)}")
    dist_part, _, name = spec.strip().rpartition(":")
    offered = discover()[group]
    found = [p for p in offered if p.name == name]
    if dist_part:
        found = [p for p in found if _normalize(p.distribution) == _normalize(dist_part)]
    return name, found, offered


def is_disabled_spec(group: str, spec: str, disabled: Optional[frozenset[str]] = None) -> bool:
    """True when every plugin ``spec`` could name in ``group`` is disabled (and there is one)."""
    disabled = disabled_specs() if disabled is None else disabled
    if not disabled:
        return False
    _, found, _ = _candidates(group, spec)
    return bool(found) and all(is_disabled(p, disabled) for p in found)


def offered_names(group: str, spec: str) -> tuple[bool, list[str]]:
    """Whether an installed distribution offers ``spec`` in ``group`` (disabled or not), and every name offered."""
    _, found, offered = _candidates(group, spec)
    return bool(found), sorted({p.name for p in offered})


def select(group: str, spec: str, disabled: Optional[frozenset[str]] = None) -> PluginInfo:
    """The one plugin ``spec`` (``name`` or ``distribution:name``) names in ``group``; nothing is imported."""
    disabled = disabled_specs() if disabled is None else disabled
    name, candidates, offered = _candidates(group, spec)
    enabled = [p for p in candidates if not is_disabled(p, disabled)]
    if not enabled:
        available = sorted({p.name for p in offered if not is_disabled(p, disabled)})
        why = f" (it is disabled by {DISABLE_ENV})" if candidates else ""
        raise PluginNotFoundError(
            f"no plugin named {spec!r} in group {GROUP_PREFIX}{group}{why}; "
            f"available: {', '.join(available) or '(none)'}"
        )
    if len(enabled) > 1:
        dists = " and ".join(f"{p.distribution} {p.version}" for p in enabled)
        choices = ", ".join(f"'{p.distribution}:{p.name}'" for p in enabled)
        raise PluginConflictError(
            f"plugin {name!r} in group {GROUP_PREFIX}{group} is offered by several distributions ({dists}); "
            f"choose one as {choices}"
        )
    return enabled[0]


def _declared_api(obj: Any) -> Any:
    declared = getattr(obj, API_ATTRIBUTE, None)
    if declared is None:
        module = sys.modules.get(getattr(obj, "__module__", None) or "")
        declared = getattr(module, API_ATTRIBUTE, None)
    return PLUGIN_API_VERSION if declared is None else declared


def _api_compatible(declared: Any) -> bool:
    if isinstance(declared, (list, tuple, set, frozenset)):
        return PLUGIN_API_VERSION in declared
    return bool(declared == PLUGIN_API_VERSION)


def load(info: PluginInfo, check: Optional[Callable[[Any], bool]] = None, **kwargs: Any) -> Any:
    """Import ``info``'s object and make the component: classes and factories are called.

    ``kwargs`` (e.g. ``settings``) go to a factory that declares them.
    """
    try:
        obj = info.entry_point.load()
    except Exception as exc:
        raise PluginLoadError(f"{info.label} failed to import {info.value!r}: {type(exc).__name__}: {exc}") from exc
    declared = _declared_api(obj)
    if not _api_compatible(declared):
        raise PluginLoadError(
            f"{info.label} was written for genai_base plugin API {declared!r}; "
            f"this genai_base provides plugin API {PLUGIN_API_VERSION}"
        )
    component = obj
    if isinstance(obj, type) or (check is not None and not check(obj) and callable(obj)):
        try:
            component = obj(**_accepted(obj, kwargs))
        except Exception as exc:
            raise PluginLoadError(f"{info.label} could not be created: {type(exc).__name__}: {exc}") from exc
    if check is not None and not check(component):
        raise PluginLoadError(
            f"{info.label} does not provide what the {GROUP_PREFIX}{info.group} group needs "
            f"(the component protocol); got a {type(component).__name__}"
        )
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

