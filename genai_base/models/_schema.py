"""The marshmallow side: a field per type node and a schema per model class (the validated load).

:func:`make_field` turns a :class:`~genai_base.models._nodes.TypeNode` into a
marshmallow field; :func:`field_for` keeps one standalone field per node;
:func:`model_schema` builds one schema class and instance per model class on
first use and caches it in the class's ``ModelInfo``. The schema keeps
unknown fields (``INCLUDE``) and its ``post_load`` hook builds the model
instance. This is the source of truth the compiled fast path defers to.
"""

from __future__ import annotations

import copy
import typing
from collections.abc import Mapping
from typing import Any, ClassVar

from marshmallow import INCLUDE, Schema, post_load
from marshmallow import fields as ma

from ._fields import LOCK, MISSING, ModelInfo, model_info
from ._instances import new_instance
from ._ma_fields import BoolField, DateTimeField, EnumField, FloatField, LiteralField, UnionField
from ._nodes import UNSET, ModelRoot, TypeNode

__all__ = ["field_for", "make_field", "model_schema"]


def model_schema(cls: type[ModelRoot]) -> Schema:
    """The cached marshmallow schema instance of ``cls``, built on first call."""
    info = model_info(cls)
    schema = info.schema
    if schema is None:
        with LOCK:
            schema = info.schema
            if schema is None:
                schema = info.schema = _build_schema(cls, info)
    return typing.cast(Schema, schema)


def field_for(node: TypeNode) -> ma.Field[Any]:
    """A standalone (unbound) marshmallow field for ``node``, built once and kept in the node."""
    found = node.ma_field
    if found is UNSET:
        found = node.ma_field = make_field(node)
    return typing.cast("ma.Field[Any]", found)


class _ModelSchema(Schema):
    """Base of the generated schemas: keeps unknown fields and builds the model instance."""

    _genai_model: ClassVar[type[ModelRoot]]
    _genai_info: ClassVar[ModelInfo]
    #: Constructions of each generated schema class (tests check it stays at one).
    instances_created: ClassVar[int] = 0

    class Meta:
        unknown = INCLUDE
        register = False

    def __init__(self, **kwargs: Any) -> None:
        type(self).instances_created += 1
        super().__init__(**kwargs)

    @post_load(pass_original=True)
    def _genai_make_instance(self, data: dict[str, Any], original: Any, **kwargs: Any) -> Any:
        return _instance_from_loaded(self, data, original)


def _build_schema(cls: type[ModelRoot], info: ModelInfo) -> Schema:
    ma_fields = {}
    for f in info.fields:
        kwargs: dict[str, Any] = {}
        if f.key != f.name:
            kwargs["data_key"] = f.key
        if f.required:
            kwargs["required"] = True
        else:
            kwargs["load_default"] = f.load_default()
        ma_fields[f.name] = make_field(f.node, **kwargs)
    schema_cls = _ModelSchema.from_dict(ma_fields, name=f"{cls.__name__}Schema")
    schema_cls._genai_model = cls  # type: ignore[attr-defined]
    schema_cls._genai_info = info  # type: ignore[attr-defined]
    return schema_cls()


def _instance_from_loaded(schema: _ModelSchema, data: dict[str, Any], original: Any) -> Any:
    info = schema._genai_info
    values = {name: data.pop(name, None) for name, _ in info.pairs}
    if info.shadowed and isinstance(original, Mapping) and not info.shadowed.isdisjoint(original.keys()):
        # An unknown JSON key equal to an aliased field's Python name replaced the
        # field's loaded value in INCLUDE mode: load that field again, keep the key as extra.
        for name in info.shadowed.intersection(original.keys()):
            key = info.by_name[name].key
            raw = original.get(key, MISSING)
            if raw is MISSING:
                values[name] = info.by_name[name].make_default()
            else:
                values[name] = schema.fields[name].deserialize(raw, key, original)
            data[name] = original[name]
    fields_set = frozenset(name for name, key in info.pairs if key in original)
    return new_instance(schema._genai_model, values, data, fields_set)


def _schema_of(model: type[ModelRoot], *, many: bool = False) -> Any:
    schema = model_schema(model)
    if many:
        # A shallow copy (not a new construction) flagged many=True: marshmallow 3's
        # Nested ignores its own many= for a schema instance, marshmallow 4 honours both.
        schema = copy.copy(schema)
        schema.many = True
    return schema


def make_field(node: TypeNode, **kwargs: Any) -> ma.Field[Any]:
    """Build a marshmallow field for ``node``; ``kwargs`` go to the field (``data_key``, ...)."""
    kwargs["allow_none"] = node.nullable
    kind = node.kind
    if kind == "any":
        return ma.Raw(**kwargs)
    if kind == "str":
        return ma.String(**kwargs)
    if kind == "int":
        # strict: "5" and 5.0 are not integers; marshmallow already refuses booleans.
        return ma.Integer(strict=True, **kwargs)
    if kind == "float":
        # allow_nan: Python's json module decodes NaN and Infinity; they are floats.
        return FloatField(allow_nan=True, **kwargs)
    if kind == "bool":
        return BoolField(**kwargs)
    if kind == "datetime":
        return DateTimeField(format="iso", **kwargs)
    if kind == "date":
        return ma.Date(format="iso", **kwargs)
    if kind == "enum" and node.enum is not None:
        return EnumField(node.enum, by_value=True, **kwargs)
    if kind in ("literal", "none"):
        return LiteralField(node.choices, **kwargs)
    if kind == "model" and node.model is not None:
        model = node.model
        return ma.Nested(lambda: _schema_of(model), **kwargs)
    if kind == "list" and node.item is not None:
        item = node.item
        if item.kind == "model" and not item.nullable and item.model is not None:
            # One many=True load of the nested schema instead of a field call per element.
            model = item.model
            return ma.Nested(lambda: _schema_of(model, many=True), many=True, **kwargs)
        return ma.List(make_field(item), **kwargs)
    if kind == "dict" and node.item is not None:
        if node.item.kind == "any":
            return ma.Dict(**kwargs)
        return ma.Dict(keys=ma.String(), values=make_field(node.item), **kwargs)
    if kind == "union":
        return UnionField(node, [field_for(m) for m in node.members], **kwargs)
    raise TypeError(f"cannot build a field for {node.display}")  # pragma: no cover - nodes are checked
