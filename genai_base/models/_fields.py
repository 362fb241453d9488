"""Field declarations of model classes, the resolution of their annotations, discriminators.

When a model class is created, :func:`collect_fields` turns its annotations
(with optional defaults or :func:`Field` specs, inherited ones included) into
a per-class :class:`ModelInfo`. Each declaration resolves its annotation to a
:class:`~genai_base.models._nodes.TypeNode` on first use, forward references
included; :func:`node_for` does the same for the top-level annotations given
to ``load_as``. :func:`discriminator` finds the tag field of a union of
models. Nothing here needs marshmallow.
"""

from __future__ import annotations

import builtins
import copy
import datetime as dt
import enum
import inspect
import sys
import threading
import typing
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from ._nodes import UNSET, ModelRoot, TypeNode, annotation_node, json_value, tag_key

if sys.version_info >= (3, 14):
    import annotationlib

__all__ = [
    "LOCK",
    "MISSING",
    "Field",
    "FieldDecl",
    "ModelInfo",
    "collect_fields",
    "discriminator",
    "model_field_nodes",
    "model_info",
    "node_for",
]


class _Missing:
    """Marks "no default given" (``None`` is a legitimate default)."""

    def __repr__(self) -> str:
        return "<missing>"


MISSING: Any = _Missing()
#: Guards the lazily filled caches: schemas, compiled loaders, the top-level annotation nodes.
LOCK = threading.RLock()
_IMMUTABLE_DEFAULTS = (type(None), bool, int, float, complex, str, bytes, frozenset)


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
    default: Any = MISSING,
    *,
    alias: str | None = None,
    default_factory: Callable[[], Any] | None = None,
) -> Any:
    """Declare a field's JSON name (``alias``) and/or default, e.g. ``type_: str = Field(alias="type")``."""
    if default is not MISSING and default_factory is not None:
        raise TypeError("Field() takes either default or default_factory, not both")
    if alias is not None and type(alias) is not str:
        raise TypeError(f"Field(alias=...) must be a str, not {type(alias).__name__}")
    return _FieldSpec(default, alias, default_factory)


class FieldDecl:
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
        self.required = default is MISSING and factory is None
        self._node: TypeNode | None = None

    def with_default(self, default: Any) -> FieldDecl:
        """This declaration with another default (a subclass overriding only the default)."""
        factory = default.default_factory if isinstance(default, _FieldSpec) else None
        value = default.default if isinstance(default, _FieldSpec) else default
        return FieldDecl(self.name, self.key, self.annotation, self.owner, self.localns, value, factory)

    @property
    def node(self) -> TypeNode:
        """The field's resolved annotation (evaluated on first use: it may name later classes)."""
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
        if self.default is MISSING:
            return None
        if isinstance(self.default, _IMMUTABLE_DEFAULTS) or isinstance(self.default, enum.Enum):
            return self.default
        return copy.deepcopy(self.default)

    @property
    def shares_default(self) -> bool:
        """True when every instance may hold the default value itself (immutable, no factory)."""
        return self.factory is None and type(self.default) in _IMMUTABLE_DEFAULTS

    def load_default(self) -> Any:
        """The marshmallow ``load_default``: the value itself only when it is safe to share."""
        if self.shares_default:
            return self.default
        return self.make_default  # marshmallow calls it per load


class ModelInfo:
    """Per-class cache: field declarations, lookups, the generated schema and the compiled loaders."""

    __slots__ = (
        "all_names",
        "by_key",
        "by_name",
        "fields",
        "keys",
        "lenient",
        "pairs",
        "schema",
        "shadowed",
        "strict",
    )

    def __init__(self, fields: tuple[FieldDecl, ...]) -> None:
        self.fields = fields
        self.by_name = {f.name: f for f in fields}
        self.by_key = {f.key: f for f in fields}
        if len(self.by_key) != len(fields):
            raise TypeError("two fields of one model use the same JSON name")
        self.pairs = tuple((f.name, f.key) for f in fields)
        self.keys = frozenset(self.by_key)
        #: What an instance whose ``_genai_fields_set`` slot is unset has set: every field.
        self.all_names = frozenset(self.by_name)
        # Python names of aliased fields that an unknown JSON key could overwrite
        # in marshmallow's INCLUDE result (see _schema._instance_from_loaded).
        self.shadowed = frozenset(f.name for f in fields if f.key != f.name and f.name not in self.by_key)
        #: The marshmallow schema instance (``_schema``), built on first use.
        self.schema: Any = None
        #: The compiled loaders (``_strict``, ``_lenient``), built on first use.
        self.strict: Any = None
        self.lenient: Any = None


def _own_annotations(cls: type) -> dict[str, Any]:
    """The class's own annotations, unevaluated where they refer to names not defined yet."""
    if sys.version_info >= (3, 14):
        # Deferred annotations (PEP 649): evaluating them outright would fail on a
        # self-reference; FORWARDREF leaves unknown names as ForwardRef objects.
        return dict(annotationlib.get_annotations(cls, format=annotationlib.Format.FORWARDREF))
    return inspect.get_annotations(cls)


def _is_classvar(annotation: Any) -> bool:
    if isinstance(annotation, str):
        return annotation.strip().startswith(("ClassVar", "typing.ClassVar", "t.ClassVar"))
    return annotation is ClassVar or typing.get_origin(annotation) is ClassVar


