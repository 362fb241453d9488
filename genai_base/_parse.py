"""Turning a response body into ``cast_to``: decode by media type, then load as the type."""

from __future__ import annotations

import codecs
import functools
import json
from typing import Any, Optional, get_args, get_origin

from . import models
from ._errors import APIResponseValidationError
from ._serializers import SerializerRegistry, media_type_of
from .models import ModelValidationError
from .models._fields import node_for  # annotations to type nodes: no marshmallow needed

__all__ = [
    "charset_of",
    "checked_cast",
    "decode_error_body",
    "decode_text",
    "is_raw_response_type",
    "load_json",
    "parse_body",
    "text_charset",
]

#: How much of an error body an exception message quotes.
ERROR_BODY_SHOWN = 4096

_NONE_TYPES = (None, type(None))


def charset_of(content_type: Optional[str]) -> str:
    """The ``charset=`` of a ``Content-Type`` value, UTF-8 when absent."""
    if content_type:
        for part in content_type.split(";")[1:]:
            name, _, value = part.strip().partition("=")
            if name.lower() == "charset" and value:
                return value.strip('"')
    return "utf-8"


@functools.lru_cache(maxsize=64)
def text_charset(charset: str) -> str:
    """``charset`` if it is a text charset that decodes with ``errors="replace"``, else ``utf-8``.

    A server names the charset: an unknown name, a bytes-to-bytes codec
    (``base64``) or one that refuses ``replace`` (``idna``, ``punycode``)
    would raise a bare ``LookupError``/``UnicodeError`` deep in a read.
    """
    try:
        decoded = codecs.getincrementaldecoder(charset)(errors="replace").decode(b"ab\xff", final=True)
    except Exception:  # LookupError, UnicodeError, a codec's own error: not a usable text charset
        return "utf-8"
    return charset if isinstance(decoded, str) else "utf-8"


def decode_text(content: bytes, content_type: Optional[str]) -> str:
    """The body as text, in its declared charset (UTF-8 if it is no usable one); bad bytes become U+FFFD."""
    charset = charset_of(content_type)
    if charset != "utf-8":
        charset = text_charset(charset)
    return content.decode(charset, errors="replace")


def load_json(content: bytes, response: Any = None) -> Any:
    """``content`` parsed as JSON; a malformed or absurdly nested body raises :class:`APIResponseValidationError`."""
    try:
        return json.loads(content)
    except (ValueError, RecursionError) as exc:
        raise APIResponseValidationError(
            f"the response body is not valid JSON: {exc}",
            response=response,
            body=decode_text(content[:1000], getattr(response, "content_type", None)),
            request=getattr(response, "http_request", None),
        ) from None


def is_raw_response_type(cast_to: Any) -> bool:
    """True for ``APIResponse`` / ``APIResponse[T]`` (and the async twin)."""
    try:
        return _raw_response_type(cast_to)
    except TypeError:  # an unhashable annotation: answer without the cache
        return _raw_response_type.__wrapped__(cast_to)


@functools.lru_cache(maxsize=512)
def _raw_response_type(cast_to: Any) -> bool:
    # The response classes mark themselves (this module sits below them in the import graph).
    origin = get_origin(cast_to) or cast_to
    return isinstance(origin, type) and bool(getattr(origin, "_raw_response_marker", False))


_AS_IS = (str, bytes, object, dict, list)


_RAW_BY_CAST: dict[Any, bool] = {}  # cast_to values known good -> whether they ask for the raw response (bounded)


def checked_cast(cast_to: Any) -> bool:
    """Raise ``TypeError`` (before anything is sent) for a ``cast_to`` the client cannot produce; else
    whether it asks for the raw response. Known values take one lookup."""
    try:
        return _RAW_BY_CAST[cast_to]
    except KeyError:
        pass
    except TypeError:  # unhashable: check it every time
        _check_cast_to(cast_to)
        return is_raw_response_type(cast_to)
    _check_cast_to(cast_to)
    raw = is_raw_response_type(cast_to)
    if len(_RAW_BY_CAST) < 1024:
        _RAW_BY_CAST[cast_to] = raw
    return raw


