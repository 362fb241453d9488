"""Observers of a call: event records, the :class:`Hook` protocol and the ``logging`` hook.

Every record carries the ``call_id`` of the logical call it belongs to (all
attempts of one call share it), so that a hook can group attempts, e.g. into
one tracing span per call. ``GENAI_BASE_LOG=debug|info|warning|error`` sets up
the ``genai_base`` logger when a client is built (see :func:`configure_logging`).
"""

from __future__ import annotations

import functools
import itertools
import logging
import os
import sys
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Callable, Mapping, Optional, Protocol, Sequence

__all__ = [
    "Hook",
    "RequestEvent",
    "ResponseEvent",
    "RetryEvent",
    "ErrorEvent",
    "EndEvent",
    "HookRunner",
    "LoggingHook",
    "configure_logging",
]

log = logging.getLogger("genai_base")


@dataclass(frozen=True)
class RequestEvent:
    """An attempt is about to be sent (headers already redacted)."""

    #: The HTTP method, upper case.
    method: str
    #: The URL, with credential-looking query values redacted.
    url: str
    #: The headers to be sent, credentials redacted.
    headers: Mapping[str, str]
    #: 0 for the first attempt, 1 for the first retry, ...
    attempt: int
    #: ``call-<n>``: the same for every attempt of one call (``None`` when no hook asked for it).
    call_id: Optional[str] = None


@dataclass(frozen=True)
class ResponseEvent:
    """An attempt got a response (status and headers; the body may be unread)."""

    #: The HTTP method, upper case.
    method: str
    #: The URL, with credential-looking query values redacted.
    url: str
    #: The response's status.
    status_code: int
    #: The response's headers.
    headers: Mapping[str, str]
    #: From sending the attempt to its response headers.
    elapsed: timedelta
    #: 0 for the first attempt, 1 for the first retry, ...
    attempt: int
    #: ``call-<n>``: the same for every attempt of one call (``None`` when no hook asked for it).
    call_id: Optional[str] = None


@dataclass(frozen=True)
class RetryEvent:
    """A failed attempt will be retried after ``wait`` seconds."""

    #: The HTTP method, upper case.
    method: str
    #: The URL, with credential-looking query values redacted.
    url: str
    #: The attempt that failed: 0 for the first, ...
    attempt: int
    #: Why it failed, in the library's words (``status 503``, an exception's message).
    reason: str
    #: Seconds until the next attempt.
    wait: float
    #: Tokens left in the retry budget (the ``budgeted`` policy), else ``None``.
    budget: Optional[float] = None
    #: ``call-<n>``: the same for every attempt of one call (``None`` when no hook asked for it).
    call_id: Optional[str] = None


@dataclass(frozen=True)
class ErrorEvent:
    """A call failed for good."""

    #: The HTTP method, upper case.
    method: str
    #: The URL, with credential-looking query values redacted.
    url: str
    #: What the call raises.
    exception: BaseException
    #: Retries taken before the call failed for good.
    attempt: int
    #: ``call-<n>``: the same for every attempt of one call (``None`` when no hook asked for it).
    call_id: Optional[str] = None


@dataclass(frozen=True)
class EndEvent:
    """A call ended: once per call, whatever the outcome (a body that failed validation included)."""

    #: The call's method.
    method: str
    #: The URL of the call's last attempt (credentials redacted).
    url: str
    #: ``"success"`` or ``"error"``.
    outcome: str
    #: How many attempts the call made.
    attempts: int
    #: From the start of the call to its end.
    elapsed: timedelta
    #: What the call raised (``None`` on success), a validation error of a 2xx body included.
    exception: Optional[BaseException] = None
    #: The id every record of this call carries.
    call_id: Optional[str] = None


class Hook(Protocol):
    """Any of ``on_request``, ``on_response``, ``on_retry``, ``on_error``, ``on_end``; each takes one event.

    Hooks observe; they never change a request. A hook that raises is logged
    and ignored. A hook may also define ``enabled(name) -> bool``: it is asked
    just before each event whether it would handle one (the logging hook
    answers from its logger's level), and no record is built when no hook would.
    """


_HOOK_METHODS = ("on_request", "on_response", "on_retry", "on_error", "on_end")


