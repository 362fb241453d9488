"""The strict fast path: one generated function per model class that checks and builds in one pass.

For each field the generated code reads the JSON key, checks the value's
exact JSON type (``type(v) is str``; an ``int`` where a ``float`` is declared
becomes a float, as in the schema), and keeps or converts it; lists and dicts
of scalars are checked in bulk (``list(map(type, v)).count(str) == len(v)``,
all in C), nested models call their own compiled function. What the code is
not sure of (a ``str`` subclass, a tuple for a list, an unusual date string,
an ``Enum`` value outside its table) goes to the node's marshmallow field, so
the result is marshmallow's; when marshmallow refuses a value, the function
raises :class:`~genai_base.models._compile.Unsure` and the caller reruns the
whole load through the schema for the exact error.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from marshmallow import ValidationError

from ._compile import (
    BULK_TYPES,
    Source,
    Unsure,
    compiled_once,
    default_code,
    identity,
    instance_tail,
    lazy_model_fn,
    literal,
    node_function,
    refused_types,
    type_test,
    value_table,
)
from ._fields import ModelInfo, discriminator, model_info
from ._ma_fields import ISO_DATE, ISO_DATETIME, utc_z
from ._nodes import UNSET, ModelRoot, TypeNode, lookup_tag
from ._schema import field_for

__all__ = ["strict_model_fn", "strict_node_fn"]


def strict_model_fn(cls: type[ModelRoot]) -> Callable[[dict[Any, Any]], Any]:
    """The compiled strict loader of ``cls``: takes a ``dict``, returns an instance or raises ``Unsure``."""
    info = model_info(cls)
    return info.strict or compiled_once(info, "strict", None, _compile_model, cls, info)


def strict_node_fn(node: TypeNode) -> Callable[[Any], Any]:
    """The compiled strict loader of one value of ``node`` (``None`` included)."""
    fn = node.strict_fn
    return fn if fn is not UNSET else compiled_once(node, "strict_fn", UNSET, _compile_node, node)


def _slow(node: TypeNode) -> Callable[[Any], Any]:
    """The node's marshmallow field as a loader: its result, or ``Unsure`` where it refuses."""

    def slow(value: Any) -> Any:
        try:
            return field_for(node).deserialize(value)
        except ValidationError:
            raise Unsure from None

    return slow


