"""What the compiled fast path is made of: generated functions, their namespaces, shared pieces.

The fast path (``_fast_strict``, ``_fast_lenient``) turns each model class
into one generated Python function that reads the fields of a decoded JSON
object straight into a new instance. This module holds the parts both modes
share: :class:`Unsure` (the signal that the fast path defers to
marshmallow), :class:`Source` (one generated function: its lines and the
constants it refers to by name), stubs that compile a nested model's loader
on its first call, the interned field-name sets, the lookup tables of
``Enum`` and ``Literal`` fields and the JSON types each kind surely refuses.

Generated code refers to every value through its namespace (``Source.const``);
only JSON names and Python field names are written into the source, as string
literals of exact ``str`` values (:func:`literal`), so nothing in a class
declaration can inject code.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from ._fields import LOCK, FieldDecl, ModelInfo
from ._instances import NEW, SET_DICT, SET_EXTRA, SET_FIELDS_SET
from ._nodes import ModelRoot, TypeNode, json_value

__all__ = [
    "BULK_TYPES",
    "KEEP_KINDS",
    "Source",
    "Unsure",
    "compiled_once",
    "default_code",
    "fields_set_maker",
    "identity",
    "instance_tail",
    "lazy_model_fn",
    "literal",
    "node_function",
    "refused_types",
    "type_test",
    "value_table",
]

#: Element kinds whose values both modes take as they are (for JSON data of the right type).
BULK_TYPES: dict[str, type] = {"str": str, "int": int, "bool": bool, "float": float}
#: Kinds lenient mode never converts: the value is kept as received.
KEEP_KINDS = frozenset(("any", "str", "int", "bool", "none"))
_NONE = type(None)
_JSON_TYPES = frozenset((_NONE, bool, int, float, str, list, dict))
# The JSON types marshmallow's field for each kind refuses, whatever the value (None aside).
_REFUSED: dict[str, frozenset[type]] = {
    "str": _JSON_TYPES - {str, _NONE},
    "int": _JSON_TYPES - {int, _NONE},
    "float": _JSON_TYPES - {int, float, _NONE},
    "bool": _JSON_TYPES - {bool, _NONE},
    "datetime": _JSON_TYPES - {str, _NONE},
    "date": _JSON_TYPES - {str, _NONE},
    "model": _JSON_TYPES - {dict, _NONE},
    "list": _JSON_TYPES - {list, _NONE},
    "dict": _JSON_TYPES - {dict, _NONE},
}
_MAX_INTERNED = 1024
# The only builtins generated code sees.
_BUILTINS = {
    b.__name__: b
    for b in (len, list, map, type, float, int, str, bool, dict, OverflowError, TypeError, AttributeError, ValueError)
} | {"Exception": Exception}
_counter = itertools.count()
_ABSENT: Any = object()  # "key not in the data": the generated code's M


class Unsure(Exception):
    """The fast path met data it is not sure of: the caller defers to the marshmallow schema.

    Raised only where marshmallow refuses the data too, so it means "invalid";
    the caller reruns marshmallow for the exact error.
    """


class Source:
    """One generated function: its source lines and the namespace its names live in."""

    def __init__(self, label: str) -> None:
        self.label = label
        self.lines: list[str] = []
        self.ns: dict[str, Any] = {
            "__builtins__": _BUILTINS,
            "Unsure": Unsure,
            "M": _ABSENT,
            "NEW": NEW,
            "SET_DICT": SET_DICT,
            "SET_EXTRA": SET_EXTRA,
            "SET_FIELDS_SET": SET_FIELDS_SET,
        }
        self._names = itertools.count()

    def const(self, value: Any, hint: str = "c") -> str:
        """A global name in the generated code bound to ``value``."""
        name = f"_{hint}{next(self._names)}"
        self.ns[name] = value
        return name

    def line(self, indent: int, text: str) -> None:
        """Append one line of code at ``indent`` levels."""
        self.lines.append("    " * indent + text)

    def build(self, name: str) -> Callable[..., Any]:
        """Compile the lines (which define function ``name``) and return the function."""
        code = compile("\n".join(self.lines) + "\n", f"<genai_base.models {self.label} #{next(_counter)}>", "exec")
        exec(code, self.ns)  # the source is generated from the model's declarations (see the module doc)
        fn: Callable[..., Any] = self.ns[name]
        return fn


def compiled_once(
    holder: Any, attr: str, unset: Any, compile_fn: Callable[..., Callable[..., Any]], *args: Any
) -> Callable[..., Any]:
    """``holder.<attr>``, set to ``compile_fn(*args)`` under the models' lock if it is still ``unset``.

    The callers read the attribute first themselves: this is the slow path,
    taken once per model class or type node and mode.
    """
    fn: Callable[..., Any] = getattr(holder, attr)
    if fn is unset:
        with LOCK:
            fn = getattr(holder, attr)
            if fn is unset:
                fn = compile_fn(*args)
                setattr(holder, attr, fn)
    return fn


def identity(value: Any) -> Any:
    """A value's loader where the value is taken as it is."""
    return value


