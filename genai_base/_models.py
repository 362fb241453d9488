"""Typed API models declared by class annotations and loaded through marshmallow.

A :class:`Model` subclass lists its fields as annotations (with optional
defaults or :func:`Field` specs).  On first use the annotations are resolved
(forward references included) and a marshmallow schema is generated once per
class; loading goes through that schema and a ``post_load`` hook builds the
instance.

Two loading modes exist:

* strict: the data must match the annotations, otherwise
  :class:`ModelValidationError` names the first failing path;
* lenient (modeled on pydantic's ``construct``): the validated load is tried
  first; when it fails, the instance is built without validation, keeping
  mistyped values as received and reading missing required fields as ``None``.

Unknown fields are kept in both modes: reachable as attributes and included
in :meth:`Model.to_dict`.

This module holds :class:`Model`, the loading entry points and serialization;
the parts live in ``_model_fields`` (field declarations, annotation
resolution), ``_model_schema`` (the generated schemas), ``_model_lenient``
(construction without validation), ``_model_errors`` (the error and its path),
``_schema`` (annotations to type nodes and fields) and ``_model_ma_fields``
(the custom marshmallow fields).
"""

from __future__ import annotations

import reprlib
import sys
import typing
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from marshmallow import Schema, ValidationError

from ._jsonenc import to_plain
from ._model_errors import ModelValidationError, validation_error
from ._model_fields import Field, ModelInfo, collect_fields, init_instance, model_info, node_for
from ._model_lenient import construct
from ._model_lenient import construct_model as _construct_model
from ._model_schema import model_schema
from ._schema import TypeNode

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self

__all__ = ["Model", "Field", "ModelValidationError", "load_as", "to_jsonable"]


# --- the model base ------------------------------------------------------------------------


