"""A MessagePack serializer for genai_base (entry point ``genai_base.serializers: msgpack``)."""

from __future__ import annotations

import datetime
import enum
from typing import Any

import msgpack

__all__ = ["MsgpackSerializer", "MsgpackDecodeError", "genai_base_plugin_api"]
__version__ = "0.1.0"

genai_base_plugin_api = 1


class MsgpackDecodeError(ValueError):
    """A body that is not valid MessagePack."""


def _default(value: Any) -> Any:
    # Values msgpack cannot pack by itself: the same plain shapes a JSON API would get.
    to_dict = getattr(value, "to_dict", None)  # a genai_base Model
    if callable(to_dict):
        return to_dict()
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (set, frozenset)):
        return list(value)
    raise TypeError(f"cannot encode a {type(value).__name__} as MessagePack")


class MsgpackSerializer:
    """``application/msgpack`` (and ``application/x-msgpack``, ``application/vnd.msgpack``)."""

    genai_base_plugin_api = 1
    media_types: tuple[str, ...] = ("application/msgpack", "application/x-msgpack", "application/vnd.msgpack")

    def dumps(self, data: Any) -> bytes:
        """Encode ``data``; ``bytes`` become MessagePack binary."""
        packed = msgpack.packb(data, use_bin_type=True, default=_default, strict_types=False)
        assert isinstance(packed, bytes)
        return packed

    def loads(self, raw: bytes) -> Any:
        """Decode one MessagePack document; anything else raises :class:`MsgpackDecodeError`."""
        if not raw:
            raise MsgpackDecodeError("empty body: expected one MessagePack document")
        try:
            return msgpack.unpackb(bytes(raw), raw=False)
        except Exception as exc:  # ExtraData, FormatError, StackError, truncated input, invalid UTF-8, ...
            raise MsgpackDecodeError(f"not valid MessagePack: {type(exc).__name__}: {exc}") from exc

    def __repr__(self) -> str:
        return "MsgpackSerializer()"
