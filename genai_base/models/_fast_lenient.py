"""The lenient fast path: one generated builder per model class, no validated load first.

It builds what the reference construction (``_lenient.construct``) builds,
directly: values that fit their annotation are converted as in the schema
(an ``int`` for a ``float`` becomes a float, a date string a ``datetime``, an
``Enum`` value its member, a nested mapping a model), values that do not are
kept as received, missing required fields read as ``None``, unknown fields
are kept. Lists and dicts of scalars are copied in one call; anything the
generated code does not handle itself goes to the reference construction for
that value, so the result is the reference's. Nothing here raises for the data.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from ._compile import (
    KEEP_KINDS,
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
from ._fast_strict import strict_node_fn
from ._fields import ModelInfo, discriminator, model_info
from ._lenient import construct, shape_fits
from ._ma_fields import ISO_DATE, ISO_DATETIME, utc_z
from ._nodes import UNSET, ModelRoot, TypeNode, lookup_tag

__all__ = ["lenient_model_fn", "lenient_node_fn"]


def lenient_model_fn(cls: type[ModelRoot]) -> Callable[[dict[Any, Any]], Any]:
    """The compiled lenient builder of ``cls``: takes a ``dict``, returns an instance, never raises for data."""
    info = model_info(cls)
    return info.lenient or compiled_once(info, "lenient", None, _compile_model, cls, info)


def lenient_node_fn(node: TypeNode) -> Callable[[Any], Any]:
    """The compiled lenient builder of one value of ``node``: ``construct(node, value)``, faster."""
    fn = node.lenient_fn
    return fn if fn is not UNSET else compiled_once(node, "lenient_fn", UNSET, _compile_node, node)


class _Emitter:
    """Writes the code that builds the value in variable ``v`` of a node into variable ``dst``."""

    def __init__(self, source: Source) -> None:
        self.s = source

    def value(self, node: TypeNode, v: str, dst: str, ind: int) -> None:
        s = self.s
        kind = node.kind
        if kind in KEEP_KINDS:
            s.line(ind, f"{dst} = {v}")
            return
        ref = s.const(functools.partial(construct, node), "ref")
        if kind == "float":
            s.line(ind, f"{dst} = {v}")
            s.line(ind, f"if type({v}) is int:")
            s.line(ind + 1, "try:")
            s.line(ind + 2, f"{dst} = float({v})")
            s.line(ind + 1, "except OverflowError:")
            s.line(ind + 2, "pass")
        elif kind in ("datetime", "date"):
            parser = ISO_DATETIME if kind == "datetime" else ISO_DATE
            arg = f"{s.const(utc_z, 'utcz')}({v})" if kind == "datetime" else v
            s.line(ind, f"if type({v}) is str:")
            s.line(ind + 1, "try:")
            s.line(ind + 2, f"{dst} = {s.const(parser, 'iso')}({arg})")
            s.line(ind + 1, "except Exception:")  # the field refuses it: lenient mode keeps it
            s.line(ind + 2, f"{dst} = {v}")
            s.line(ind, "else:")
            s.line(ind + 1, f"{dst} = {ref}({v})")
        elif kind in ("enum", "literal"):
            table, key_types = value_table(node)
            s.line(ind, f"{dst} = {s.const(table, 'tab')}.get({v}, M) if {type_test(v, key_types)} else M")
            s.line(ind, f"if {dst} is M:")
            s.line(ind + 1, f"{dst} = {ref}({v})")
        elif kind == "model" and node.model is not None:
            build = lazy_model_fn(s, node.model, lenient_model_fn, "build")
            s.line(ind, f"if type({v}) is dict:")
            s.line(ind + 1, f"{dst} = {build}({v})")
            s.line(ind, "else:")
            s.line(ind + 1, f"{dst} = {ref}({v})")
        elif kind in ("list", "dict") and node.item is not None:
            s.line(ind, f"if type({v}) is {kind}:")
            self._container(kind, node.item, v, dst, ind + 1)
            s.line(ind, "else:")
            s.line(ind + 1, f"{dst} = {ref}({v})")
        else:  # union
            s.line(ind, f"{dst} = {s.const(lenient_node_fn(node), 'union')}({v})")

    def _container(self, kind: str, item: TypeNode, v: str, dst: str, ind: int) -> None:
        s = self.s
        each = s.const(lenient_node_fn(item), "item")
        if kind == "dict":
            values, per_item = f"{v}.values()", "{{k: {0} for k, x in {1}.items()}}"
        else:
            values, per_item = v, "[{0} for x in {1}]"
        if item.kind in KEEP_KINDS:
            s.line(ind, f"{dst} = {v}.copy()")
        elif item.kind == "float":
            s.line(ind, f"if list(map(type, {values})).count(float) == len({v}):")
            s.line(ind + 1, f"{dst} = {v}.copy()")
            s.line(ind, "else:")
            s.line(ind + 1, f"{dst} = " + per_item.format(f"{each}(x)", v))
        elif item.kind == "model" and item.model is not None:
            build = lazy_model_fn(s, item.model, lenient_model_fn, "build")
            s.line(ind, f"{dst} = " + per_item.format(f"{build}(x) if type(x) is dict else {each}(x)", v))
        else:
            s.line(ind, f"{dst} = " + per_item.format(f"{each}(x)", v))


def _compile_model(cls: type[ModelRoot], info: ModelInfo) -> Callable[[dict[Any, Any]], Any]:
    s = Source(f"lenient {cls.__qualname__}")
    emit = _Emitter(s)
    s.line(0, "def build(d):")
    s.line(1, "get = d.get")
    if info.fields:
        s.line(1, "m = 0")
    for i, f in enumerate(info.fields):
        s.line(1, f"v = get({literal(f.key)}, M)")
        s.line(1, "if v is M:")
        s.line(2, f"f{i} = " + ("None" if f.required else default_code(s, f)))  # required: reads as None
        s.line(1, "else:")
        s.line(2, f"m |= {1 << i}")
        emit.value(f.node, "v", f"f{i}", 2)
    instance_tail(s, cls, info, "m.bit_count()" if info.fields else "0", tuple(f.name for f in info.fields))
    return s.build("build")


def _compile_node(node: TypeNode) -> Callable[[Any], Any]:
    if node.kind == "union":
        return _union_fn(node)
    if node.kind in KEEP_KINDS:
        return identity
    return node_function("lenient", node, _Emitter, "build")


def _union_fn(node: TypeNode) -> Callable[[Any], Any]:
    """A union as the reference builds it: by tag, else the first member that validates, else by shape."""
    prepared: list[Any] = []

    def prepare() -> list[Any]:
        disc = discriminator(node)
        by_tag = {key: lenient_node_fn(m) for key, m in disc[1].items()} if disc is not None else None
        validated = [(strict_node_fn(m), refused_types(m)) for m in node.members]
        shaped = [(m, lenient_node_fn(m)) for m in node.members]
        return [disc[0] if disc is not None else None, by_tag, validated, shaped]

    def build(value: Any) -> Any:
        if value is None:
            return None
        try:
            if not prepared:
                prepared.extend(prepare())
            tag_field, by_tag, validated, shaped = prepared
            if by_tag is not None and isinstance(value, Mapping):
                fn = lookup_tag(by_tag, value.get(tag_field))
                if fn is not None:
                    return fn(value)
            kind = type(value)
            for fn, refused in validated:
                if kind in refused:
                    continue
                try:
                    return fn(value)
                except Unsure:
                    continue
            for member, fn in shaped:
                if shape_fits(member, value):
                    return fn(value)
            return value
        except Exception:  # as the reference: lenient mode keeps the value as received
            return value

    return build
