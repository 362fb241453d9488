"""Query-string encoding of nested mappings and arrays, in selectable formats."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Mapping
from urllib.parse import urlencode

from ._types import NotGiven, Omit

__all__ = ["Querystring", "ArrayFormat", "NestedFormat"]

ArrayFormat = Literal["comma", "repeat", "indices", "brackets"]
NestedFormat = Literal["brackets", "dots"]
_ARRAY_FORMATS = ("comma", "repeat", "indices", "brackets")
_NESTED_FORMATS = ("brackets", "dots")


_LEFT_OUT = (NotGiven, Omit)


def _primitive(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    if value is None:
        return ""
    return str(value)


@dataclass(frozen=True)
class Querystring:
    """How nested values become ``key=value`` pairs.

    ``{"a": {"b": 1}}`` is ``a[b]=1`` (brackets) or ``a.b=1`` (dots);
    ``{"ids": [1, 2]}`` is ``ids=1,2`` (comma), ``ids=1&ids=2`` (repeat),
    ``ids[0]=1&ids[1]=2`` (indices) or ``ids[]=1&ids[]=2`` (brackets).
    ``None``, empty strings, ``NOT_GIVEN`` and ``omit`` are left out (the
    the rule of Stainless-generated clients; in the comma format an empty list still sends ``ids=``);
    booleans are ``true``/``false``.
    """

    #: How lists are written: ``comma``, ``repeat``, ``indices`` or ``brackets``.
    array_format: ArrayFormat = "repeat"
    #: How nested mappings are written: ``brackets`` or ``dots``.
    nested_format: NestedFormat = "brackets"

    def __post_init__(self) -> None:
        if self.array_format not in _ARRAY_FORMATS:
            raise ValueError(f"array_format must be one of {_ARRAY_FORMATS}, got {self.array_format!r}")
        if self.nested_format not in _NESTED_FORMATS:
            raise ValueError(f"nested_format must be one of {_NESTED_FORMATS}, got {self.nested_format!r}")

    def stringify(self, params: Mapping[str, object]) -> str:
        """Encode ``params`` as a URL query string (without the leading ``?``)."""
        return urlencode(self.stringify_items(params))

    def stringify_items(self, params: Mapping[str, object]) -> list[tuple[str, str]]:
        """Encode ``params`` as a flat list of ``(key, value)`` pairs."""
        pairs: list[tuple[str, str]] = []
        for key, value in params.items():
            self._add(pairs, str(key), value)
        return pairs

    def _add(self, pairs: list[tuple[str, str]], key: str, value: object) -> None:
        if value is None or isinstance(value, _LEFT_OUT):
            return
        if isinstance(value, Mapping):
            for sub_key, sub_value in value.items():
                if self.nested_format == "dots":
                    self._add(pairs, f"{key}.{sub_key}", sub_value)
                else:
                    self._add(pairs, f"{key}[{sub_key}]", sub_value)
            return
        if isinstance(value, (list, tuple)):
            self._add_array(pairs, key, value)
            return
        text = _primitive(value)
        if text:
            pairs.append((key, text))

    def _add_array(self, pairs: list[tuple[str, str]], key: str, items: Any) -> None:
        fmt = self.array_format
        if fmt == "comma":
            kept = [_primitive(item) for item in items if item is not None and not isinstance(item, _LEFT_OUT)]
            pairs.append((key, ",".join(kept)))
            return
        for index, item in enumerate(items):
            if fmt == "repeat":
                self._add(pairs, key, item)
            elif fmt == "indices":
                self._add(pairs, f"{key}[{index}]", item)
            else:
                self._add(pairs, f"{key}[]", item)