class Model:
    """Base for typed API models declared by class annotations (with defaults).

    Field values are plain instance attributes; unknown fields from the data
    are kept and readable as attributes too.  A field without a default is
    required; mutable defaults are copied per instance.
    """

    __slots__ = ("__dict__", "__weakref__", "_genai_extra", "_genai_fields_set")

    _genai_info: ClassVar[ModelInfo]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Models declared inside a function refer to each other through that
        # function's locals; keep a snapshot for resolving forward references.
        frame = sys._getframe(1)
        localns = dict(frame.f_locals) if frame.f_code.co_name != "<module>" else {}
        cls._genai_info = collect_fields(cls, localns)

    def __init__(self, **data: Any) -> None:
        """Build an instance by hand from Python field names (JSON names work too).

        Nothing is validated; missing fields take their defaults (``None`` when
        required) and unknown names are kept as unknown fields.
        """
        info = model_info(type(self))
        given: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            decl = info.by_name.get(key) or info.by_key.get(key)
            if decl is None:
                extra[key] = value
            else:
                given[decl.name] = value
        values = {f.name: given[f.name] if f.name in given else f.make_default() for f in info.fields}
        init_instance(self, values, extra, set(given))

    @classmethod
    def load(cls, data: Mapping[str, Any], *, strict: bool = False) -> Self:
        """Load decoded JSON ``data`` (a mapping) into an instance.

        Strict mode raises :class:`ModelValidationError` on a mismatch.  Lenient
        mode never raises for field values, but ``data`` that is not a mapping
        raises :class:`ModelValidationError` in both modes (use :func:`load_as`
        for "return it as is").
        """
        return typing.cast("Self", _load_model(cls, data, strict=strict))

    @classmethod
    def schema(cls) -> Schema:
        """The marshmallow schema of this class (built once, then cached)."""
        return model_schema(cls)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data: JSON names, nested values converted, unset optional fields left out."""
        return _to_dict(self)

    def _genai_plain(self) -> dict[str, Any]:
        # The JSON encoder's hook (see _jsonenc.PLAIN_HOOK), looked up on the class:
        # a field named ``to_dict`` cannot shadow it.
        return _to_dict(self)

    if not TYPE_CHECKING:
        # Hidden from type checkers so that typos in declared names stay errors there.
        def __getattr__(self, name: str) -> Any:
            try:
                return _extra_of(self)[name]
            except KeyError:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in model_info(type(self)).by_name:
            _fields_set_of(self).add(name)
        else:
            extra = _extra_of(self)
            if name in extra:
                extra[name] = value
                return
        object.__setattr__(self, name, value)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        assert isinstance(other, Model)
        return self.__dict__ == other.__dict__ and _extra_of(self) == _extra_of(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value

    @reprlib.recursive_repr()
    def __repr__(self) -> str:
        values = self.__dict__
        parts = [f"{f.name}={values[f.name]!r}" for f in model_info(type(self)).fields if f.name in values]
        odd: dict[str, Any] = {}
        for key, value in _extra_of(self).items():
            if isinstance(key, str) and key.isidentifier():
                parts.append(f"{key}={value!r}")
            else:
                odd[key] = value
        if odd:
            parts.append(f"**{odd!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


Model._genai_info = ModelInfo(())


# --- loading entry points ------------------------------------------------------------------


def _load_model(cls: type[Model], data: Any, *, strict: bool) -> Any:
    schema = model_schema(cls)
    if not isinstance(data, Mapping):
        messages = {"_schema": ["Invalid input type."]}
        detail = f"Invalid input type: expected an object, got {type(data).__name__}."
        raise ModelValidationError(cls.__name__, "", messages, detail)
    try:
        return schema.load(data)
    except ValidationError as error:
        if strict:
            raise validation_error(TypeNode("model", model=cls), error, data) from None
    except Exception:
        if strict:
            raise  # not a data mismatch: a bug worth seeing
    return _construct_model(cls, data)


def load_as(type_: Any, data: object, *, strict: bool) -> Any:
    """Parse decoded JSON ``data`` as the annotation ``type_``.

    Strict mode raises :class:`ModelValidationError` on a mismatch.  Lenient
    mode never raises for the data: it returns the best effort (a model for a
    mapping, mistyped values kept, missing required fields ``None``, unknown
    fields kept) and non-matching top-level data as is.
    """
    node = node_for(type_)
    kind = node.kind
    if kind == "any" or (data is None and node.nullable):
        return data
    if kind == "model" and node.model is not None:
        if not strict and not isinstance(data, Mapping):
            return data
        return _load_model(node.model, data, strict=strict)
    try:
        item = node.item
        if kind == "list" and isinstance(data, list) and item and item.kind == "model" and not item.nullable:
            # One many=True load through the cached schema: the fast path for big listings.
            return model_schema(typing.cast("type[Model]", item.model)).load(data, many=True)
        return node.field().deserialize(data)
    except ValidationError as error:
        if strict:
            raise validation_error(node, error, data) from None
    except Exception:
        if strict:
            raise
    return construct(node, data)


# --- serialization -------------------------------------------------------------------------


def _extra_of(model: Model) -> dict[str, Any]:
    try:
        return typing.cast("dict[str, Any]", object.__getattribute__(model, "_genai_extra"))
    except AttributeError:
        return {}


def _fields_set_of(model: Model) -> set[str]:
    try:
        return typing.cast("set[str]", object.__getattribute__(model, "_genai_fields_set"))
    except AttributeError:
        return set()


def _to_dict(model: Model) -> dict[str, Any]:
    values = model.__dict__
    fields_set = _fields_set_of(model)
    out: dict[str, Any] = {}
    for f in model_info(type(model)).fields:
        if f.name in fields_set and f.name in values:
            out[f.key] = to_plain(values[f.name])
    for key, value in _extra_of(model).items():
        out.setdefault(key, to_plain(value))
    return out


#: JSON-ready data from anything a body may hold (Models, dates, enums, ... nested anywhere):
#: the one conversion in :mod:`genai_base._jsonenc`, under the name this module always offered.
to_jsonable = to_plain
