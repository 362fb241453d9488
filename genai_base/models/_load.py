"""Loading entry points: the compiled fast path first, marshmallow whenever it is unsure.

Strict mode runs the compiled loader; when it raises ``Unsure`` (it met data
marshmallow refuses) the data is loaded again through the marshmallow schema,
whose :class:`ModelValidationError` (path and messages) is what the caller
gets. Lenient mode runs the compiled builder directly. :func:`load_via_schema`
is the plain marshmallow path (validated load, then the reference
construction in lenient mode), kept so that tests can check the fast path
against it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError

from ._compile import Unsure
from ._error_path import validation_error
from ._errors import ModelValidationError
from ._fast_lenient import lenient_model_fn, lenient_node_fn
from ._fast_strict import strict_model_fn, strict_node_fn
from ._fields import model_info, node_for
from ._lenient import construct, construct_model
from ._nodes import ModelRoot, TypeNode
from ._schema import field_for, model_schema

__all__ = ["load_as", "load_model", "load_via_schema"]


def _not_an_object(cls: type[ModelRoot], data: Any) -> ModelValidationError:
    messages = {"_schema": ["Invalid input type."]}
    detail = f"Invalid input type: expected an object, got {type(data).__name__}."
    return ModelValidationError(cls.__name__, "", messages, detail)


def _schema_load(cls: type[ModelRoot], data: Any) -> Any:
    try:
        return model_schema(cls).load(data)
    except ValidationError as error:
        raise validation_error(TypeNode("model", model=cls), error, data) from None


def load_model(cls: type[ModelRoot], data: Any, *, strict: bool) -> Any:
    """Load ``data`` as an instance of ``cls``; data that is not a mapping raises in both modes."""
    if type(data) is dict:
        info = model_info(cls)
        if strict:
            try:
                return (info.strict or strict_model_fn(cls))(data)
            except Unsure:
                return _schema_load(cls, data)
        return (info.lenient or lenient_model_fn(cls))(data)
    if not isinstance(data, Mapping):
        raise _not_an_object(cls, data)
    # Another kind of mapping: the schema and the reference construction take any mapping.
    return _schema_load(cls, data) if strict else construct_model(cls, data)


def load_as(type_: Any, data: object, *, strict: bool) -> Any:
    """Parse decoded JSON ``data`` as the annotation ``type_``.

    Strict mode raises :class:`ModelValidationError` on a mismatch.  Lenient
    mode never raises for the data: it returns the best effort (a model for a
    mapping, mistyped values kept, missing required fields ``None``, unknown
    fields kept) and non-matching top-level data as is.
    """
    if type(type_) is type and issubclass(type_, ModelRoot):  # the common case, without the node lookup
        if not strict and type(data) is not dict and not isinstance(data, Mapping):
            return data
        return load_model(type_, data, strict=strict)
    node = node_for(type_)
    kind = node.kind
    if kind == "any" or (data is None and node.nullable):
        return data
    if kind == "model" and node.model is not None:
        if not strict and not isinstance(data, Mapping):
            return data
        return load_model(node.model, data, strict=strict)
    if not strict:
        return lenient_node_fn(node)(data)
    try:
        return strict_node_fn(node)(data)
    except Unsure:
        pass
    try:
        return field_for(node).deserialize(data)
    except ValidationError as error:
        raise validation_error(node, error, data) from None


# --- the marshmallow path ----------------------------------------------------------------


def _model_via_schema(cls: type[ModelRoot], data: Any, *, strict: bool) -> Any:
    if not isinstance(data, Mapping):
        raise _not_an_object(cls, data)
    try:
        return model_schema(cls).load(data)
    except ValidationError as error:
        if strict:
            raise validation_error(TypeNode("model", model=cls), error, data) from None
    except Exception:
        if strict:
            raise  # not a data mismatch: a bug worth seeing
    return construct_model(cls, data)


def load_via_schema(type_: Any, data: object, *, strict: bool) -> Any:
    """:func:`load_as` through marshmallow alone (no compiled code): the reference the fast path must match."""
    node = node_for(type_)
    kind = node.kind
    if kind == "any" or (data is None and node.nullable):
        return data
    if kind == "model" and node.model is not None:
        if not strict and not isinstance(data, Mapping):
            return data
        return _model_via_schema(node.model, data, strict=strict)
    try:
        return field_for(node).deserialize(data)
    except ValidationError as error:
        if strict:
            raise validation_error(node, error, data) from None
    except Exception:
        if strict:
            raise
    return construct(node, data)
