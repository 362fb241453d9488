"""Checks of caller-given header names and values, made before anything is sent.

A CR, LF or NUL in a value would split the request (header injection) or be
refused deep inside a transport; a name that is not an HTTP token is never a
header. Errors name the header, never its value (it may be a credential).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["check_header", "check_headers"]

# RFC 9110 token characters.
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+\Z")
_FORBIDDEN = re.compile(r"[\r\n\x00]")


def check_header(name: object, value: object, *, where: str = "header") -> None:
    """Raise ``TypeError``/``ValueError`` naming ``name`` unless it is a valid header with a str value."""
    if not isinstance(name, str) or not _TOKEN.match(name):
        raise (ValueError if isinstance(name, str) else TypeError)(
            f"{where} name {name!r} is not a valid HTTP header name"
        )
    if not isinstance(value, str):
        raise TypeError(f"{where} {name!r} must have a str value, got {type(value).__name__}")
    if _FORBIDDEN.search(value):
        raise ValueError(f"{where} {name!r} has a CR, LF or NUL character in its value")


def check_headers(headers: Any, *, where: str = "header", skip: tuple[type, ...] = ()) -> None:
    """Full check of a caller's header mapping; values of the ``skip`` types (sentinels) pass."""
    if not isinstance(headers, Mapping):
        raise TypeError(f"{where}s must be a mapping of header names to str values, got {type(headers).__name__}")
    for name, value in headers.items():
        check_header(name, "" if skip and isinstance(value, skip) else value, where=where)