def node_function(mode: str, node: TypeNode, emitter: Callable[[Source], Any], name: str) -> Callable[[Any], Any]:
    """A generated function ``name(v)`` returning what ``emitter(source).value`` writes for one value of ``node``."""
    source = Source(f"{mode} {node.display}")
    source.line(0, f"def {name}(v):")
    emitter(source).value(node, "v", "r", 1)
    source.line(1, "return r")
    return source.build(name)


def lazy_model_fn(
    source: Source, cls: type[ModelRoot], make: Callable[[type[ModelRoot]], Callable[[Any], Any]], hint: str
) -> str:
    """A name in ``source`` for ``make(cls)``, compiled on its first call (then bound directly).

    Nested models are compiled when first met rather than with their parent:
    the parent may be loaded before a later class it names exists, and a
    model may contain itself.
    """
    name = source.const(None, hint)

    def first_call(value: Any) -> Any:
        fn = make(cls)
        source.ns[name] = fn
        return fn(value)

    source.ns[name] = first_call
    return name


def fields_set_maker(names: tuple[str, ...], always: tuple[str, ...] = ()) -> Callable[[int], frozenset[str]]:
    """``fs(mask)``: the frozenset of ``always`` plus ``names[i]`` for each bit ``i`` of ``mask``, interned."""
    cache: dict[int, frozenset[str]] = {}

    def fields_set(mask: int) -> frozenset[str]:
        found = cache.get(mask)
        if found is None:
            found = frozenset(always + tuple(n for i, n in enumerate(names) if mask >> i & 1))
            if len(cache) < _MAX_INTERNED:  # distinct shapes of real data are few; junk is not kept
                cache[mask] = found
        return found

    return fields_set


def value_table(node: TypeNode) -> tuple[dict[Any, Any], tuple[type, ...]]:
    """For ``enum``/``literal`` nodes: value -> result for str and int values, and the key types present.

    A hit is exactly what marshmallow's field returns for that value: the
    table holds only values of type ``str`` and ``int`` (never ``bool``) and
    is looked up only with a value of one of those exact types, so ``1`` never
    meets ``True`` or ``1.0``. Anything else goes to the field itself.
    """
    table: dict[Any, Any] = {}
    if node.kind == "enum" and node.enum is not None:
        for member in node.enum.__members__.values():
            value = member.value
            if type(value) in (str, int):
                table.setdefault(value, member)
    elif node.kind in ("literal", "none"):
        for choice in node.choices:  # first choice wins, as in LiteralField
            value = json_value(choice)
            if type(value) in (str, int):
                table.setdefault(value, choice)
    key_types = tuple(t for t in (str, int) if any(type(k) is t for k in table))
    return table, key_types


def literal(text: str) -> str:
    """``text`` as a Python string literal for generated code (a JSON name or a Python field name)."""
    if type(text) is not str:  # a str subclass could repr as anything
        raise TypeError(f"field names must be str, not {type(text).__name__}")
    return str.__repr__(text)


def type_test(var: str, key_types: tuple[type, ...]) -> str:
    """Code testing that ``var`` has one of the exact ``key_types`` (``False`` for none)."""
    if not key_types:
        return "False"
    return " or ".join(f"type({var}) is {t.__name__}" for t in key_types)


def refused_types(node: TypeNode) -> frozenset[type]:
    """JSON value types marshmallow's field for ``node`` refuses outright (a union skips those members)."""
    refused = _REFUSED.get(node.kind, frozenset())
    if not node.nullable and node.kind not in ("any", "none"):
        refused = refused | {_NONE}
    return refused


def default_code(source: Source, f: FieldDecl) -> str:
    """Code for the default of an absent optional field: the shared value, or a fresh one."""
    if f.shares_default:
        return source.const(f.default, "d")
    return source.const(f.make_default, "mk") + "()"


def instance_tail(
    source: Source, cls: type[ModelRoot], info: ModelInfo, known: str, bit_names: tuple[str, ...]
) -> None:
    """The end of a generated model function: the instance, its unknown fields, its set fields.

    ``known`` is code counting the JSON keys of known fields present in ``d``;
    when it differs from ``len(d)`` the rest are unknown fields. ``bit_names``
    names the field of each bit of the local ``m`` (set when that field was
    present); the fields not in it are always set.
    """
    values = ", ".join(f"{literal(f.name)}: f{i}" for i, f in enumerate(info.fields))
    source.line(1, f"inst = NEW({source.const(cls, 'cls')})")
    source.line(1, f"SET_DICT(inst, {{{values}}})")
    keys = source.const(info.keys, "keys")
    source.line(1, f"if len(d) != {known}:")
    source.line(2, f"SET_EXTRA(inst, {{k: x for k, x in d.items() if k not in {keys}}})")
    if bit_names:
        always = tuple(f.name for f in info.fields if f.name not in bit_names)
        maker = source.const(fields_set_maker(bit_names, always), "fs")
        source.line(1, f"if m != {(1 << len(bit_names)) - 1}:")
        source.line(2, f"SET_FIELDS_SET(inst, {maker}(m))")
    source.line(1, "return inst")
