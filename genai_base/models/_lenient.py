"""Reference lenient construction: building models from data without validating it.

Modeled on pydantic's ``construct``: values are converted where they fit the
annotation and kept as received where they do not; missing required fields
read as ``None`` and unknown fields are kept. Nothing here raises for the
data. This is the plain, uncompiled definition of lenient mode: the
marshmallow path (validated load, then this when it fails) uses it, and the
compiled builders (``_lenient_fast``) call it for any value they do not
handle themselves; the property tests check both agree.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from ._fields import discriminator, model_info
from ._instances import new_instance
from ._nodes import ModelRoot, TypeNode, lookup_tag
from ._schema import field_for

__all__ = ["construct", "construct_model", "shape_fits"]


def construct_model(cls: type[ModelRoot], data: Mapping[Any, Any]) -> Any:
    """An instance of ``cls`` built from the mapping ``data`` without validation."""
    info = model_info(cls)
    values: dict[str, Any] = {}
    fields_set: set[str] = set()
    for f in info.fields:
        if f.key in data:
            values[f.name] = construct(f.node, data[f.key])
            fields_set.add(f.name)
        else:
            values[f.name] = f.make_default()
    extra = {k: v for k, v in data.items() if k not in info.by_key}
    return new_instance(cls, values, extra, frozenset(fields_set))


def shape_fits(node: TypeNode, value: Any) -> bool:
    """True when ``value`` has the JSON shape of ``node`` (an object for a model or dict, an array for a list)."""
    if isinstance(value, Mapping):
        return node.kind in ("model", "dict")
    if isinstance(value, list):
        return node.kind == "list"
    return False


def construct(node: TypeNode, value: Any) -> Any:
    """Best-effort, never-raising conversion of ``value`` to ``node``'s type."""
    try:
        return _construct_value(node, value)
    except Exception:  # lenient mode keeps the value as received
        return value


def _construct_value(node: TypeNode, value: Any) -> Any:
    kind = node.kind
    if value is None or kind in ("any", "str", "int", "bool", "none"):
        return value
    if kind == "model" and node.model is not None:
        return construct_model(node.model, value) if isinstance(value, Mapping) else value
    if kind == "list" and node.item is not None:
        item = node.item
        return [construct(item, v) for v in value] if isinstance(value, list) else value
    if kind == "dict" and node.item is not None:
        item = node.item
        return {k: construct(item, v) for k, v in value.items()} if isinstance(value, Mapping) else value
    if kind == "float":
        return float(value) if type(value) is int else value
    if kind == "union":
        disc = discriminator(node)
        if disc is not None and isinstance(value, Mapping):
            member = lookup_tag(disc[1], value.get(disc[0]))
            if member is not None:
                return construct(member, value)
        for member in node.members:
            try:
                return field_for(member).deserialize(value)
            except ValidationError:
                continue
        for member in node.members:
            if shape_fits(member, value):
                return construct(member, value)
        return value
    try:  # datetime, date, enum, literal: convert when valid, else keep
        return field_for(node).deserialize(value)
    except ValidationError:
        return value