class _Emitter:
    """Writes the code that loads the value in variable ``v`` of a node into variable ``dst``."""

    def __init__(self, source: Source) -> None:
        self.s = source
        self._temps = 0

    def temp(self) -> str:
        self._temps += 1
        return f"t{self._temps}"

    def value(self, node: TypeNode, v: str, dst: str, ind: int) -> None:
        s = self.s
        kind = node.kind
        if kind == "any":
            s.line(ind, f"{dst} = {v}")
            return
        if node.nullable:
            s.line(ind, f"if {v} is None:")
            s.line(ind + 1, f"{dst} = None")
            s.line(ind, "else:")
            ind += 1
        slow = s.const(_slow(node), "slow")
        if kind in ("str", "int"):
            self._checked(f"type({v}) is {kind}", f"{dst} = {v}", f"{dst} = {slow}({v})", ind)
        elif kind == "bool":
            self._checked(f"{v} is True or {v} is False", f"{dst} = {v}", f"{dst} = {slow}({v})", ind)
        elif kind == "float":
            s.line(ind, f"if type({v}) is float:")
            s.line(ind + 1, f"{dst} = {v}")
            s.line(ind, f"elif type({v}) is int:")
            s.line(ind + 1, "try:")
            s.line(ind + 2, f"{dst} = float({v})")
            s.line(ind + 1, "except OverflowError:")
            s.line(ind + 2, f"{dst} = {slow}({v})")
            s.line(ind, "else:")
            s.line(ind + 1, f"{dst} = {slow}({v})")
        elif kind in ("datetime", "date"):
            self._temporal(node, v, dst, slow, ind)
        elif kind in ("enum", "literal", "none"):
            table, key_types = value_table(node)
            s.line(ind, f"{dst} = {s.const(table, 'tab')}.get({v}, M) if {type_test(v, key_types)} else M")
            s.line(ind, f"if {dst} is M:")
            s.line(ind + 1, f"{dst} = {slow}({v})")
        elif kind == "model" and node.model is not None:
            load = lazy_model_fn(s, node.model, strict_model_fn, "load")
            self._checked(f"type({v}) is dict", f"{dst} = {load}({v})", f"{dst} = {slow}({v})", ind)
        elif kind == "list" and node.item is not None:
            s.line(ind, f"if type({v}) is list:")
            self._list(node.item, v, dst, ind + 1)
            s.line(ind, "else:")
            s.line(ind + 1, f"{dst} = {slow}({v})")
        elif kind == "dict" and node.item is not None:
            if node.item.kind == "any":  # marshmallow's bare Dict: a copy, keys unchecked
                self._checked(f"type({v}) is dict", f"{dst} = {v}.copy()", f"{dst} = {slow}({v})", ind)
            else:
                s.line(ind, f"if type({v}) is dict and list(map(type, {v})).count(str) == len({v}):")
                self._dict(node.item, v, dst, ind + 1)
                s.line(ind, "else:")
                s.line(ind + 1, f"{dst} = {slow}({v})")
        else:  # union
            s.line(ind, f"{dst} = {s.const(strict_node_fn(node), 'union')}({v})")

    def _checked(self, test: str, fast: str, slow: str, ind: int) -> None:
        self.s.line(ind, f"if {test}:")
        self.s.line(ind + 1, fast)
        self.s.line(ind, "else:")
        self.s.line(ind + 1, slow)

    def _temporal(self, node: TypeNode, v: str, dst: str, slow: str, ind: int) -> None:
        s = self.s
        parser = ISO_DATETIME if node.kind == "datetime" else ISO_DATE
        arg = f"{s.const(utc_z, 'utcz')}({v})" if node.kind == "datetime" else v
        s.line(ind, f"if type({v}) is str:")
        s.line(ind + 1, "try:")
        s.line(ind + 2, f"{dst} = {s.const(parser, 'iso')}({arg})")
        s.line(ind + 1, "except (TypeError, AttributeError, ValueError):")  # what the field turns into "invalid"
        s.line(ind + 2, f"{dst} = {slow}({v})")
        s.line(ind, "else:")
        s.line(ind + 1, f"{dst} = {slow}({v})")

    def _list(self, item: TypeNode, v: str, dst: str, ind: int) -> None:
        s = self.s
        each = s.const(strict_node_fn(item), "item")
        bulk = BULK_TYPES.get(item.kind) if not item.nullable else None
        if item.kind == "any":
            s.line(ind, f"{dst} = {v}.copy()")
        elif bulk is float:
            types, floats = self.temp(), self.temp()
            s.line(ind, f"{types} = list(map(type, {v}))")
            s.line(ind, f"{floats} = {types}.count(float)")
            s.line(ind, f"if {floats} == len({v}):")
            s.line(ind + 1, f"{dst} = {v}.copy()")
            s.line(ind, f"elif {floats} + {types}.count(int) == len({v}):")
            s.line(ind + 1, "try:")
            s.line(ind + 2, f"{dst} = list(map(float, {v}))")
            s.line(ind + 1, "except OverflowError:")
            s.line(ind + 2, f"{dst} = [{each}(x) for x in {v}]")
            s.line(ind, "else:")
            s.line(ind + 1, f"{dst} = [{each}(x) for x in {v}]")
        elif bulk is not None:
            s.line(ind, f"if list(map(type, {v})).count({bulk.__name__}) == len({v}):")
            s.line(ind + 1, f"{dst} = {v}.copy()")
            s.line(ind, "else:")
            s.line(ind + 1, f"{dst} = [{each}(x) for x in {v}]")
        elif item.kind == "model" and not item.nullable and item.model is not None:
            load = lazy_model_fn(s, item.model, strict_model_fn, "load")
            s.line(ind, f"{dst} = [{load}(x) if type(x) is dict else {each}(x) for x in {v}]")
        else:
            s.line(ind, f"{dst} = [{each}(x) for x in {v}]")

    def _dict(self, item: TypeNode, v: str, dst: str, ind: int) -> None:
        s = self.s
        each = s.const(strict_node_fn(item), "item")
        bulk = BULK_TYPES.get(item.kind) if not item.nullable else None
        if bulk is not None:
            s.line(ind, f"if list(map(type, {v}.values())).count({bulk.__name__}) == len({v}):")
            s.line(ind + 1, f"{dst} = {v}.copy()")
            s.line(ind, "else:")
            s.line(ind + 1, f"{dst} = {{k: {each}(x) for k, x in {v}.items()}}")
        elif item.kind == "model" and not item.nullable and item.model is not None:
            load = lazy_model_fn(s, item.model, strict_model_fn, "load")
            s.line(ind, f"{dst} = {{k: {load}(x) if type(x) is dict else {each}(x) for k, x in {v}.items()}}")
        else:
            s.line(ind, f"{dst} = {{k: {each}(x) for k, x in {v}.items()}}")


