"""How a marshmallow validation error becomes a :class:`ModelValidationError` with a path.

marshmallow reports validation failures as nested message dicts shaped like
the schema. :func:`validation_error` walks the first failure down those
messages alongside the :class:`~genai_base.models._nodes.TypeNode` the data
was loaded as, and names its path with JSON names (``owner.tags[2]``,
``items[3].id``, ``labels[key]``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from ._errors import ModelValidationError, leaf_text
from ._fields import discriminator, model_info
from ._nodes import TypeNode, lookup_tag
from ._schema import field_for

__all__ = ["validation_error"]


def _failed_member(node: TypeNode, messages: Any, data: Any) -> TypeNode | None:
    """Which union member produced ``messages`` (re-runs members; error path only)."""
    disc = discriminator(node)
    if disc is not None and isinstance(data, Mapping):
        found = lookup_tag(disc[1], data.get(disc[0]))
        if found is not None:
            return found
    for member in node.members:
        try:
            field_for(member).deserialize(data)
        except ValidationError as error:
            if error.messages == messages:
                return member
        except Exception:  # only a guess for the error path: never mask the real error
            continue
    return None


def _error_path(node: TypeNode | None, messages: Any, data: Any) -> tuple[str, Any]:
    """Follow the first error down ``messages`` (shaped like ``node``) to its path and leaf."""
    path = ""
    msgs = messages
    while isinstance(msgs, dict) and msgs and node is not None:
        key = next(iter(msgs))
        kind = node.kind
        if kind == "union":
            member = _failed_member(node, msgs, data)
            if member is None:
                if isinstance(key, str) and key != "_schema":  # an unknown discriminator tag
                    path = f"{path}.{key}" if path else key
                    msgs = msgs[key]
                break
            node = member
            continue
        if kind == "model" and node.model is not None:
            if key == "_schema":
                msgs = msgs[key]
                break
            found = model_info(node.model).by_key.get(key)
            path = f"{path}.{key}" if path else str(key)
            node = found.node if found is not None else None
            data = data.get(key) if isinstance(data, Mapping) else None
            msgs = msgs[key]
        elif kind == "list":
            path += f"[{key}]"
            in_range = isinstance(data, list) and isinstance(key, int) and 0 <= key < len(data)
            data = data[key] if in_range else None
            node = node.item
            msgs = msgs[key]
        elif kind == "dict":
            path += f"[{key}]"
            sub = msgs[key]
            if isinstance(sub, dict) and "value" in sub:
                data = data.get(key) if isinstance(data, Mapping) else None
                node = node.item
                msgs = sub["value"]
            else:
                msgs = sub.get("key", sub) if isinstance(sub, dict) else sub
                break
        else:
            break
    return path, msgs


def validation_error(node: TypeNode, error: ValidationError, data: Any) -> ModelValidationError:
    """The :class:`ModelValidationError` for ``error``, raised loading ``data`` as ``node``."""
    path, leaf = _error_path(node, error.messages, data)
    return ModelValidationError(node.display, path, error.messages, leaf_text(leaf))