def collect_fields(cls: type, localns: dict[str, Any]) -> ModelInfo:
    """The fields of a new model class: its bases' fields, then its own annotations.

    Defaults move from the class into the declarations (the class attributes
    are deleted).  ``localns`` is the defining scope's locals, for resolving
    forward references to models declared in the same function.
    """
    fields: dict[str, FieldDecl] = {}
    for base in reversed(cls.__mro__[1:]):
        base_info = base.__dict__.get("_genai_info")
        if isinstance(base_info, ModelInfo):
            fields.update((f.name, f) for f in base_info.fields)
    own = _own_annotations(cls)
    for name, decl in list(fields.items()):
        if name not in own and name in cls.__dict__:  # a subclass overriding only the default
            fields[name] = decl.with_default(cls.__dict__[name])
            delattr(cls, name)
    for name, annotation in own.items():
        if name.startswith("_") or _is_classvar(annotation):
            continue
        value = cls.__dict__.get(name, MISSING)
        alias, factory = None, None
        if isinstance(value, _FieldSpec):
            alias, factory, value = value.alias, value.default_factory, value.default
        if name in cls.__dict__:
            # Defaults live in the field declaration; removing the class attribute
            # keeps Model's own methods visible and avoids a shared mutable value.
            delattr(cls, name)
        fields[name] = FieldDecl(name, alias or name, annotation, cls, localns, value, factory)
    return ModelInfo(tuple(fields.values()))


def model_info(cls: type[ModelRoot]) -> ModelInfo:
    """The :class:`ModelInfo` of a model class."""
    return typing.cast(ModelInfo, cls._genai_info)


def model_field_nodes(cls: type[ModelRoot]) -> dict[str, TypeNode]:
    """The type node of each field of ``cls`` by JSON name (resolving annotations)."""
    return {f.key: f.node for f in model_info(cls).fields}


# --- annotation resolution ----------------------------------------------------------------


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


def _find_model(name: str, module: str | None) -> type[ModelRoot] | None:
    matches: list[type[ModelRoot]] = []
    # Below the root's direct subclass (Model itself): every model class declared anywhere.
    stack: list[type[ModelRoot]] = list(ModelRoot.__subclasses__())
    while stack:
        cls = stack.pop()
        for sub in cls.__subclasses__():
            if sub.__name__ == name:
                matches.append(sub)
            stack.append(sub)
    same_module = [m for m in matches if m.__module__ == module]
    found = same_module or matches
    return found[-1] if found else None


# Keyed by the class itself for a class, else by (annotation, repr): typing compares unions
# as sets, Union[int, float] == Union[float, int], but the member order decides which member
# a value becomes.
_ANNOTATION_NODES: dict[Any, TypeNode] = {}
_TOP_LEVEL_GLOBALS: dict[str, Any] = {
    "__builtins__": builtins,
    **{name: getattr(typing, name) for name in ("Any", "Dict", "List", "Literal", "Optional", "Union")},
    "datetime": dt.datetime,
    "date": dt.date,
}


def _top_level_resolve(source: str) -> Any:
    """Evaluate a string annotation given to ``load_as`` (typing names and model classes)."""
    return eval(source, _TOP_LEVEL_GLOBALS, _Namespace({}, _TOP_LEVEL_GLOBALS, None))


def node_for(type_: Any) -> TypeNode:
    """The (cached) type node of an annotation given to ``load_as``."""
    # type(...) rather than isinstance: on 3.10 list[int] passes isinstance(..., type).
    key = type_ if type(type_) is type else (type_, repr(type_))
    try:
        return _ANNOTATION_NODES[key]
    except KeyError:
        pass
    except TypeError:  # unhashable annotation: translate without caching
        return annotation_node(type_, _top_level_resolve)
    node = annotation_node(type_, _top_level_resolve)
    with LOCK:
        return _ANNOTATION_NODES.setdefault(key, node)


# --- discriminators -----------------------------------------------------------------------


def discriminator(node: TypeNode) -> tuple[str, dict[tuple[type, Any], TypeNode]] | None:
    """For a union of models sharing a ``Literal`` field: its JSON name and tag table.

    Computed on first use and kept in the node, rather than when the node is
    built, because it needs the member models' own fields, which may not be
    resolvable yet (a model can be a member of a union declared inside itself).
    """
    if node.disc is UNSET:
        node.disc = _find_discriminator(node.members)
    return typing.cast("tuple[str, dict[tuple[type, Any], TypeNode]] | None", node.disc)


def _find_discriminator(
    members: tuple[TypeNode, ...],
) -> tuple[str, dict[tuple[type, Any], TypeNode]] | None:
    models = [m for m in members if m.kind == "model" and m.model is not None]
    if len(models) < 2:
        return None
    tables = [model_field_nodes(typing.cast("type[ModelRoot]", m.model)) for m in models]
    for key, first in tables[0].items():
        if first.kind != "literal":
            continue
        if not all(key in t and t[key].kind == "literal" for t in tables):
            continue
        by_tag: dict[tuple[type, Any], TypeNode] = {}
        clash = False
        for member, table in zip(models, tables, strict=True):
            for choice in table[key].choices:
                k = tag_key(json_value(choice))
                if k in by_tag and by_tag[k] is not member:
                    clash = True  # two members claim one tag: not a usable discriminator
                by_tag[k] = member
        if not clash:
            return key, by_tag
    return None