def _check_cast_to(cast_to: Any) -> None:
    if cast_to in _NONE_TYPES or cast_to is Any or any(cast_to is t for t in _AS_IS):
        return
    if is_raw_response_type(cast_to):
        _check_cast_to(raw_response_inner(cast_to))
        return
    try:
        node_for(cast_to)
    except (TypeError, NameError) as exc:
        raise TypeError(
            f"cast_to={cast_to!r} is not a type the client can load a response into ({exc}); use a Model "
            f"subclass, list[...], dict[str, ...], Optional/Union of those, a str/int/float/bool, dict, list, "
            f"object, str, bytes, None, or APIResponse[...]"
        ) from None


def raw_response_inner(cast_to: Any) -> Any:
    """``T`` of ``APIResponse[T]``; ``object`` when unparameterised."""
    args = get_args(cast_to)
    return args[0] if args else object


def parse_body(
    cast_to: Any,
    content: bytes,
    *,
    content_type: Optional[str],
    serializers: SerializerRegistry,
    strict: bool,
    response: Any = None,
) -> Any:
    """Decode ``content`` by its ``Content-Type`` and load it as ``cast_to``.

    ``None`` ignores the body; ``str`` and ``bytes`` take it as it is. A body
    that cannot be decoded raises :class:`APIResponseValidationError` in both
    modes; field mismatches raise it only when ``strict``.
    """
    if cast_to in _NONE_TYPES:
        return None
    if cast_to is bytes:
        return content
    if cast_to is str:
        return decode_text(content, content_type)
    as_is = cast_to is object or cast_to is Any
    if as_is and not content:
        return None  # a 204, or an empty body: nothing to decode (generated delete methods read this)
    # No Content-Type at all: JSON is the only sensible guess for an API.
    serializer = serializers.for_content_type(content_type or "application/json")
    if serializer is None:
        if as_is:
            return decode_text(content, content_type)
        raise APIResponseValidationError(
            f"cannot parse a {media_type_of(content_type)!r} response into {_type_name(cast_to)}: "
            f"no serializer for that media type (available: {', '.join(serializers.media_types)})",
            response=response,
            body=decode_text(content[:1000], content_type),
        )
    try:
        data = serializer.loads(content)
    except Exception as exc:
        if as_is and not strict:
            return decode_text(content, content_type)  # lenient: the body as text, as received
        raise APIResponseValidationError(
            f"could not decode the {media_type_of(content_type) or 'untyped'} response body as "
            f"{_type_name(cast_to)}: {exc}",
            response=response,
            body=decode_text(content[:1000], content_type),
        ) from exc
    if as_is:
        return data
    if cast_to is dict or cast_to is list:
        if strict and not isinstance(data, cast_to):
            raise APIResponseValidationError(
                f"expected a JSON {'object' if cast_to is dict else 'array'}, got {type(data).__name__}",
                response=response,
                body=data,
            )
        return data
    return load_data(cast_to, data, strict=strict, response=response)


def decode_error_body(content: bytes, content_type: Optional[str], serializers: SerializerRegistry) -> object:
    """An error response's body, decoded by its ``Content-Type`` like a success body; the text if it cannot be."""
    if not content:
        return ""
    serializer = serializers.for_content_type(content_type or "application/json")
    if serializer is not None:
        try:
            return serializer.loads(content)
        except Exception:  # an error body that lies about its type is still worth showing
            pass
    return decode_text(content, content_type).strip()


def shown_body(body: object, limit: int = ERROR_BODY_SHOWN) -> str:
    """``body`` as an error message quotes it: cut to ``limit`` characters."""
    text = body if isinstance(body, str) else str(body)
    if len(text) > limit:
        return f"{text[:limit]}... ({len(text) - limit} more characters)"
    return text


def load_data(cast_to: Any, data: Any, *, strict: bool, response: Any = None) -> Any:
    """Load decoded ``data`` as ``cast_to``, turning model errors into response validation errors."""
    try:
        # models.load_as loads marshmallow on first use, which keeps `import genai_base` light.
        return models.load_as(cast_to, data, strict=strict)
    except ModelValidationError as exc:
        raise APIResponseValidationError(str(exc), response=response, body=data) from exc


def _type_name(tp: Any) -> str:
    return getattr(tp, "__name__", None) or repr(tp)
