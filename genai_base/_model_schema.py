"""The marshmallow schema generated for each model class (the validated loading path).

:func:`model_schema` builds one schema class and instance per model class on
first use, from the fields' type nodes, and caches it in the class's
:class:`~genai_base._model_fields.ModelInfo`.  The schema keeps unknown fields
(``INCLUDE``) and its ``post_load`` hook builds the model instance.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from marshmallow import INCLUDE, Schema, post_load

from ._model_fields import LOCK, MISSING, ModelInfo, model_info, new_instance
from ._schema import make_field

if TYPE_CHECKING:
    from ._models import Model

__all__ = ["model_schema"]


def model_schema(cls: type[Model]) -> Schema:
    """The cached marshmallow schema instance of ``cls``, built on first call."""
    info = model_info(cls)
    schema = info.schema
    if schema is None:
        with LOCK:
            schema = info.schema
            if schema is None:
                schema = info.schema = _build_schema(cls, info)
    return schema


class _ModelSchema(Schema):
    """Base of the generated schemas: keeps unknown fields and builds the model instance."""

    _genai_model: ClassVar[type[Model]]
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
    def _genai_make_instance(self, data: dict[str, Any], original: Any, **kwargs: Any) -> Model:
        return _instance_from_loaded(self, data, original)


def _build_schema(cls: type[Model], info: ModelInfo) -> Schema:
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


def _instance_from_loaded(schema: _ModelSchema, data: dict[str, Any], original: Any) -> Model:
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
    fields_set = {name for name, key in info.pairs if key in original}
    return new_instance(schema._genai_model, values, data, fields_set)
