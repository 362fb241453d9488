"""The storage of model instances, and model instances turned back into JSON data.

An instance keeps its field values in ``__dict__`` and two optional slots
(see :class:`~genai_base.models._nodes.ModelRoot`): the unknown fields and
the names of the fields given explicitly. An unset slot means "none" and
"all" respectively, which is the common case for loaded data and saves two
objects per instance. The slots are written through their descriptors,
which skips ``Model.__setattr__`` (it records explicitly set fields).
Nothing here needs marshmallow. Values inside a model are converted by
``genai_base._jsonenc`` (the one encoding of request data), which reaches a
nested model through ``Model._genai_plain``.
"""

from __future__ import annotations

import typing
from typing import Any

from .._jsonenc import to_plain
from ._fields import model_info
from ._nodes import ModelRoot

__all__ = [
    "NEW",
    "SET_DICT",
    "SET_EXTRA",
    "SET_FIELDS_SET",
    "extra_dict",
    "extra_of",
    "fields_set_of",
    "init_instance",
    "new_instance",
    "to_dict",
    "to_jsonable",
]

#: ``NEW(cls)``: an instance without calling ``__init__``.
NEW = object.__new__
#: The slot and ``__dict__`` setters, called as ``SET_...(instance, value)`` (the compiled loaders use them).
SET_DICT = ModelRoot.__dict__["__dict__"].__set__
SET_EXTRA = ModelRoot.__dict__["_genai_extra"].__set__
SET_FIELDS_SET = ModelRoot.__dict__["_genai_fields_set"].__set__
_GET_EXTRA = ModelRoot.__dict__["_genai_extra"].__get__
_GET_FIELDS_SET = ModelRoot.__dict__["_genai_fields_set"].__get__


def init_instance(inst: ModelRoot, values: dict[str, Any], extra: dict[str, Any], fields_set: frozenset[str]) -> None:
    """Give a model instance its field values, unknown fields and explicitly set field names."""
    SET_DICT(inst, values)
    if extra:
        SET_EXTRA(inst, extra)
    if len(fields_set) != len(values):
        SET_FIELDS_SET(inst, fields_set)


def new_instance(
    cls: type[ModelRoot], values: dict[str, Any], extra: dict[str, Any], fields_set: frozenset[str]
) -> Any:
    """An instance of ``cls`` holding the given state, built without calling ``__init__``."""
    inst = NEW(cls)
    init_instance(inst, values, extra, fields_set)
    return inst


def extra_dict(model: ModelRoot) -> dict[str, Any] | None:
    """The unknown fields of ``model`` (the stored dict itself), ``None`` when it has none."""
    try:
        return typing.cast("dict[str, Any]", _GET_EXTRA(model))
    except AttributeError:
        return None


def extra_of(model: ModelRoot) -> dict[str, Any]:
    """The unknown fields of ``model`` (empty when none; not to be changed)."""
    extra = extra_dict(model)
    return {} if extra is None else extra


def fields_set_of(model: ModelRoot) -> frozenset[str]:
    """The Python names of the fields ``model`` was given explicitly (or assigned since)."""
    try:
        return typing.cast("frozenset[str]", _GET_FIELDS_SET(model))
    except AttributeError:
        return model_info(type(model)).all_names


# --- back to JSON data --------------------------------------------------------------------


def to_dict(model: ModelRoot) -> dict[str, Any]:
    """JSON-ready data of ``model``: JSON names, nested values converted, unset fields left out."""
    values = model.__dict__
    fields_set = fields_set_of(model)
    out: dict[str, Any] = {}
    for f in model_info(type(model)).fields:
        if f.name in fields_set and f.name in values:
            out[f.key] = to_plain(values[f.name])
    for key, value in extra_of(model).items():
        out.setdefault(key, to_plain(value))
    return out


#: JSON-ready data from anything a body may hold (Models, dates, enums, ... nested anywhere):
#: the one conversion of :mod:`genai_base._jsonenc`, under the name this package always offered.
to_jsonable = to_plain