def _compile_model(cls: type[ModelRoot], info: ModelInfo) -> Callable[[dict[Any, Any]], Any]:
    s = Source(f"strict {cls.__qualname__}")
    emit = _Emitter(s)
    optional = [f for f in info.fields if not f.required]
    bit = {f.name: 1 << i for i, f in enumerate(optional)}
    s.line(0, "def load(d):")
    s.line(1, "get = d.get")
    if optional:
        s.line(1, "m = 0")
    for i, f in enumerate(info.fields):
        s.line(1, f"v = get({literal(f.key)}, M)")
        if f.required:
            s.line(1, "if v is M:")
            s.line(2, "raise Unsure")  # marshmallow: "Missing data for required field."
            emit.value(f.node, "v", f"f{i}", 1)
        else:
            s.line(1, "if v is M:")
            s.line(2, f"f{i} = {default_code(s, f)}")
            s.line(1, "else:")
            s.line(2, f"m |= {bit[f.name]}")
            emit.value(f.node, "v", f"f{i}", 2)
    required = len(info.fields) - len(optional)
    known = f"{required} + m.bit_count()" if optional else str(required)
    instance_tail(s, cls, info, known, tuple(f.name for f in optional))
    return s.build("load")


def _compile_node(node: TypeNode) -> Callable[[Any], Any]:
    if node.kind == "union":
        return _union_fn(node)
    if node.kind == "any":
        return identity
    return node_function("strict", node, _Emitter, "load")


def _union_fn(node: TypeNode) -> Callable[[Any], Any]:
    """A union as ``UnionField`` loads it: by discriminator tag, else the first member that loads."""
    slow = _slow(node)
    prepared: list[Any] = []

    def prepare() -> list[Any]:
        # On first call, not at compile time: the members' fields may name classes declared later.
        disc = discriminator(node)
        by_tag = {key: strict_node_fn(m) for key, m in disc[1].items()} if disc is not None else None
        tag_only = not any(m.kind in ("dict", "any") for m in node.members)
        members = [(strict_node_fn(m), refused_types(m)) for m in node.members]
        return [disc[0] if disc is not None else None, by_tag, tag_only, members]

    def load(value: Any) -> Any:
        if not prepared:
            prepared.extend(prepare())
        tag_field, by_tag, tag_only, members = prepared
        if value is None:
            return None if node.nullable else slow(value)
        if type(value) is not dict and isinstance(value, Mapping):
            return slow(value)  # the schema's own handling of other mappings
        if by_tag is not None and type(value) is dict:
            fn = lookup_tag(by_tag, value.get(tag_field))
            if fn is not None:
                return fn(value)
            if tag_only:
                raise Unsure  # marshmallow: "Must be one of: <tags>."
        kind = type(value)
        for fn, refused in members:
            if kind in refused:
                continue
            try:
                return fn(value)
            except Unsure:
                continue
        raise Unsure

    return load
