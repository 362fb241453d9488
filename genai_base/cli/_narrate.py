"""What ``genai-base request`` says about each attempt: one line per retry, and every attempt with ``--debug``."""

from __future__ import annotations

import logging
from typing import TextIO

from .._hooks import RequestEvent, ResponseEvent, RetryEvent
from ._common import PROG, one_line, to_json

__all__ = ["CommandHook"]


class CommandHook:
    """A hook writing ``genai-base: ...`` lines on ``out``; attempts are numbered from 1.

    Retries are always told (one line each, in the library's words); each
    attempt's request and response only when the ``genai_base`` logger is at
    DEBUG (``--debug`` or ``GENAI_BASE_LOG=debug``). A failed call is not
    told here: the command prints its error once.
    """

    def __init__(self, out: TextIO, *, attempts: int) -> None:
        self.out = out
        self.attempts = attempts
        self.log = logging.getLogger("genai_base")

    def enabled(self, name: str) -> bool:
        """Whether an event of hook method ``name`` would be written now."""
        return name == "on_retry" or (name in ("on_request", "on_response") and self.log.isEnabledFor(logging.DEBUG))

    def _write(self, text: str) -> None:
        self.out.write(f"{PROG}: {one_line(text)}\n")
        self.out.flush()

    def on_request(self, event: RequestEvent) -> None:
        if self.enabled("on_request"):
            headers = to_json(dict(event.headers), indent=None)
            self._write(f"debug: attempt {event.attempt + 1}: {event.method} {event.url} headers {headers}")

    def on_response(self, event: ResponseEvent) -> None:
        if self.enabled("on_response"):
            millis = event.elapsed.total_seconds() * 1000
            self._write(f"debug: attempt {event.attempt + 1}: {event.status_code} after {millis:.0f} ms")

    def on_retry(self, event: RetryEvent) -> None:
        self._write(
            f"attempt {event.attempt + 1} of {self.attempts} failed ({event.reason}); "
            f"retrying in {event.wait:.2f} s"
        )
