"""What the commands share: usage errors, JSON output and error lines."""

from __future__ import annotations

import json
from typing import Any, Optional

from .._errors import APIStatusError
from .._redact import redact_url

__all__ = [
    "PROG",
    "UsageError",
    "one_line",
    "to_json",
    "describe_error",
]

PROG = "genai-base"

# An error body quoted in an error line is cut to this many characters.
_BODY_CHARS = 1000


class UsageError(Exception):
    """The command line is wrong: exit status 2, one line on stderr (after the usage, when ``usage`` is set)."""

    def __init__(self, message: str, prog: str = PROG, usage: Optional[str] = None) -> None:
        super().__init__(message)
        self.message = message
        self.prog = prog
        self.usage = usage

    def line(self) -> str:
        """``genai-base request: error: ... (see 'genai-base request --help')``."""
        return f"{self.prog}: error: {one_line(self.message)} (see '{self.prog} --help')"


def one_line(text: str) -> str:
    """``text`` with its lines joined, so an error stays on one line."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def to_json(data: Any, *, indent: Optional[int] = 2) -> str:
    """``data`` as JSON for display; what JSON can't hold is shown by its ``repr``."""
    separators = None if indent else (",", ":")
    return json.dumps(data, indent=indent, ensure_ascii=False, default=_fallback, separators=separators)


def _fallback(value: Any) -> Any:
    if isinstance(value, (bytes, bytearray)):
        return value.decode("utf-8", errors="replace")
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    return repr(value)


def describe_error(exc: BaseException) -> str:
    """``Type: message`` in the library's own words; a status error's body is shown as JSON.

    Nothing is added from the transport (``__cause__`` is never shown): what
    is printed is what the genai_base exception says.
    """
    name = type(exc).__name__
    if isinstance(exc, APIStatusError):
        request = getattr(exc, "request", None)
        where = f" ({request.method} {redact_url(request.url)})" if request is not None else ""
        body = exc.body
        if body is None or body == "":
            shown = ""
        else:
            text = body if isinstance(body, str) else to_json(body, indent=None)
            text = one_line(text)
            shown = ": " + (text if len(text) <= _BODY_CHARS else text[: _BODY_CHARS - 3] + "...")
        return f"{name}: {exc.status_code}{where}{shown}"
    return f"{name}: {one_line(str(exc))}"
