"""``genai-base demo``: the library at work against its embedded fake API server.

Runs with no network and no configuration: it starts
:class:`genai_base.testing.FakeAPIServer` on 127.0.0.1 and walks through a
plain call, a retried call, a streamed response, a paginated listing and a
plugin chosen by name, first with :class:`~genai_base.SyncAPIClient`, then
with :class:`~genai_base.AsyncAPIClient`, ending with a short summary.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import sys
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, TextIO

from ._common import PROG, describe_error
from ._term import Progress, Terminal

__all__ = ["add_parser", "run", "run_demo", "DemoHook", "Stats", "SECTIONS"]

SECTIONS = (
    "a plain call",
    "a retried call",
    "a streamed response",
    "a paginated listing",
    "a plugin chosen by name",
)


def add_parser(commands: Any) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        "demo",
        help="walk through the library against its embedded fake API server",
        description=(
            "Start the embedded fake API server on 127.0.0.1 and show, with the sync client and then the async "
            "one: a plain call, a retried call (each attempt and its wait), a streamed response printed as it "
            "arrives, a paginated listing with a live progress display, and a plugin chosen by name. Needs no "
            "network and no configuration (GENAI_BASE_* settings are not used). Exits 1 if a part fails."
        ),
    )
    return parser


@dataclass
class Stats:
    """What the demo counted, for the summary."""

    calls: int = 0
    attempts: int = 0
    retries: int = 0
    events: int = 0
    items: int = 0
    failed: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


class UI:
    """Where the demo writes: numbered sections and indented lines, fitted to the terminal, flushed as they come.

    Colour only on a terminal without ``NO_COLOR``; the progress display is
    redrawn in place only on a terminal (plain lines otherwise).
    """

    def __init__(self, out: TextIO, tty: Optional[bool] = None, *, width: Optional[int] = None,
                 color: Optional[bool] = None) -> None:
        self.term = Terminal(out, tty=tty, width=width, color=color)
        self.out = out
        self.tty = self.term.tty

    def line(self, text: str = "", indent: int = 2, style: Optional[str] = None) -> None:
        self.term.line(text, indent, style)

    def heading(self, text: str) -> None:
        self.line()
        self.line(f"== {text} ==", indent=0, style="bold")

    def section(self, number: int, detail: str) -> None:
        self.line(f"[{number}/{len(SECTIONS)}] {SECTIONS[number - 1]}: {detail}", indent=0, style="bold")

    def hex_line(self, label: str, data: bytes, indent: int = 2) -> None:
        """``label`` and as many bytes of ``data`` in hex as fit on one line."""
        room = self.term.width - indent - len(label) - 1 - len(" ...")
        count = min(len(data), max(room // 3, 4))
        shown = data[:count].hex(" ") + (" ..." if count < len(data) else "")
        self.line(f"{label} {shown}", indent)

    def progress(self, label: str, total: int) -> Progress:
        return Progress(self.out, label, total, tty=self.tty, width=self.term.width, indent="  ")


class DemoHook:
    """A hook (``on_request``/``on_response``/``on_retry``) that counts calls and narrates retries."""

    def __init__(self, ui: UI, stats: Stats) -> None:
        self.ui = ui
        self.stats = stats
        self.narrate = False
        self._asked: Optional[str] = None

    def on_request(self, event: Any) -> None:
        self.stats.attempts += 1
        if event.attempt == 0:
            self.stats.calls += 1

    def on_response(self, event: Any) -> None:
        if not self.narrate:
            return
        headers = event.headers
        asked = headers.get("retry-after-ms")
        self._asked = f"retry-after-ms: {asked}" if asked else (
            f"retry-after: {headers['retry-after']}" if headers.get("retry-after") else None
        )
        note = f"; the server sent {self._asked}" if self._asked else ""
        millis = event.elapsed.total_seconds() * 1000
        style = "green" if 200 <= event.status_code < 300 else "yellow"
        self.ui.line(f"attempt {event.attempt + 1}: {event.status_code} after {millis:.0f} ms{note}", style=style)

    def on_retry(self, event: Any) -> None:
        self.stats.retries += 1
        if self.narrate:
            why = f"as the server asked ({self._asked})" if self._asked else "exponential backoff with jitter"
            self.ui.line(f"waiting {event.wait:.3f} s before retry {event.attempt + 1}: {why}", indent=4)


class NotAvailable(Exception):
    """A part the demo cannot show here: its plugin is not installed, disabled, or not usable."""


def _fail(ui: UI, stats: Stats, name: str, exc: BaseException, debug: bool) -> None:
    if isinstance(exc, NotAvailable):
        ui.line(str(exc), style="yellow")
        stats.skipped.append(name)
        return
    if debug:
        traceback.print_exc()
    ui.line(f"FAILED: {describe_error(exc)}", style="red")
    stats.failed.append(name)


# One demo part: (section number, detail line, the code to run).
Part = tuple[int, str, Callable[[], Any]]


def run_parts(ui: UI, stats: Stats, shell: str, parts: list[Part], debug: bool) -> None:
    """Run the sync parts, each on its own: one failing does not stop the others."""
    for number, detail, fn in parts:
        ui.section(number, detail)
        try:
            fn()
        except Exception as exc:
            _fail(ui, stats, f"{shell}: {SECTIONS[number - 1]}", exc, debug)


async def run_async_parts(ui: UI, stats: Stats, shell: str, parts: list[Part], debug: bool) -> None:
    """Like :func:`run_parts` for coroutine functions."""
    for number, detail, fn in parts:
        ui.section(number, detail)
        try:
            await fn()
        except Exception as exc:
            _fail(ui, stats, f"{shell}: {SECTIONS[number - 1]}", exc, debug)


def demo_container(hook: DemoHook, extra: Optional[dict[str, Any]] = None) -> Any:
    """A container on the built-in defaults (the environment is not used), with ``hook`` as the only hook."""
    from .._container import ClientContainer
    from .._settings import DEFAULTS

    container = ClientContainer()
    container.config.from_dict({**copy.deepcopy(DEFAULTS), "trust_env": False, **(extra or {})})
    container.hooks.override([hook])
    return container


def _ignored_environment() -> list[str]:
    from .._settings import env_settings

    return sorted(f"GENAI_BASE_{key.upper()}" for key in env_settings())


def run_demo(out: TextIO, *, tty: Optional[bool] = None, debug: bool = False) -> int:
    """Run the whole demo, writing to ``out``; 0 when every part worked or was skipped, else 1."""
    from .._version import __version__
    from ..testing import FakeAPIServer
    from . import _demo_sections as sections

    ui = UI(out, tty)
    stats = Stats()
    started = time.monotonic()
    with FakeAPIServer() as server:
        ui.line(f"{PROG} demo: genai_base {__version__} against its embedded fake API server at {server.url}", 0)
        ui.line("No network and no configuration needed.", 0)
        ignored = _ignored_environment()
        if ignored:
            ui.line(f"(Ignoring {', '.join(ignored)}: the demo runs on the built-in defaults.)", 0)
        hook = DemoHook(ui, stats)
        ui.heading("sync: SyncAPIClient on requests")
        sections.run_sync(ui, stats, server, hook, debug)
        ui.heading("async: AsyncAPIClient on aiohttp")
        asyncio.run(sections.run_async(ui, stats, server, hook, debug))
    elapsed = time.monotonic() - started
    ui.line()
    ui.line(
        f"Summary: {stats.calls} calls ({stats.attempts} attempts), {stats.retries} retries, "
        f"{stats.events} events, {stats.items} items in {elapsed:.1f} s",
        0,
    )
    if stats.skipped:
        ui.line(f"Not shown here: {', '.join(stats.skipped)}.", 0)
    if stats.failed:
        ui.line(f"FAILED: {', '.join(stats.failed)}.", 0, style="red")
        return 1
    return 0


def run(args: argparse.Namespace) -> int:
    return run_demo(sys.stdout, debug=bool(getattr(args, "debug", False)))
