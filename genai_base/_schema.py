"""Translation of model annotations into type nodes and marshmallow fields.

An annotation is first turned into a :class:`TypeNode`, a small resolved
description of the type (forward references evaluated, ``Optional`` folded
into ``nullable``).  The same node then drives three things: the marshmallow
field used for validated loading (:func:`make_field`), the non-validating
construction of lenient mode and the error-path walk of validation errors.
The marshmallow field classes themselves live in ``_model_ma_fields``.
"""

from __future__ import annotations

import collections.abc
import copy
import datetime as dt
import enum
import types
import typing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from marshmallow import fields as ma

from ._model_ma_fields import (
    BoolField,
    DateTimeField,
    EnumField,
    FloatField,
    LiteralField,
    UnionField,
    json_value,
    tag_key,
)

if TYPE_CHECKING:
    from ._models import Model

__all__ = ["TypeNode", "annotation_node", "make_field"]

_NONE_TYPE = type(None)
_UNSET: Any = object()

_LIST_ORIGINS = (list, collections.abc.Sequence, collections.abc.MutableSequence)
_DICT_ORIGINS = (dict, collections.abc.Mapping, collections.abc.MutableMapping)
_SIMPLE_KINDS: dict[type, str] = {
    str: "str",
    int: "int",
    float: "float",
    bool: "bool",
    dt.datetime: "datetime",
    dt.date: "date",
}


class TypeNode:
    """A resolved annotation: its kind plus what the kind needs.

    ``kind`` is one of ``any``, ``none``, ``str``, ``int``, ``float``,
    ``bool``, ``datetime``, ``date``, ``enum``, ``literal``, ``model``,
    ``list``, ``dict`` and ``union``.  ``item`` is the element type of a list
    or the value type of a dict.
    """

    __slots__ = ("_disc", "_field", "choices", "enum", "item", "kind", "members", "model", "nullable")

    def __init__(
        self,
        kind: str,
        *,
        nullable: bool = False,
        model: type[Model] | None = None,
        item: TypeNode | None = None,
        members: tuple[TypeNode, ...] = (),
        choices: tuple[Any, ...] = (),
        enum_cls: type[enum.Enum] | None = None,
    ) -> None:
        self.kind = kind
        self.nullable = nullable
        self.model = model
        self.item = item
        self.members = members
        self.choices = choices
        self.enum = enum_cls
        self._field: ma.Field | None = None
        self._disc: Any = _UNSET

    def as_nullable(self) -> TypeNode:
        """A copy of this node that also accepts ``None``."""
        if self.nullable:
            return self
        return TypeNode(
            self.kind,
            nullable=True,
            model=self.model,
            item=self.item,
            members=self.members,
            choices=self.choices,
            enum_cls=self.enum,
        )

    @property
    def display(self) -> str:
        """A readable name of the type, used in error messages."""
        kind = self.kind
        if kind == "model" and self.model is not None:
            name = self.model.__name__
        elif kind == "enum" and self.enum is not None:
            name = self.enum.__name__
        elif kind == "list" and self.item is not None:
            name = f"list[{self.item.display}]"
        elif kind == "dict" and self.item is not None:
            name = f"dict[str, {self.item.display}]"
        elif kind == "union":
            name = " | ".join(m.display for m in self.members)
        elif kind == "literal":
            name = "Literal[" + ", ".join(repr(json_value(c)) for c in self.choices) + "]"
        else:
            name = kind
        if self.nullable and kind not in ("any", "none"):
            name += " | None"
        return name

    def field(self) -> ma.Field:
        """A standalone (unbound) marshmallow field for this node, built once."""
        if self._field is None:
            self._field = make_field(self)
        return self._field

    def discriminator(self) -> tuple[str, dict[tuple[type, Any], TypeNode]] | None:
        """For a union of models sharing a ``Literal`` field: its JSON name and tag table.

        Computed on first use rather than when the node is built, because it
        needs the member models' own fields, which may not be resolvable yet
        (a model can be a member of a union declared inside itself).
        """
        if self._disc is _UNSET:
            self._disc = _find_discriminator(self.members)
        return typing.cast("tuple[str, dict[tuple[type, Any], TypeNode]] | None", self._disc)


