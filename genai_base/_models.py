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
"""

from __future__ import annotations

import builtins
import copy
import datetime as dt
import enum
import inspect
import reprlib
import sys
import threading
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from marshmallow import INCLUDE, Schema, ValidationError, post_load

from ._errors import GenaiBaseError
from ._schema import TypeNode, annotation_node, lookup_tag, make_field

if TYPE_CHECKING:
    if sys.version_info >= (3, 11):
        from typing import Self
    else:
        from typing_extensions import Self

__all__ = ["Model", "Field", "ModelValidationError", "load_as", "to_jsonable"]


class _Missing:
    """Marks "no default given" (``None`` is a legitimate default)."""

    def __repr__(self) -> str:
        return "<missing>"


_MISSING: Any = _Missing()
_LOCK = threading.RLock()
_IMMUTABLE_DEFAULTS = (type(None), bool, int, float, complex, str, bytes, frozenset)


# --- errors --------------------------------------------------------------------------------


class ModelValidationError(GenaiBaseError, ValueError):
    """Data does not match the type it was loaded as (strict mode).

    ``model`` is the model class name (or the type's name), ``path`` the first
    failing field path using JSON names (``owner.tags[2]``, ``items[3].id``,
    ``labels[key]``; empty for the top level) and ``messages`` marshmallow's
    error messages.
    """

    def __init__(self, model: str, path: str, messages: Any, detail: str | None = None) -> None:
        self.model = model
        self.path = path
        self.messages: dict[Any, Any] | list[Any] = messages
        self.detail = detail if detail is not None else _leaf_text(messages)
        where = f"{path}: " if path else ""
        super().__init__(f"{model}: {where}{self.detail}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.model, self.path, self.messages, self.detail))


def _leaf_text(messages: Any) -> str:
    if isinstance(messages, list):
        return " ".join(m if isinstance(m, str) else _leaf_text(m) for m in messages)
    if isinstance(messages, dict):
        return _leaf_text(next(iter(messages.values()))) if messages else ""
    return str(messages)


def _failed_member(node: TypeNode, messages: Any, data: Any) -> TypeNode | None:
    """Which union member produced ``messages`` (re-runs members; error path only)."""
    disc = node.discriminator()
    if disc is not None and isinstance(data, Mapping):
        found = lookup_tag(disc[1], data.get(disc[0]))
        if found is not None:
            return found
    for member in node.members:
        try:
            member.field().deserialize(data)
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
            found = _info(node.model).by_key.get(key)
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


def _validation_error(node: TypeNode, error: ValidationError, data: Any) -> ModelValidationError:
    path, leaf = _error_path(node, error.messages, data)
    messages = error.messages
    return ModelValidationError(node.display, path, messages, _leaf_text(leaf))


# --- field declarations -------------------------------------------------------------------


class _FieldSpec:
    """What :func:`Field` returns; consumed when the model class is created."""

    __slots__ = ("alias", "default", "default_factory")

    def __init__(self, default: Any, alias: str | None, default_factory: Callable[[], Any] | None) -> None:
        self.default = default
        self.alias = alias
        self.default_factory = default_factory


# Capitalised like pydantic's Field: it is read as part of a field declaration.
def Field(
    default: Any = _MISSING,
    *,
    alias: str | None = None,
    default_factory: Callable[[], Any] | None = None,
) -> Any:
    """Declare a field's JSON name (``alias``) and/or default, e.g. ``type_: str = Field(alias="type")``."""
    if default is not _MISSING and default_factory is not None:
        raise TypeError("Field() takes either default or default_factory, not both")
    return _FieldSpec(default, alias, default_factory)


class _Namespace(dict):  # type: ignore[type-arg]
    """Locals for evaluating a forward reference, falling back to any model class by name.

    The fallback finds models defined in function scopes after the referring
    class, which neither the module globals nor the captured locals contain.
    """

    def __init__(self, local: Mapping[str, Any], globalns: Mapping[str, Any], module: str | None) -> None:
        super().__init__(local)
        self._globals = globalns
        self._module = module

    def __missing__(self, key: str) -> Any:
        if key in self._globals or hasattr(builtins, key):
            raise KeyError(key)  # let eval find it in globals or builtins
        found = _find_model(key, self._module)
        if found is None:
            raise KeyError(key)
        return found


def _find_model(name: str, module: str | None) -> type[Model] | None:
    matches: list[type[Model]] = []
    stack: list[type[Model]] = [Model]
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub.__name__ == name:
                matches.append(sub)
            stack.append(sub)
    same_module = [m for m in matches if m.__module__ == module]
    found = same_module or matches
    return found[-1] if found else None


class _FieldDecl:
    """One declared field: names, default and (resolved on first use) its type node."""

    __slots__ = ("_node", "annotation", "default", "factory", "key", "localns", "name", "owner", "required")

    def __init__(
        self,
        name: str,
        key: str,
        annotation: Any,
        owner: type,
        localns: dict[str, Any],
        default: Any,
        factory: Callable[[], Any] | None,
    ) -> None:
        self.name = name
        self.key = key
        self.annotation = annotation
        self.owner = owner
        self.localns = localns
        self.default = default
        self.factory = factory
        self.required = default is _MISSING and factory is None
        self._node: TypeNode | None = None

    def with_default(self, default: Any) -> _FieldDecl:
        factory = default.default_factory if isinstance(default, _FieldSpec) else None
        value = default.default if isinstance(default, _FieldSpec) else default
        return _FieldDecl(self.name, self.key, self.annotation, self.owner, self.localns, value, factory)

    @property
    def node(self) -> TypeNode:
        if self._node is None:
            self._node = annotation_node(self.annotation, self._resolve)
        return self._node

    def _resolve(self, source: str) -> Any:
        module = sys.modules.get(self.owner.__module__)
        globalns: dict[str, Any] = vars(module) if module is not None else {}
        localns = _Namespace({**self.localns, self.owner.__name__: self.owner}, globalns, self.owner.__module__)
        # The source is an annotation written in the model's own module, evaluated the
        # way typing.get_type_hints does, with model classes as a last resort.
        return eval(source, globalns, localns)

    def make_default(self) -> Any:
        """A fresh default value (``None`` for a required field); mutable defaults are copied."""
        if self.factory is not None:
            return self.factory()
        if self.default is _MISSING:
            return None
        if isinstance(self.default, _IMMUTABLE_DEFAULTS) or isinstance(self.default, enum.Enum):
            return self.default
        return copy.deepcopy(self.default)

    def load_default(self) -> Any:
        """The marshmallow ``load_default``: the value itself only when it is safe to share."""
        if self.factory is None and type(self.default) in _IMMUTABLE_DEFAULTS:
            return self.default
        return self.make_default  # marshmallow calls it per load


class _ModelInfo:
    """Per-class cache: field declarations, lookups and the generated schema."""

    __slots__ = ("by_key", "by_name", "fields", "pairs", "schema", "shadowed")

    def __init__(self, fields: tuple[_FieldDecl, ...]) -> None:
        self.fields = fields
        self.by_name = {f.name: f for f in fields}
        self.by_key = {f.key: f for f in fields}
        if len(self.by_key) != len(fields):
            raise TypeError("two fields of one model use the same JSON name")
        self.pairs = tuple((f.name, f.key) for f in fields)
        # Python names of aliased fields that an unknown JSON key could overwrite
        # in marshmallow's INCLUDE result (see _instance_from_loaded).
        self.shadowed = frozenset(f.name for f in fields if f.key != f.name and f.name not in self.by_key)
        self.schema: Schema | None = None


def _own_annotations(cls: type) -> dict[str, Any]:
    """The class's own annotations, unevaluated where they refer to names not defined yet."""
    if sys.version_info >= (3, 14):
        # Deferred annotations (PEP 649): evaluating them outright would fail on a
        # self-reference; FORWARDREF leaves unknown names as ForwardRef objects.
        import annotationlib

        return dict(annotationlib.get_annotations(cls, format=annotationlib.Format.FORWARDREF))
    return inspect.get_annotations(cls)


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.strip().startswith(("ClassVar", "typing.ClassVar", "t.ClassVar"))
    return annotation is ClassVar or typing.get_origin(annotation) is ClassVar


def _info(cls: type[Model]) -> _ModelInfo:
    return cls._genai_info


def model_field_nodes(cls: type[Model]) -> dict[str, TypeNode]:
    """The type node of each field of ``cls`` by JSON name (resolving annotations)."""
    return {f.key: f.node for f in _info(cls).fields}


def model_schema(cls: type[Model]) -> Schema:
    """The cached marshmallow schema instance of ``cls``, built on first call."""
    info = _info(cls)
    schema = info.schema
    if schema is None:
        with _LOCK:
            schema = info.schema
            if schema is None:
                schema = info.schema = _build_schema(cls, info)
    return schema


# --- schema generation and instance building ---------------------------------------------


class _ModelSchema(Schema):
    """Base of the generated schemas: keeps unknown fields and builds the model instance."""

    _genai_model: ClassVar[type[Model]]
    _genai_info: ClassVar[_ModelInfo]
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


def _build_schema(cls: type[Model], info: _ModelInfo) -> Schema:
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


def _new_instance(cls: type[Model], values: dict[str, Any], extra: dict[str, Any], fields_set: set[str]) -> Any:
    inst = object.__new__(cls)
    # object.__setattr__ bypasses Model.__setattr__ (which records explicitly set fields).
    object.__setattr__(inst, "__dict__", values)
    object.__setattr__(inst, "_genai_extra", extra)
    object.__setattr__(inst, "_genai_fields_set", fields_set)
    return inst


def _instance_from_loaded(schema: _ModelSchema, data: dict[str, Any], original: Any) -> Model:
    info = schema._genai_info
    values = {name: data.pop(name, None) for name, _ in info.pairs}
    if info.shadowed and isinstance(original, Mapping) and not info.shadowed.isdisjoint(original.keys()):
        # An unknown JSON key equal to an aliased field's Python name replaced the
        # field's loaded value in INCLUDE mode: load that field again, keep the key as extra.
        for name in info.shadowed.intersection(original.keys()):
            key = info.by_name[name].key
            raw = original.get(key, _MISSING)
            if raw is _MISSING:
                values[name] = info.by_name[name].make_default()
            else:
                values[name] = schema.fields[name].deserialize(raw, key, original)
            data[name] = original[name]
    fields_set = {name for name, key in info.pairs if key in original}
    return typing.cast("Model", _new_instance(schema._genai_model, values, data, fields_set))


# --- lenient construction ------------------------------------------------------------------


def _construct_model(cls: type[Model], data: Mapping[Any, Any]) -> Model:
    info = _info(cls)
    values: dict[str, Any] = {}
    fields_set: set[str] = set()
    for f in info.fields:
        if f.key in data:
            values[f.name] = _construct(f.node, data[f.key])
            fields_set.add(f.name)
        else:
            values[f.name] = f.make_default()
    extra = {k: v for k, v in data.items() if k not in info.by_key}
    return typing.cast("Model", _new_instance(cls, values, extra, fields_set))


def _shape_fits(node: TypeNode, value: Any) -> bool:
    if isinstance(value, Mapping):
        return node.kind in ("model", "dict")
    if isinstance(value, list):
        return node.kind == "list"
    return False


def _construct(node: TypeNode, value: Any) -> Any:
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
        return _construct_model(node.model, value) if isinstance(value, Mapping) else value
    if kind == "list" and node.item is not None:
        item = node.item
        return [_construct(item, v) for v in value] if isinstance(value, list) else value
    if kind == "dict" and node.item is not None:
        item = node.item
        return {k: _construct(item, v) for k, v in value.items()} if isinstance(value, Mapping) else value
    if kind == "float":
        return float(value) if type(value) is int else value
    if kind == "union":
        disc = node.discriminator()
        if disc is not None and isinstance(value, Mapping):
            member = lookup_tag(disc[1], value.get(disc[0]))
            if member is not None:
                return _construct(member, value)
        for member in node.members:
            try:
                return member.field().deserialize(value)
            except ValidationError:
                continue
        for member in node.members:
            if _shape_fits(member, value):
                return _construct(member, value)
        return value
    try:  # datetime, date, enum, literal: convert when valid, else keep
        return node.field().deserialize(value)
    except ValidationError:
        return value


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
            raise _validation_error(TypeNode("model", model=cls), error, data) from None
    except Exception:
        if strict:
            raise  # not a data mismatch: a bug worth seeing
    return _construct_model(cls, data)


# Keyed by (annotation, repr): typing compares unions as sets, Union[int, float] ==
# Union[float, int], but the member order decides which member a value becomes.
_ANNOTATION_NODES: dict[tuple[Any, str], TypeNode] = {}
_TOP_LEVEL_GLOBALS: dict[str, Any] = {
    "__builtins__": builtins,
    **{name: getattr(typing, name) for name in ("Any", "Dict", "List", "Literal", "Optional", "Union")},
    "datetime": dt.datetime,
    "date": dt.date,
}


def _top_level_resolve(source: str) -> Any:
    """Evaluate a string annotation given to :func:`load_as` (typing names and model classes)."""
    return eval(source, _TOP_LEVEL_GLOBALS, _Namespace({}, _TOP_LEVEL_GLOBALS, None))


def _node_for(type_: Any) -> TypeNode:
    key = (type_, repr(type_))
    try:
        return _ANNOTATION_NODES[key]
    except KeyError:
        pass
    except TypeError:  # unhashable annotation: translate without caching
        return annotation_node(type_, _top_level_resolve)
    node = annotation_node(type_, _top_level_resolve)
    with _LOCK:
        return _ANNOTATION_NODES.setdefault(key, node)


def load_as(type_: Any, data: object, *, strict: bool) -> Any:
    """Parse decoded JSON ``data`` as the annotation ``type_``.

    Strict mode raises :class:`ModelValidationError` on a mismatch.  Lenient
    mode never raises for the data: it returns the best effort (a model for a
    mapping, mistyped values kept, missing required fields ``None``, unknown
    fields kept) and non-matching top-level data as is.
    """
    node = _node_for(type_)
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
            raise _validation_error(node, error, data) from None
    except Exception:
        if strict:
            raise
    return _construct(node, data)


# --- serialization -------------------------------------------------------------------------


def _jsonable(value: Any) -> Any:
    if isinstance(value, Model):
        return _to_dict(value)
    if isinstance(value, Mapping):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return _jsonable(value.value)
    return value


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
    for f in _info(type(model)).fields:
        if f.name in fields_set and f.name in values:
            out[f.key] = _jsonable(values[f.name])
    for key, value in _extra_of(model).items():
        out.setdefault(key, _jsonable(value))
    return out


def to_jsonable(value: Any) -> Any:
    """Replace :class:`Model` instances (also inside dicts, lists, tuples) by their ``to_dict()``.

    Other values are returned unchanged (containers are rebuilt with the same
    kind: dict, list, tuple).
    """
    if isinstance(value, Model):
        return _to_dict(value)
    if isinstance(value, Mapping):
        return {k: to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [to_jsonable(v) for v in value]
    if isinstance(value, tuple):
        return tuple(to_jsonable(v) for v in value)
    return value


# --- the model base ------------------------------------------------------------------------


class Model:
    """Base for typed API models declared by class annotations (with defaults).

    Field values are plain instance attributes; unknown fields from the data
    are kept and readable as attributes too.  A field without a default is
    required; mutable defaults are copied per instance.
    """

    __slots__ = ("__dict__", "__weakref__", "_genai_extra", "_genai_fields_set")

    _genai_info: ClassVar[_ModelInfo]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # Models declared inside a function refer to each other through that
        # function's locals; keep a snapshot for resolving forward references.
        frame = sys._getframe(1)
        localns = dict(frame.f_locals) if frame.f_code.co_name != "<module>" else {}
        fields: dict[str, _FieldDecl] = {}
        for base in reversed(cls.__mro__[1:]):
            base_info = base.__dict__.get("_genai_info")
            if isinstance(base_info, _ModelInfo):
                fields.update((f.name, f) for f in base_info.fields)
        own = _own_annotations(cls)
        for name, decl in list(fields.items()):
            if name not in own and name in cls.__dict__:  # a subclass overriding only the default
                fields[name] = decl.with_default(cls.__dict__[name])
                delattr(cls, name)
        for name, annotation in own.items():
            if name.startswith("_") or _is_classvar(annotation):
                continue
            value = cls.__dict__.get(name, _MISSING)
            alias, factory = None, None
            if isinstance(value, _FieldSpec):
                alias, factory, value = value.alias, value.default_factory, value.default
            if name in cls.__dict__:
                # Defaults live in the field declaration; removing the class attribute
                # keeps Model's own methods visible and avoids a shared mutable value.
                delattr(cls, name)
            fields[name] = _FieldDecl(name, alias or name, annotation, cls, localns, value, factory)
        cls._genai_info = _ModelInfo(tuple(fields.values()))

    def __init__(self, **data: Any) -> None:
        """Build an instance by hand from Python field names (JSON names work too).

        Nothing is validated; missing fields take their defaults (``None`` when
        required) and unknown names are kept as unknown fields.
        """
        info = _info(type(self))
        given: dict[str, Any] = {}
        extra: dict[str, Any] = {}
        for key, value in data.items():
            decl = info.by_name.get(key) or info.by_key.get(key)
            if decl is None:
                extra[key] = value
            else:
                given[decl.name] = value
        values = {f.name: given[f.name] if f.name in given else f.make_default() for f in info.fields}
        object.__setattr__(self, "__dict__", values)
        object.__setattr__(self, "_genai_extra", extra)
        object.__setattr__(self, "_genai_fields_set", set(given))

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

    if not TYPE_CHECKING:
        # Hidden from type checkers so that typos in declared names stay errors there.
        def __getattr__(self, name: str) -> Any:
            try:
                return _extra_of(self)[name]
            except KeyError:
                raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}") from None

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _info(type(self)).by_name:
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
        parts = [f"{f.name}={values[f.name]!r}" for f in _info(type(self)).fields if f.name in values]
        odd: dict[str, Any] = {}
        for key, value in _extra_of(self).items():
            if isinstance(key, str) and key.isidentifier():
                parts.append(f"{key}={value!r}")
            else:
                odd[key] = value
        if odd:
            parts.append(f"**{odd!r}")
        return f"{type(self).__name__}({', '.join(parts)})"


Model._genai_info = _ModelInfo(())
