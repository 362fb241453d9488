"""The error raised when data does not match the type it was loaded as.

The lowest layer of :mod:`genai_base.models`: it imports nothing else of the
package. How a marshmallow error becomes one (finding the failing path) is
``_error_path``'s job.
"""

from __future__ import annotations

from typing import Any

from .._errors import GenaiBaseError

__all__ = ["ModelValidationError", "leaf_text"]


class ModelValidationError(GenaiBaseError, ValueError):
    """Data does not match the type it was loaded as (strict mode).

    ``model`` is the model class name (or the type's name), ``path`` the first
    failing field path using JSON names (``owner.tags[2]``, ``items[3].id``,
    ``labels[key]``; empty for the top level) and ``messages`` marshmallow's
    error messages.
    """

    def __init__(self, model: str, path: str, messages: Any, detail: str | None = None) -> None:
        #: The name of the model class (or type) the data was loaded as.
        self.model = model
        #: The first failing field, in JSON names (``owner.tags[2]``); empty for the top level.
        self.path = path
        #: marshmallow's error messages, as its ``ValidationError`` has them.
        self.messages: dict[Any, Any] | list[Any] = messages
        #: The first message, as shown in the exception's text.
        self.detail = detail if detail is not None else leaf_text(messages)
        where = f"{path}: " if path else ""
        super().__init__(f"{model}: {where}{self.detail}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.model, self.path, self.messages, self.detail))


def leaf_text(messages: Any) -> str:
    """The first message in marshmallow's nested ``messages``, as one line."""
    if isinstance(messages, list):
        return " ".join(m if isinstance(m, str) else leaf_text(m) for m in messages)
    if isinstance(messages, dict):
        return leaf_text(next(iter(messages.values()))) if messages else ""
    return str(messages)
