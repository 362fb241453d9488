"""Observers of a call: event records, the :class:`Hook` protocol and the ``logging`` hook."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Mapping, Optional, Protocol, Sequence

__all__ = [
    "Hook",
    "RequestEvent",
    "ResponseEvent",
    "RetryEvent",
    "ErrorEvent",
    "HookRunner",
    "LoggingHook",
]

log = logging.getLogger("genai_base")


@dataclass(frozen=True)
class RequestEvent:
    """An attempt is about to be sent (headers already redacted)."""

    method: str
    url: str
    headers: Mapping[str, str]
    attempt: int


@dataclass(frozen=True)
class ResponseEvent:
    """An attempt got a response (status and headers; the body may be unread)."""

    method: str
    url: str
    status_code: int
    headers: Mapping[str, str]
    elapsed: timedelta
    attempt: int


@dataclass(frozen=True)
class RetryEvent:
    """A failed attempt will be retried after ``wait`` seconds."""

    method: str
    url: str
    attempt: int
    reason: str
    wait: float
    budget: Optional[float] = None


@dataclass(frozen=True)
class ErrorEvent:
    """A call failed for good."""

    method: str
    url: str
    exception: BaseException
    attempt: int


class Hook(Protocol):
    """Any of ``on_request``, ``on_response``, ``on_retry``, ``on_error``; each takes one event.

    Hooks observe; they never change a request. A hook that raises is logged
    and ignored.
    """


_HOOK_METHODS = ("on_request", "on_response", "on_retry", "on_error")


class HookRunner:
    """Calls every hook's handler for an event; resolved once per client, not per call."""

    def __init__(self, hooks: Sequence[Any]) -> None:
        self.hooks = list(hooks)
        self._handlers: dict[str, list[Any]] = {
            name: [getattr(h, name) for h in self.hooks if callable(getattr(h, name, None))]
            for name in _HOOK_METHODS
        }
        # Fast checks so the hot path skips building records nobody reads.
        self.wants_request = bool(self._handlers["on_request"])
        self.wants_response = bool(self._handlers["on_response"])
        self.wants_retry = bool(self._handlers["on_retry"])
        self.wants_error = bool(self._handlers["on_error"])

    def emit(self, name: str, event: Any) -> None:
        """Deliver ``event`` to every ``name`` handler, swallowing (and logging) their errors."""
        for handler in self._handlers[name]:
            try:
                handler(event)
            except Exception:  # observability never breaks a call
                log.exception("hook %r raised on %s; ignored", handler, name)


class LoggingHook:
    """Logs on the ``genai_base`` logger: DEBUG per attempt, WARNING per retry."""

    def __init__(self, logger: Optional[logging.Logger] = None) -> None:
        self.log = logger or log

    def on_request(self, event: RequestEvent) -> None:
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "request %s %s attempt=%d headers=%s", event.method, event.url, event.attempt, dict(event.headers)
            )

    def on_response(self, event: ResponseEvent) -> None:
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "response %s %s status=%d elapsed=%.3fs",
                event.method,
                event.url,
                event.status_code,
                event.elapsed.total_seconds(),
            )

    def on_retry(self, event: RetryEvent) -> None:
        self.log.warning(
            "retrying %s %s in %.3fs (attempt %d: %s)", event.method, event.url, event.wait, event.attempt, event.reason
        )

    def on_error(self, event: ErrorEvent) -> None:
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug("failed %s %s: %s", event.method, event.url, event.exception)

    def __repr__(self) -> str:
        return "LoggingHook()"
