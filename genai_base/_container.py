"""The dependency-injection container that wires components into clients.

``ClientContainer`` holds a ``config`` provider (built-in defaults, then
``GENAI_BASE_*`` environment variables, then whatever the application loads
with ``from_dict``/``from_yaml``/``from_ini``) and one provider per
component. Components are chosen by plugin name from the configuration, or
replaced outright with ``container.<component>.override(obj)``.
"""

from __future__ import annotations

from typing import Any, Callable, Optional

from dependency_injector import containers, providers

from . import _plugins
from ._errors import ConfigurationError
from ._serializers import SerializerRegistry
from ._settings import DEFAULTS, Settings, env_settings, resolve_settings

__all__ = ["ClientContainer", "load_component", "COMPONENT_CHECKS"]


def _has(*names: str) -> Callable[[Any], bool]:
    return lambda obj: all(hasattr(obj, n) for n in names) and not isinstance(obj, type)


COMPONENT_CHECKS: dict[str, Callable[[Any], bool]] = {
    "session_factories": lambda obj: callable(obj) and not isinstance(obj, type),
    "async_session_factories": lambda obj: callable(obj) and not isinstance(obj, type),
    "serializers": _has("media_types", "dumps", "loads"),
    "retry_policies": _has("should_retry", "wait"),
    "paginators": _has("items", "next_page"),
    "auth": lambda obj: not isinstance(obj, type) and (hasattr(obj, "auth_flow") or hasattr(obj, "async_auth_flow")),
    "hooks": lambda obj: not isinstance(obj, type)
    and any(hasattr(obj, n) for n in ("on_request", "on_response", "on_retry", "on_error")),
}


def load_component(group: str, spec: Any, settings: Settings) -> Any:
    """The component ``spec`` names in ``group`` (an object given directly is used as is)."""
    if not isinstance(spec, str):
        check = COMPONENT_CHECKS[group]
        if not check(spec):
            raise ConfigurationError(f"{spec!r} is not a valid {group} component")
        return spec
    info = _plugins.select(group, spec)
    return _plugins.load(info, COMPONENT_CHECKS[group], settings=settings)


def _settings(config: dict[str, Any], environment: dict[str, Any]) -> Settings:
    return resolve_settings(config or {}, environment or {})


def _one(group: str, key: str) -> Callable[[Settings], Any]:
    def make(settings: Settings) -> Any:
        return load_component(group, settings[key], settings)

    return make


def _serializer_registry(serializer: Any, settings: Settings) -> SerializerRegistry:
    extra = [load_component("serializers", name, settings) for name in settings["serializers"]]
    # The body serializer is registered last so that it wins its media types.
    return SerializerRegistry([*extra, serializer])


def _auth(settings: Settings) -> Optional[Any]:
    spec = settings["auth"]
    return None if spec is None else load_component("auth", spec, settings)


def _hooks(settings: Settings) -> list[Any]:
    return [load_component("hooks", name, settings) for name in settings["hooks"]]


class ClientContainer(containers.DeclarativeContainer):
    """Components and configuration for clients; one per client unless shared on purpose."""

    config = providers.Configuration()
    environment = providers.Object({})
    settings = providers.Factory(_settings, config, environment)

    session_factory = providers.Factory(_one("session_factories", "session_factory"), settings)
    async_session_factory = providers.Factory(_one("async_session_factories", "async_session_factory"), settings)
    serializer = providers.Factory(_one("serializers", "serializer"), settings)
    serializers = providers.Factory(_serializer_registry, serializer, settings)
    retry_policy = providers.Factory(_one("retry_policies", "retry_policy"), settings)
    paginator = providers.Factory(_one("paginators", "paginator"), settings)
    auth = providers.Factory(_auth, settings)
    hooks = providers.Factory(_hooks, settings)

    def __new__(cls, **overriding_providers: Any) -> Any:  # type: ignore[misc]
        container = super().__new__(cls, **overriding_providers)
        env = env_settings()
        container.config.from_dict(DEFAULTS)
        container.config.from_dict(env)
        container.environment.override(providers.Object(env))
        return container
