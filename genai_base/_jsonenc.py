"""The one JSON encoding of request data: plain bodies, Models, and the values APIs send.

``datetime``/``date``/``time`` become ISO 8601 strings, an ``Enum`` its
value, ``UUID`` and ``Decimal`` their strings (a ``Decimal`` as a string
keeps every digit), a :class:`~genai_base.Model` its ``to_dict()``, a
dataclass instance a dict of its fields, nested anywhere; ``NOT_GIVEN`` and
``omit`` values are left out. :func:`to_plain` converts ahead of time (for
serializers that want plain data, and for the Model's own ``to_dict``);
:func:`dumps_json` encodes in one pass and converts only what the standard
encoder cannot take itself.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import enum
import json
import uuid
from collections.abc import Mapping
from typing import Any

from ._types import NotGiven, Omit

__all__ = ["to_plain", "json_default", "dumps_json", "PLAIN_HOOK"]

#: The name of the method (looked up on the type, so an instance field cannot shadow it)
#: through which a class turns its instances into plain data; :class:`~genai_base.Model` has one.
PLAIN_HOOK = "_genai_plain"

_SENTINELS = (NotGiven, Omit)
_JSON_NATIVE = frozenset({str, int, float, bool, type(None)})


class _HasSentinel(Exception):
    """Raised from the encoder's fallback: the data holds a NOT_GIVEN/omit to leave out."""


def _scalar(value: Any) -> Any:
    """The plain form of one non-container value, or the value itself when it has none."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return to_plain(value.value)
    if isinstance(value, (uuid.UUID, decimal.Decimal)):
        return str(value)
    hook = getattr(type(value), PLAIN_HOOK, None)
    if hook is not None:
        return hook(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_plain(getattr(value, f.name)) for f in dataclasses.fields(value) if not _left_out(value, f)}
    return value


def _left_out(instance: Any, f: "dataclasses.Field[Any]") -> bool:
    return isinstance(getattr(instance, f.name), _SENTINELS)


def to_plain(value: Any) -> Any:
    """``value`` as JSON-ready data (dicts, lists, str, numbers, bools, None), nested anywhere.

    Values of other types are returned as they are (an encoder then names
    their type); ``NOT_GIVEN`` and ``omit`` in mappings, sequences and
    dataclasses are left out.
    """
    if type(value) in _JSON_NATIVE:
        return value
    if isinstance(value, Mapping):
        return {k: to_plain(v) for k, v in value.items() if not isinstance(v, _SENTINELS)}
    if isinstance(value, (list, tuple)):
        return [to_plain(v) for v in value if not isinstance(v, _SENTINELS)]
    return _scalar(value)


def json_default(value: Any) -> Any:
    """The standard encoder's fallback: the plain form of a value it cannot take itself."""
    if isinstance(value, _SENTINELS):
        raise _HasSentinel
    converted = _scalar(value)
    if converted is value:
        raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")
    return converted


# Made once: json.dumps with any non-default option builds a new encoder on every call.
_ENCODER = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=json_default)


def dumps_json(data: Any) -> bytes:
    """``data`` as compact UTF-8 JSON.

    One pass of the standard (C) encoder; only values it cannot take reach
    :func:`json_default`. Data holding ``NOT_GIVEN``/``omit`` is converted
    with :func:`to_plain` first (they cannot be dropped mid-encoding), so the
    usual body pays nothing for that rule.
    """
    try:
        return _ENCODER.encode(data).encode()
    except _HasSentinel:
        return _ENCODER.encode(to_plain(data)).encode()
