"""Annotations resolved into type nodes, and the root every model class derives from.

An annotation is turned into a :class:`TypeNode`, a small resolved description
of the type (forward references evaluated, ``Optional`` folded into
``nullable``). The same node drives every later layer: the marshmallow field
of the validated load (``_schema``), the compiled fast path (``_strict``,
``_lenient``), the reference lenient construction and the error-path walk.
Those layers keep what they derive from a node in the node's cache slots
(``ma_field``, ``strict_fn``, ``lenient_fn``, ``disc``), so this module needs
none of them.

:class:`ModelRoot` declares the storage of a model instance (its slots); the
public :class:`~genai_base.models.Model` derives from it, and the lower layers
recognise model classes by it without importing ``Model``.
"""

from __future__ import annotations

import collections.abc
import datetime as dt
import enum
import types
import typing
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

__all__ = ["UNSET", "ModelRoot", "TypeNode", "annotation_node", "json_value", "lookup_tag", "tag_key"]

_NONE_TYPE = type(None)
#: A cache slot not filled yet (``None`` is a legitimate cached value).
UNSET: Any = object()

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


class ModelRoot:
    """The storage of a model instance: field values in ``__dict__``, two slots beside it.

    ``_genai_extra`` holds the unknown fields (a dict; unset when there are
    none) and ``_genai_fields_set`` the names of the fields given explicitly (a
    frozenset; unset when every field was given). Leaving them unset is what
    keeps a typical loaded instance small; ``_instances`` reads them.
    """

    __slots__ = ("__dict__", "__weakref__", "_genai_extra", "_genai_fields_set")

    #: The class's ``ModelInfo`` (set by ``_fields.collect_fields`` for each subclass).
    _genai_info: ClassVar[Any]


def json_value(choice: Any) -> Any:
    """The JSON form of a ``Literal`` choice (an Enum member appears as its value)."""
    return choice.value if isinstance(choice, enum.Enum) else choice


_Member = TypeVar("_Member")


def tag_key(value: Any) -> tuple[type, Any]:
    """A lookup key that keeps ``True`` and ``1`` apart (they are equal in Python)."""
    return (type(value), value)


def lookup_tag(by_tag: dict[tuple[type, Any], _Member], tag: Any) -> _Member | None:
    """The union member (its node, or its loader) whose discriminator accepts ``tag`` (``None`` if none does)."""
    try:
        return by_tag.get(tag_key(tag))
    except TypeError:  # an unhashable tag (a list or dict from the wire) matches nothing
        return None


class TypeNode:
    """A resolved annotation: its kind plus what the kind needs.

    ``kind`` is one of ``any``, ``none``, ``str``, ``int``, ``float``,
    ``bool``, ``datetime``, ``date``, ``enum``, ``literal``, ``model``,
    ``list``, ``dict`` and ``union``.  ``item`` is the element type of a list
    or the value type of a dict. The last four slots are caches the higher
    layers fill on first use (:data:`UNSET` until then).
    """

    __slots__ = (
        "choices",
        "disc",
        "enum",
        "item",
        "kind",
        "lenient_fn",
        "ma_field",
        "members",
        "model",
        "nullable",
        "strict_fn",
    )

    def __init__(
        self,
        kind: str,
        *,
        nullable: bool = False,
        model: type[ModelRoot] | None = None,
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
        self.ma_field: Any = UNSET
        self.disc: Any = UNSET
        self.strict_fn: Any = UNSET
        self.lenient_fn: Any = UNSET

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
        if issubclass(tp, ModelRoot):
            return TypeNode("model", model=tp)
        if issubclass(tp, enum.Enum):
            return TypeNode("enum", enum_cls=tp)
        simple = _SIMPLE_KINDS.get(tp)  # exact types: a bool is no int here, a datetime no date
        if simple is not None:
            return TypeNode(simple)
    raise TypeError(f"unsupported annotation for a model field: {tp!r}")
