"""Copies of a client built from the arguments its own class was built with.

``copy(**overrides)`` calls the client's class (an SDK's own, with its own
``__init__``) with the arguments that instance was constructed with, the
overrides on top, and shares the original's pool: the constructor's
arguments are recorded by a wrapper put on each subclass's ``__init__``,
and the shared state reaches the new instance through a context variable,
so an SDK constructor needs no parameter of ours.
"""

from __future__ import annotations

import functools
import inspect
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, Callable, Optional, TypeVar

__all__ = ["CopySource", "COPY_SOURCE", "record_arguments", "copy_arguments"]

F = TypeVar("F", bound=Callable[..., None])


@dataclass(frozen=True)
class CopySource:
    """What a copy takes over from its original: the shared pool and policy, the container, the settings."""

    shared: Any
    container: Any
    settings: Any


#: Set by ``copy()`` while the copy's constructor runs (and read once by ``BaseClient.__init__``).
COPY_SOURCE: ContextVar[Optional[CopySource]] = ContextVar("genai_base_copy_source", default=None)

_ARGUMENTS = "_constructor_arguments"


def record_arguments(init: F) -> F:
    """Wrap a client class's ``__init__`` so the outermost call records its arguments by name."""
    signature = inspect.signature(init)

    @functools.wraps(init)
    def recording(self: Any, *args: Any, **kwargs: Any) -> None:
        if _ARGUMENTS not in self.__dict__:
            bound = signature.bind(self, *args, **kwargs)
            recorded: dict[str, Any] = {}
            for name, value in list(bound.arguments.items())[1:]:  # not self
                kind = signature.parameters[name].kind
                if kind is inspect.Parameter.VAR_KEYWORD:
                    recorded.update(value)
                elif kind is inspect.Parameter.VAR_POSITIONAL:
                    if value:
                        raise TypeError(f"{type(self).__name__} takes *args: its copies cannot be made by name")
                else:
                    recorded[name] = value
            self.__dict__[_ARGUMENTS] = recorded
        init(self, *args, **kwargs)

    return recording  # type: ignore[return-value]


def recorded(client: Any) -> dict[str, Any]:
    """The arguments ``client`` was constructed with."""
    return dict(client.__dict__.get(_ARGUMENTS, {}))


def copy_arguments(client: Any, overrides: dict[str, Any]) -> dict[str, Any]:
    """The constructor arguments of a copy of ``client`` with ``overrides`` (an unknown name is a TypeError)."""
    cls = type(client)
    parameters = inspect.signature(cls.__init__).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    unknown = sorted(name for name in overrides if name not in parameters or name == "self")
    if unknown and not takes_any:
        accepted = ", ".join(n for n, p in parameters.items() if n != "self" and p.kind is not p.VAR_POSITIONAL)
        raise TypeError(
            f"{cls.__name__}.copy() got unexpected option(s) {', '.join(unknown)}: "
            f"{cls.__name__}() takes {accepted}"
        )
    return {**recorded(client), **overrides}
