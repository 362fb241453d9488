"""The dependency-injection container that wires components into clients.

``ClientContainer`` holds a ``config`` provider with what the application
loads (``from_dict``/``from_yaml``/``from_ini``), and one provider per
component. ``settings`` merges, in rising precedence, the built-in defaults,
the ``GENAI_BASE_*`` environment variables (read each time settings are
resolved, so when a client is built), ``config`` and any constructor
arguments, and remembers where each value came from. Components are chosen
by plugin name, or replaced outright with ``container.<component>.override(obj)``
(also a context manager). Every client gets a fresh container unless one is
passed in, so an override never leaks from one client into another.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Optional

from dependency_injector import containers, providers

from . import _plugins
from ._errors import ConfigurationError
from ._serializers import JSONSerializer, SerializerRegistry
from ._settings import Settings, env_settings, resolve_settings

__all__ = ["ClientContainer", "load_component", "COMPONENT_CHECKS", "COMPONENT_GROUPS"]


def _has(*names: str) -> Callable[[Any], bool]:
    return lambda obj: all(hasattr(obj, n) for n in names) and not isinstance(obj, type)


def _is_factory(obj: Any) -> bool:
    return callable(obj) and not isinstance(obj, type)


COMPONENT_CHECKS: dict[str, Callable[[Any], bool]] = {
    "session_factories": _is_factory,
    "async_session_factories": _is_factory,
    "serializers": _has("media_types", "dumps", "loads"),
    "retry_policies": _has("should_retry", "wait"),
    "paginators": _has("items", "next_page"),
    "stream_protocols": _has("handle"),
    "auth": lambda obj: not isinstance(obj, type) and (hasattr(obj, "auth_flow") or hasattr(obj, "async_auth_flow")),
    "hooks": lambda obj: not isinstance(obj, type)
    and any(hasattr(obj, n) for n in ("on_request", "on_response", "on_retry", "on_error", "on_end")),
    "policies": lambda obj: not isinstance(obj, type) and any(hasattr(obj, n) for n in ("on_request", "on_response")),
    "rate_limiters": _has("acquire", "acquire_async", "feedback", "feedback_async"),
}
# The configuration key that names each group's component.
COMPONENT_GROUPS: dict[str, str] = {
    "session_factory": "session_factories",
    "async_session_factory": "async_session_factories",
    "serializer": "serializers",
    "serializers": "serializers",
    "retry_policy": "retry_policies",
    "paginator": "paginators",
    "stream_protocol": "stream_protocols",
    "auth": "auth",
    "hooks": "hooks",
    "policies": "policies",
    "rate_limiter": "rate_limiters",
}


def load_component(group: str, spec: Any, settings: Settings, **extra: Any) -> Any:
    """The component ``spec`` names in ``group`` (an object given directly is checked and used as is).

    ``extra`` arguments (e.g. a rate limiter's ``key``) go to a factory that declares them.
    """
    if not isinstance(spec, str):
        check = COMPONENT_CHECKS[group]
        if not check(spec):
            raise ConfigurationError(f"{type(spec).__name__} object is not a valid {group} component")
        return spec
    info = _plugins.select(group, spec)
    return _plugins.load(info, COMPONENT_CHECKS[group], settings=settings, **extra)


def _settings(
    config: Optional[Mapping[str, Any]],
    environment: Optional[Mapping[str, Any]],
    arguments: Optional[Mapping[str, Any]] = None,
    logger_name: str = "genai_base",
) -> Settings:
    return resolve_settings(config or {}, environment, arguments, logger_name=logger_name)


def _one(group: str, key: str) -> Callable[..., Any]:
    def make(settings: Settings, **extra: Any) -> Any:
        return load_component(group, settings[key], settings, **extra)

    make.__name__ = f"make_{key}"
    return make


def _serializer_registry(serializer: Any, settings: Settings) -> SerializerRegistry:
    # JSON answers stay readable whatever the body serializer is (unless json is disabled by name).
    base = [] if _plugins.is_disabled_spec("serializers", "json") else [JSONSerializer()]
    extra = [load_component("serializers", name, settings) for name in settings["serializers"]]
    # The body serializer is registered last so that it wins its media types.
    return SerializerRegistry([*base, *extra, load_component("serializers", serializer, settings)])


def _auth(settings: Settings) -> Optional[Any]:
    spec = settings["auth"]
    return None if spec is None else load_component("auth", spec, settings)


def _hooks(settings: Settings) -> list[Any]:
    hooks = []
    disabled = _plugins.disabled_specs()
    for spec in settings["hooks"]:
        # A hook turned off by GENAI_BASE_DISABLE_PLUGINS just stops observing.
        if isinstance(spec, str) and _plugins.is_disabled_spec("hooks", spec, disabled):
            continue
        hooks.append(load_component("hooks", spec, settings))
    return hooks


def _policies(settings: Settings) -> list[Any]:
    disabled = _plugins.disabled_specs()
    return [
        load_component("policies", spec, settings)
        for spec in settings["policies"]
        if not (isinstance(spec, str) and _plugins.is_disabled_spec("policies", spec, disabled))
    ]


class ClientContainer(containers.DeclarativeContainer):
    """Components and configuration for clients; one per client unless shared on purpose.

    ``container.settings()`` is the effective, validated configuration;
    ``container.settings(arguments={...})`` adds constructor arguments on top.
    """

    #: What the application loads: ``from_dict()``, ``from_yaml()``, ``from_ini()``.
    config = providers.Configuration()
    #: The ``GENAI_BASE_*`` settings, read each time settings are resolved.
    environment = providers.Callable(env_settings)
    #: The effective, validated settings (defaults < environment < config < arguments). By keyword,
    #: so a client passes the variables of its own env_prefix (``environment=...``).
    settings = providers.Factory(_settings, config=config, environment=environment)

    # Settings are injected by keyword, so a client that resolved them once passes them in
    # (``container.serializer(settings=...)``) and nothing resolves them again.
    #: Makes the ``requests.Session`` (plugin group ``session_factories``).
    session_factory = providers.Factory(_one("session_factories", "session_factory"), settings=settings)
    #: Makes the ``aiohttp.ClientSession`` (group ``async_session_factories``).
    async_session_factory = providers.Factory(
        _one("async_session_factories", "async_session_factory"), settings=settings
    )
    #: The serializer of request bodies (group ``serializers``, setting ``serializer``).
    serializer = providers.Factory(_one("serializers", "serializer"), settings=settings)
    #: Every selected serializer, by media type: how responses are decoded.
    serializers = providers.Factory(_serializer_registry, serializer=serializer, settings=settings)
    #: Decides retries and waits (group ``retry_policies``).
    retry_policy = providers.Factory(_one("retry_policies", "retry_policy"), settings=settings)
    #: The default paginator of listings (group ``paginators``).
    paginator = providers.Factory(_one("paginators", "paginator"), settings=settings)
    #: What the events of a stream mean (group ``stream_protocols``, setting ``stream_protocol``).
    stream_protocol = providers.Factory(_one("stream_protocols", "stream_protocol"), settings=settings)
    #: Signs each attempt (group ``auth``); ``None`` when no ``auth`` is set.
    auth = providers.Factory(_auth, settings=settings)
    #: The observers of every call (group ``hooks``, setting ``hooks``).
    hooks = providers.Factory(_hooks, settings=settings)
    #: What changes each attempt's request (group ``policies``, setting ``policies``).
    policies = providers.Factory(_policies, settings=settings)
    #: Waits for a slot before each attempt (group ``rate_limiters``); a client passes ``key=``.
    rate_limiter = providers.Factory(_one("rate_limiters", "rate_limiter"), settings=settings)
