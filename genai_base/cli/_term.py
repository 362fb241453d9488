"""What a command knows about where it writes: the width, whether it is a terminal, colour, progress."""

from __future__ import annotations

import os
import shutil
import textwrap
import time
from typing import Mapping, Optional, TextIO

__all__ = ["is_tty", "columns", "wants_color", "Terminal", "Progress"]

_STYLES = {"bold": "1", "red": "31", "green": "32", "yellow": "33", "dim": "2"}
_MIN_COLUMNS = 20
# Where a word too long for a line may be broken (after the character): URLs and module paths.
_SEPARATORS = "?&/:=,"


def is_tty(stream: TextIO) -> bool:
    """True when ``stream`` is an interactive terminal."""
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def columns(default: int = 80) -> int:
    """The terminal's width: ``COLUMNS`` when set, else the terminal's own, else ``default``."""
    width = shutil.get_terminal_size((default, 24)).columns
    # A pseudo-terminal nobody sized reports 0 columns.
    return max(width, _MIN_COLUMNS) if width > 0 else default


def wants_color(tty: bool, environ: Optional[Mapping[str, str]] = None) -> bool:
    """Colour only on a terminal, and never with ``NO_COLOR`` set (https://no-color.org) or ``TERM=dumb``."""
    env = os.environ if environ is None else environ
    return tty and not env.get("NO_COLOR") and env.get("TERM") != "dumb"


class Terminal:
    """Lines for ``out``, wrapped at word boundaries to the width, coloured only where that is wanted."""

    def __init__(self, out: TextIO, *, tty: Optional[bool] = None, width: Optional[int] = None,
                 color: Optional[bool] = None) -> None:
        self.out = out
        self.tty = is_tty(out) if tty is None else tty
        self.width = columns() if width is None else max(width, _MIN_COLUMNS)
        self.color = wants_color(self.tty) if color is None else color

    def style(self, text: str, style: Optional[str]) -> str:
        """``text`` in ``style`` ("bold", "red", ...) when colour is on."""
        if not style or not self.color or not text:
            return text
        return f"\033[{_STYLES[style]}m{text}\033[0m"

    def wrap(self, text: str, indent: int = 0, hang: int = 4) -> list[str]:
        """``text`` as lines of at most the width; continuation lines indented ``hang`` more.

        Lines break at spaces. A single word longer than a line (a long URL,
        a ``module:object`` path) is broken after one of ``?&/:=,``, never
        inside a name; one with no such place keeps a line of its own.
        """
        if not text:
            return [""]
        lines = textwrap.wrap(
            text,
            width=self.width,
            initial_indent=" " * indent,
            subsequent_indent=" " * (indent + hang),
            break_long_words=False,
            break_on_hyphens=False,
        ) or [""]
        fitted: list[str] = []
        for number, line in enumerate(lines):
            if len(line) <= self.width:
                fitted.append(line)
                continue
            # textwrap gives an over-long word a line of its own: split it at its separators.
            lead = " " * (indent if number == 0 else indent + hang)
            pieces = _split_word(line.strip(), self.width - indent - hang)
            fitted.append(lead + pieces[0])
            fitted.extend(" " * (indent + hang) + piece for piece in pieces[1:])
        return fitted

    def line(self, text: str = "", indent: int = 0, style: Optional[str] = None, hang: int = 4) -> None:
        """Write ``text`` wrapped, then flush (so a person sees it as it happens)."""
        for part in self.wrap(text, indent, hang):
            self.out.write(self.style(part, style) + "\n")
        self.out.flush()

    def fit(self, text: str) -> str:
        """``text`` cut to one line of the width (for a line redrawn in place)."""
        limit = self.width - 1  # a line exactly as wide as the terminal wraps on some terminals
        return text if len(text) <= limit else text[: limit - 3] + "..."


def _split_word(word: str, room: int) -> list[str]:
    """``word`` in pieces of at most ``room`` characters, each ending after a separator where one is."""
    pieces: list[str] = []
    while len(word) > room:
        cut = max(word.rfind(sep, 0, room) for sep in _SEPARATORS) + 1
        if cut <= 0:
            # No separator in reach: the first one further on (or the whole word) is the piece.
            later = [i for i in (word.find(sep, room) for sep in _SEPARATORS) if i >= 0]
            cut = min(later) + 1 if later else len(word)
        pieces.append(word[:cut])
        word = word[cut:]
    if word:
        pieces.append(word)
    return pieces


class Progress:
    """A live count towards a total.

    On a terminal one line is redrawn in place with ``\\r`` (at most every
    ``interval`` seconds), never wider than ``width`` columns; otherwise a
    plain line is printed every ``step`` items, so logs and pipes get a
    readable record.
    """

    def __init__(self, stream: TextIO, label: str, total: Optional[int] = None, *, tty: Optional[bool] = None,
                 step: Optional[int] = None, width: Optional[int] = None, bar: int = 30, interval: float = 0.03,
                 indent: str = "") -> None:
        self.stream = stream
        self.label = label
        self.total = total
        self.tty = is_tty(stream) if tty is None else tty
        self.step = step or max((total or 100) // 6, 1)
        self.columns = columns() if width is None else width
        self.bar = bar
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
        """The progress line (without the leading ``\\r``), fitted to the width."""
        limit = self.columns - 1
        extra = f"  {self.extra}" if self.extra else ""
        if not self.total:
            line = f"{self.indent}{self.label} {self.count}"
            return (line + extra) if len(line + extra) <= limit else line[:limit]
        counts = f"{self.count}/{self.total}"
        # Sized for the widest count, so that the bar keeps its length as the count grows.
        fixed = len(self.indent) + len(self.label) + 2 * len(str(self.total)) + 5  # " [", "] ", "/"
        # The bar shrinks to fit (down to 10 cells), then the note goes, then the bar.
        bar = min(self.bar, limit - fixed - len(extra))
        if bar < 10:
            extra = ""
            bar = min(self.bar, limit - fixed)
        if bar < 3:
            return f"{self.indent}{self.label} {counts}"[:limit]
        done = min(self.count / self.total, 1.0)
        filled = round(done * bar)
        return f"{self.indent}{self.label} [{'#' * filled}{'.' * (bar - filled)}] {counts}{extra}"

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
        # Pad so a shorter line fully covers the previous one (both fit the width, so no line wraps).
        self.stream.write("\r" + text.ljust(self._last_len))
        self._last_len = len(text)
        self.stream.flush()