class HookRunner:
    """Calls every hook's handler for an event; resolved once per client, not per call."""

    def __init__(self, hooks: Sequence[Any]) -> None:
        self.hooks = list(hooks)
        self._handlers: dict[str, list[Any]] = {
            name: [getattr(h, name) for h in self.hooks if callable(getattr(h, name, None))] for name in _HOOK_METHODS
        }
        self._gates: dict[str, list[Any]] = {
            name: [
                getattr(h, "enabled", None) if callable(getattr(h, "enabled", None)) else None
                for h in self.hooks
                if callable(getattr(h, name, None))
            ]
            for name in _HOOK_METHODS
        }
        # The usual runner is one gated hook handling every event (the logging hook): its gate
        # then answers exactly what listening() would, without a call in between (asked twice
        # per request).
        #: Whether some hook handles ``end`` (a call then notes when it started).
        self.ends = bool(self._handlers["on_end"])
        only = self.hooks[0] if len(self.hooks) == 1 else None
        gate = getattr(only, "enabled", None)
        #: Asked once per attempt: whether some hook may take its ``request`` or ``response`` event now
        #: (each is still asked of :meth:`listening` before its record is built).
        self.watching_attempts: Callable[[], bool] = self._watching_attempts if self.hooks else _never
        if callable(gate) and all(callable(getattr(only, name, None)) for name in _HOOK_METHODS[:4]):
            # It handles every per-attempt event, so its gate answers for them; ``end`` is asked
            # only when ``ends`` says some hook has an on_end.
            self.listening = gate  # type: ignore[method-assign]
            if type(only) is LoggingHook:  # both per-attempt events are logged at DEBUG
                self.watching_attempts = functools.partial(only.log.isEnabledFor, logging.DEBUG)

    def _watching_attempts(self) -> bool:
        return self.listening("on_request") or self.listening("on_response")

    def emit(self, name: str, event: Any) -> None:
        """Deliver ``event`` to every ``name`` handler, swallowing (and logging) their errors."""
        for handler in self._handlers[name]:
            try:
                handler(event)
            except Exception as exc:  # observability never breaks a call
                owner = getattr(handler, "__self__", handler)
                log.warning(
                    "hook %s raised %s in %s; ignored", type(owner).__name__, type(exc).__name__, name, exc_info=True
                )

    def listening(self, name: str) -> bool:
        """Whether some hook would handle a ``name`` event right now.

        A hook may define ``enabled(name) -> bool`` (the logging hook answers
        from its logger's level), so no record is built for an event nobody
        would read.
        """
        for gate in self._gates[name]:
            if gate is None or gate(name):
                return True
        return False



def _never() -> bool:
    return False


_CALL_IDS = itertools.count(1)


def new_call_id() -> str:
    """``call-<n>``: what every record of one logical call carries (made when a record needs it)."""
    return f"call-{next(_CALL_IDS)}"



_LOG_LEVELS = {"on_retry": logging.WARNING, "on_error": logging.INFO}


class LoggingHook:
    """Logs on the ``genai_base`` logger: DEBUG per attempt, WARNING per retry, INFO for a failed call.

    Headers and URLs come from the event records, already redacted. Log lines
    count attempts from 1, as error messages and the CLI do (the records' own
    ``attempt`` counts from 0, as the ``x-genai-retry-count`` header does).
    """

    def __init__(self, logger: Optional[logging.Logger] = None, settings: Any = None) -> None:
        if logger is None:
            name = getattr(settings, "logger_name", None)
            logger = logging.getLogger(name) if name else log
        #: The logger written to (``genai_base``, or the SDK's ``logger_name``).
        self.log = logger

    def enabled(self, name: str) -> bool:
        """Whether an event would be logged at the logger's current level."""
        return self.log.isEnabledFor(_LOG_LEVELS.get(name, logging.DEBUG))

    def on_request(self, event: RequestEvent) -> None:
        """Log the attempt at DEBUG: method, URL, attempt and redacted headers."""
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "request %s %s attempt=%d call=%s headers=%s",
                event.method,
                event.url,
                event.attempt + 1,
                event.call_id,
                dict(event.headers),
            )

    def on_response(self, event: ResponseEvent) -> None:
        """Log the response at DEBUG: status and elapsed time."""
        if self.log.isEnabledFor(logging.DEBUG):
            self.log.debug(
                "response %s %s status=%d elapsed=%.3fs attempt=%d call=%s",
                event.method,
                event.url,
                event.status_code,
                event.elapsed.total_seconds(),
                event.attempt + 1,
                event.call_id,
            )

    def on_retry(self, event: RetryEvent) -> None:
        """Log the retry at WARNING: the wait and the reason."""
        self.log.warning(
            "retrying %s %s in %.3fs (attempt %d failed: %s)",
            event.method,
            event.url,
            event.wait,
            event.attempt + 1,
            event.reason,
        )

    def on_error(self, event: ErrorEvent) -> None:
        """Log the failed call at INFO."""
        if self.log.isEnabledFor(logging.INFO):
            self.log.info(
                "failed %s %s after %d retries: %s: %s",
                event.method,
                event.url,
                event.attempt,
                type(event.exception).__name__,
                event.exception,
            )

    def __repr__(self) -> str:
        return "LoggingHook()"


LOG_ENV = "GENAI_BASE_LOG"
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}
_handlers: dict[str, logging.Handler] = {}  # the stderr handler added per logger, if any


def configure_logging(
    value: Optional[str] = None, *, prefix: str = "GENAI_BASE_", logger_name: str = "genai_base"
) -> None:
    """Set up ``logger_name`` from ``<prefix>LOG`` (or ``value``): its level and a stderr handler.

    Cheap and idempotent: clients call it when they are built (with their class's
    ``env_prefix`` and ``logger_name``). Unset or empty leaves logging alone; an
    unknown value is ignored. A handler is added only when neither that logger
    nor the root logger has one.
    """
    raw = os.environ.get(f"{prefix}LOG", "") if value is None else value
    level = _LEVELS.get(raw.strip().lower())
    if level is None:
        return
    logger = logging.getLogger(logger_name)
    logger.setLevel(level)
    handler = _handlers.get(logger_name)
    if handler is None and not logger.handlers and not logging.getLogger().handlers:
        handler = _handlers[logger_name] = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
    if handler is not None:
        handler.setLevel(level)
