"""Serializers (bytes <-> data for one media type) and the registry that picks one per response."""

from __future__ import annotations

import json
from typing import Any, Callable, Iterable, Optional, Protocol, runtime_checkable

from ._errors import ConfigurationError
from ._jsonenc import dumps_json

__all__ = ["Serializer", "JSONSerializer", "SerializerRegistry", "media_type_of", "loads_json_text", "loads_json_bytes"]


@runtime_checkable
class Serializer(Protocol):
    """Encodes request bodies and decodes response bodies of some media types."""

    #: The media types this serializer reads and writes (``application/json``, ...).
    media_types: tuple[str, ...]

    def dumps(self, data: Any) -> bytes:
        """Encode ``data``."""
        ...

    def loads(self, raw: bytes) -> Any:
        """Decode ``raw``; raise ``ValueError`` (or a subclass) on malformed input."""
        ...


# One decoder made once: ``raw_decode`` (public) parses one JSON value and says where it ended.
_raw_decode = json.JSONDecoder().raw_decode


def loads_json_text(text: str) -> Any:
    """``json.loads(text)``: the same values and the same errors, with fewer calls per document.

    ``json.loads`` makes a decoder call and a whitespace match around the
    parse; for many small documents (stream events, small API answers) that
    costs about as much as the parse. Anything ``raw_decode`` does not take
    whole (surrounding whitespace, a BOM, an error) goes to ``json.loads``,
    which decides.
    """
    try:
        value, end = _raw_decode(text)
    except ValueError:
        return json.loads(text)
    return value if end == len(text) else json.loads(text)


def loads_json_bytes(raw: bytes) -> Any:
    """``json.loads(raw)`` for a body: UTF-8 (what JSON over HTTP is) straight to the scanner.

    Other encodings (UTF-16/32, a BOM) and anything undecodable go to
    ``json.loads``, which detects them as it always does.
    """
    if raw.startswith((b"{", b"[")):
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            return json.loads(raw)
        try:
            value, end = _raw_decode(text)
        except ValueError:
            return json.loads(raw)
        if end == len(text):
            return value
    return json.loads(raw)


class JSONSerializer:
    """``application/json`` (and every ``application/*+json``) with the standard library."""

    #: ``application/json``; ``application/*+json`` matches it too.
    media_types: tuple[str, ...] = ("application/json",)
    #: ``dumps`` takes Models, dates, enums, ``NOT_GIVEN``... anywhere in the data (see
    #: :mod:`genai_base._jsonenc`), so request bodies are not walked and rebuilt before
    #: encoding; serializers without this flag get plain data (``_jsonenc.to_plain``).
    takes_models = True

    #: Compact UTF-8 JSON; models, dataclasses, dates, enums, UUIDs and decimals anywhere in ``data``.
    # The function itself, not a method calling it: one Python call less per request.
    dumps = staticmethod(dumps_json)

    # As json.loads (UTF-8/16/32 detected; invalid bytes raise a ValueError subclass), faster;
    # the function itself, not a method calling it: one Python call less per response.
    loads = staticmethod(loads_json_bytes)

    def __repr__(self) -> str:
        return "JSONSerializer()"


def media_type_of(content_type: Optional[str]) -> str:
    """``application/json`` from ``application/json; charset=utf-8``."""
    if not content_type:
        return ""
    return content_type.split(";", 1)[0].strip().lower()


class _SerializersByHeader(dict):  # type: ignore[type-arg]
    """Content-Type header value -> serializer (or ``None``), filled on first sight, bounded."""

    def __init__(self, by_type: dict[str, Serializer]) -> None:
        super().__init__()
        self._by_type = by_type

    def __missing__(self, content_type: Optional[str]) -> Optional[Serializer]:
        media = media_type_of(content_type)
        found = self._by_type.get(media)
        if found is None and media.endswith("+json"):
            found = self._by_type.get("application/json")
        if len(self) < 64:  # bounded: a server could send endless variants
            self[content_type] = found
        return found


class SerializerRegistry:
    """Serializers keyed by media type; ``application/json`` also serves ``application/*+json``.

    ``for_content_type(value)`` gives the serializer for a ``Content-Type`` header value, or ``None``.
    """

    def __init__(self, serializers: Iterable[Serializer]) -> None:
        self._by_type: dict[str, Serializer] = {}
        for serializer in serializers:
            for media in serializer.media_types:
                self._by_type[media.lower()] = serializer
        # Content-Type header value -> serializer: an API sends the same few values over and
        # over. A found value is a dict lookup in C, no Python call (see _SerializersByHeader).
        by_header = _SerializersByHeader(self._by_type)
        self._by_header = by_header
        self.for_content_type: Callable[[Optional[str]], Optional[Serializer]] = by_header.__getitem__

    @property
    def media_types(self) -> list[str]:
        """Every media type some serializer handles."""
        return sorted(self._by_type)

    def require(self, content_type: Optional[str]) -> Serializer:
        """Like ``for_content_type``, raising a clear error when none fits."""
        found = self.for_content_type(content_type)
        if found is None:
            raise ConfigurationError(
                f"no serializer for media type {media_type_of(content_type) or '(none)'!r}; "
                f"available: {', '.join(self.media_types)}"
            )
        return found
