"""What the commands share: usage errors, optional features, output and the progress display."""

from __future__ import annotations

import importlib
import json
import time
from typing import Any, Optional, TextIO

__all__ = [
    "PROG",
    "UsageError",
    "one_line",
    "missing_feature",
    "NOT_AVAILABLE_ERRORS",
    "is_tty",
    "Progress",
    "to_json",
]

PROG = "genai-base"

# What a feature that has not landed yet raises when used: its module or a name in it is missing.
NOT_AVAILABLE_ERRORS = (ImportError, AttributeError)

# Each optional feature: the module and the names the clients import from it.
_FEATURES: dict[str, tuple[str, tuple[str, ...]]] = {
    "streaming": ("genai_base._streaming", ("Stream", "AsyncStream")),
    "pagination": ("genai_base._pagination", ("SyncPage", "AsyncPager")),
}


class UsageError(Exception):
    """The command line is wrong: exit status 2, one line on stderr."""

    def __init__(self, message: str, prog: str = PROG) -> None:
        super().__init__(message)
        self.message = message
        self.prog = prog

    def line(self) -> str:
        """``genai-base request: error: ... (see 'genai-base request --help')``."""
        return f"{self.prog}: error: {one_line(self.message)} (see '{self.prog} --help')"


def one_line(text: str) -> str:
    """``text`` with its lines joined, so an error stays on one line."""
    return " ".join(part.strip() for part in text.splitlines() if part.strip())


def missing_feature(feature: str) -> Optional[str]:
    """Why ``feature`` ("streaming", "pagination") can't be used yet, or ``None`` when it can."""
    module_name, names = _FEATURES[feature]
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        return f"{module_name} is missing ({exc})"
    absent = [name for name in names if not hasattr(module, name)]
    if absent:
        return f"{module_name} has no {', '.join(absent)}"
    return None


def is_tty(stream: TextIO) -> bool:
    """True when ``stream`` is an interactive terminal."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


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


class Progress:
    """A live count towards a total.

    On a terminal one line is redrawn in place with ``\\r`` (at most every
    ``interval`` seconds); otherwise a plain line is printed every ``step``
    items, so logs and pipes get a readable record.
    """

    def __init__(self, stream: TextIO, label: str, total: Optional[int] = None, *, tty: Optional[bool] = None,
                 step: Optional[int] = None, width: int = 30, interval: float = 0.03, indent: str = "") -> None:
        self.stream = stream
        self.label = label
        self.total = total
        self.tty = is_tty(stream) if tty is None else tty
        self.step = step or max((total or 100) // 6, 1)
        self.width = width
        self.interval = interval
        self.indent = indent
        self.count = 0
        self.extra = ""
        self.started = time.monotonic()
        self._drawn = 0.0
        self._printed = 0
        self._last_len = 0
        self._finished = False

    def text(self) -> str:
        """The progress line (without the leading ``\\r``)."""
        if self.total:
            done = min(self.count / self.total, 1.0)
            filled = round(done * self.width)
            bar = "#" * filled + "." * (self.width - filled)
            line = f"{self.label} [{bar}] {self.count}/{self.total}"
        else:
            line = f"{self.label} {self.count}"
        return f"{self.indent}{line}{'  ' + self.extra if self.extra else ''}"

    def update(self, count: int, extra: str = "") -> None:
        """Set the count (and a short note shown after it)."""
        self.count = count
        self.extra = extra
        if self.tty:
            now = time.monotonic()
            if now - self._drawn >= self.interval:
                self._drawn = now
                self._draw()
        elif count - self._printed >= self.step:
            self._printed = count
            self.stream.write(self.text() + "\n")
            self.stream.flush()

    def finish(self, extra: str = "") -> None:
        """Show the final count and end the line."""
        if self._finished:
            return
        self._finished = True
        if extra:
            self.extra = extra
        if self.tty:
            self._draw()
            self.stream.write("\n")
        elif self.count != self._printed or extra or self.count == 0:
            self.stream.write(self.text() + "\n")
        self.stream.flush()

    def _draw(self) -> None:
        text = self.text()
        # Pad so a shorter line fully covers the previous one.
        self.stream.write("\r" + text.ljust(self._last_len))
        self._last_len = len(text)
        self.stream.flush()