def _find_discriminator(
    members: tuple[TypeNode, ...],
) -> tuple[str, dict[tuple[type, Any], TypeNode]] | None:
    from ._model_fields import model_field_nodes  # not at the top: _model_fields imports this module

    models = [m for m in members if m.kind == "model" and m.model is not None]
    if len(models) < 2:
        return None
    tables = [model_field_nodes(typing.cast("type[Model]", m.model)) for m in models]
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


def annotation_node(tp: Any, resolve: Callable[[str], Any]) -> TypeNode:
    """Translate an annotation into a :class:`TypeNode`.

    ``resolve`` evaluates a forward reference given as a string.  Raises
    :class:`TypeError` for annotations this library cannot load.
    """
    if isinstance(tp, str):
        return annotation_node(resolve(tp), resolve)
    if isinstance(tp, typing.ForwardRef):
        return annotation_node(resolve(tp.__forward_arg__), resolve)
    if tp is typing.Any or tp is object:
        return TypeNode("any", nullable=True)
    if tp is None or tp is _NONE_TYPE:
        return TypeNode("none", nullable=True)

    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin is typing.Annotated:
        return annotation_node(args[0], resolve)
    if origin is typing.Union or origin is types.UnionType:
        present = [a for a in args if a is not _NONE_TYPE and a is not None]
        nullable = len(present) < len(args)
        if len(present) == 1:
            node = annotation_node(present[0], resolve)
            return node.as_nullable() if nullable else node
        members = tuple(annotation_node(a, resolve) for a in present)
        return TypeNode("union", nullable=nullable, members=members)
    if origin is typing.Literal:
        choices = tuple(a for a in args if a is not None)
        return TypeNode("literal", nullable=len(choices) < len(args), choices=choices)
    if origin in _LIST_ORIGINS or tp in (list, typing.List):
        item = annotation_node(args[0], resolve) if args else TypeNode("any", nullable=True)
        return TypeNode("list", item=item)
    if origin in _DICT_ORIGINS or tp in (dict, typing.Dict):
        if args:
            key = annotation_node(args[0], resolve)
            if key.kind not in ("str", "any"):
                raise TypeError(f"dict keys must be str in a model annotation, not {args[0]!r}")
            item = annotation_node(args[1], resolve)
        else:
            item = TypeNode("any", nullable=True)
        return TypeNode("dict", item=item)
    if isinstance(tp, type):
        from ._models import Model  # not at the top: _models imports this module

        if issubclass(tp, Model):
            return TypeNode("model", model=tp)
        if issubclass(tp, enum.Enum):
            return TypeNode("enum", enum_cls=tp)
        simple = _SIMPLE_KINDS.get(tp)  # exact types: a bool is no int here, a datetime no date
        if simple is not None:
            return TypeNode(simple)
    raise TypeError(f"unsupported annotation for a model field: {tp!r}")


# --- node to marshmallow field -------------------------------------------------------------


def _schema_of(model: type[Model], *, many: bool = False) -> Any:
    from ._model_schema import model_schema  # not at the top: _model_schema imports this module

    schema = model_schema(model)
    if many:
        # A shallow copy (not a new construction) flagged many=True: marshmallow 3's
        # Nested ignores its own many= for a schema instance, marshmallow 4 honours both.
        schema = copy.copy(schema)
        schema.many = True
    return schema


def make_field(node: TypeNode, **kwargs: Any) -> ma.Field:
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
        return UnionField(node, **kwargs)
    raise TypeError(f"cannot build a field for {node.display}")  # pragma: no cover - nodes are checked
