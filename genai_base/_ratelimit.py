"""Rate limiters: wait for a slot before each attempt (entry-point group ``genai_base.rate_limiters``).

A client asks its limiter for a slot before every attempt (``acquire``, or
``acquire_async`` on the async client), within what the call has left, and
tells it about every response (``feedback``), so that a server's 429 or 503
with a ``retry-after`` pauses every client sharing the limit, and its
``x-ratelimit-*`` headers correct the limiter's idea of what is left.

Built-ins: ``none`` (:class:`NoRateLimiter`, the default; the clients skip it
entirely) and ``local`` (:class:`LocalRateLimiter`, one token bucket shared by
a client and its copies). The ``genai-base-redis`` distribution adds
``redis``, one limit for every process naming the same key.

The bucket is a GCRA ("generic cell rate algorithm") schedule: one number,
the theoretical arrival time of the next request, which both this module and
the Redis plugin's script keep. A caller that has to wait reserves a slot in
the future and sleeps until then, so waiting callers never poll.
"""

from __future__ import annotations

import asyncio
import math
import re
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Protocol, runtime_checkable

from ._errors import APITimeoutError, ConfigurationError
from ._retry import RETRY_AFTER_CEILING, parse_retry_after

__all__ = [
    "RateLimiter",
    "NoRateLimiter",
    "LocalRateLimiter",
    "ServerFeedback",
    "read_feedback",
    "parse_duration",
    "no_slot_error",
    "make_local",
]

_PAUSING_STATUSES = frozenset({429, 503})
# "1m30s", "6m0s", "20ms", "0.5s", "1h": what x-ratelimit-reset-* headers carry (Go duration syntax).
_DURATION_PART = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(h|ms|us|µs|ns|m|s)")
_UNIT_SECONDS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6, "µs": 1e-6, "ns": 1e-9}


@runtime_checkable
class RateLimiter(Protocol):
    """Waits for a slot before each attempt and hears about each response.

    ``timeout`` is what the call has left (its deadline, else the attempt's
    ``total`` timeout; ``None``: no bound). A limiter that cannot give a slot
    within it raises :class:`APITimeoutError` at once rather than sleeping
    in vain; one whose shared store is down raises
    :class:`RateLimiterUnavailableError` (or lets the call through, if so
    configured). ``feedback`` never raises. ``headers`` look names up
    case-insensitively.
    """

    def acquire(self, timeout: Optional[float]) -> None:
        """Block until a slot is free (at most ``timeout`` seconds)."""
        ...

    async def acquire_async(self, timeout: Optional[float]) -> None:
        """Wait, without blocking the event loop, until a slot is free."""
        ...

    def feedback(self, status: int, headers: Mapping[str, str]) -> None:
        """Learn from a response: a 429/503 ``retry-after`` pauses; ``x-ratelimit-*`` corrects."""
        ...

    async def feedback_async(self, status: int, headers: Mapping[str, str]) -> None:
        """:meth:`feedback` for the async client."""
        ...


class NoRateLimiter:
    """No limit (the default). The clients recognise it and skip the limiter altogether."""

    def acquire(self, timeout: Optional[float]) -> None:
        """Return at once."""

    async def acquire_async(self, timeout: Optional[float]) -> None:
        """Return at once."""

    def feedback(self, status: int, headers: Mapping[str, str]) -> None:
        """Ignore the response."""

    async def feedback_async(self, status: int, headers: Mapping[str, str]) -> None:
        """Ignore the response."""

    def __repr__(self) -> str:
        return "NoRateLimiter()"


# -- what a response tells a limiter ---------------------------------------------------------------


def parse_duration(value: Optional[str]) -> Optional[float]:
    """Seconds from ``"30"``, ``"0.5"``, ``"1m30s"``, ``"20ms"``, ``"1h"``; ``None`` if not one of those."""
    if value is None:
        return None
    text = value.strip()
    try:
        seconds = float(text)
    except ValueError:
        parts = _DURATION_PART.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            return None
        seconds = sum(float(number) * _UNIT_SECONDS[unit] for number, unit in parts)
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _count(value: Optional[str]) -> Optional[int]:
    if value is None:
        return None
    try:
        number = int(value.strip())
    except ValueError:
        return None
    return number if number >= 0 else None


@dataclass(frozen=True)
class ServerFeedback:
    """What a response asks of every client sharing a limit.

    ``pause``: seconds from now during which nothing may be sent (a 429/503
    ``retry-after``, or no requests left until the server's next one);
    ``remaining``: the requests the server says are left now (the bucket
    keeps at most that many).
    """

    #: Seconds from now during which nothing may be sent (``None``: no pause).
    pause: Optional[float] = None
    #: Requests the server says are left now (``None``: it did not say).
    remaining: Optional[int] = None


def read_feedback(
    status: int, headers: Mapping[str, str], *, retry_after_ceiling: float = RETRY_AFTER_CEILING
) -> Optional[ServerFeedback]:
    """The :class:`ServerFeedback` of one response, or ``None`` when it has none (most responses).

    A 429 or 503 with ``retry-after-ms`` / ``retry-after`` (seconds or an
    HTTP date) pauses, when ``0 < wait <= retry_after_ceiling`` (the retry
    policy's rule). ``x-ratelimit-remaining-requests`` gives ``remaining``;
    when it is 0, ``x-ratelimit-reset-requests`` (``"2"``, ``"1m30s"``,
    ``"20ms"``) says when the server's window is full again, and with
    ``x-ratelimit-limit-requests`` the pause lasts until its next request
    comes back (``reset / limit``), else until the reset itself.
    """
    pause: Optional[float] = None
    if status in _PAUSING_STATUSES:
        wait = parse_retry_after(headers)
        if wait is not None and 0 < wait <= retry_after_ceiling:
            pause = wait
    remaining = _count(headers.get("x-ratelimit-remaining-requests"))
    if remaining == 0 and pause is None:
        reset = parse_duration(headers.get("x-ratelimit-reset-requests"))
        if reset:
            limit = _count(headers.get("x-ratelimit-limit-requests"))
            pause = min(reset / limit if limit else reset, retry_after_ceiling)
    if pause is None and remaining is None:
        return None
    return ServerFeedback(pause, remaining)


# -- helpers for limiters and the clients ----------------------------------------------------------


def no_slot_error(wait: float, timeout: float, limiter: str) -> APITimeoutError:
    """The error of a limiter that has no slot within ``timeout`` (nothing is sent)."""
    return APITimeoutError(
        f"{limiter} has no free slot within the {timeout:.3g}s the call has left "
        f"(the next one is {wait:.3g}s away); nothing was sent"
    )


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value < math.inf):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


def _whole(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return value


class _Schedule:
    """A GCRA token bucket as plain numbers (no lock, no clock of its own).

    ``tat`` is the theoretical arrival time of the next request; a request
    may go ``tolerance`` (``burst - 1`` intervals) before it. The Redis
    plugin's script keeps the same state by the same rules.
    """

    __slots__ = ("burst", "interval", "tat", "tolerance")

    def __init__(self, rps: float, burst: int) -> None:
        self.interval = 1.0 / rps
        self.burst = burst
        self.tolerance = (burst - 1) * self.interval
        self.tat = -math.inf

    def reserve(self, now: float, max_wait: Optional[float]) -> tuple[bool, float]:
        """``(True, wait)`` with a slot taken ``wait`` s from now, or ``(False, wait)`` (nothing taken)."""
        tat = max(self.tat, now)
        wait = max(tat - self.tolerance - now, 0.0)
        if max_wait is not None and wait > max_wait:
            return False, wait
        self.tat = tat + self.interval
        return True, wait

    def apply(self, now: float, feedback: ServerFeedback) -> None:
        """Nothing before ``now + pause`` (then one request, no burst); at most ``remaining`` left."""
        if feedback.pause is not None:
            self.tat = max(self.tat, now + feedback.pause + self.tolerance)
        if feedback.remaining is not None and feedback.remaining < self.burst:
            self.tat = max(self.tat, now + (self.burst - feedback.remaining) * self.interval)


class LocalRateLimiter:
    """At most ``rps`` requests per second, in bursts of at most ``burst``, for one client and its copies.

    Thread-safe; the async form sleeps with ``asyncio.sleep``. Server
    feedback pauses and corrects this bucket only (this process); the
    ``redis`` limiter of ``genai-base-redis`` shares one bucket across
    processes.
    """

    def __init__(
        self,
        rps: float,
        burst: int = 1,
        *,
        retry_after_ceiling: float = RETRY_AFTER_CEILING,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        #: Requests per second.
        self.rps = _positive("rps", rps)
        #: Requests that may go at once after a quiet spell.
        self.burst = _whole("burst", burst)
        #: Longest server-asked pause honoured, in seconds.
        self.retry_after_ceiling = retry_after_ceiling
        self._schedule = _Schedule(self.rps, self.burst)
        self._clock = clock
        self._lock = threading.Lock()

    def _reserve(self, timeout: Optional[float]) -> float:
        with self._lock:
            granted, wait = self._schedule.reserve(self._clock(), timeout)
        if not granted:
            raise no_slot_error(wait, timeout or 0.0, repr(self))
        return wait

    def acquire(self, timeout: Optional[float]) -> None:
        """Take the next slot and sleep until it comes."""
        wait = self._reserve(timeout)
        if wait > 0:
            time.sleep(wait)

    async def acquire_async(self, timeout: Optional[float]) -> None:
        """Take the next slot and ``await`` it (the loop runs on meanwhile)."""
        wait = self._reserve(timeout)
        if wait > 0:
            await asyncio.sleep(wait)

    def feedback(self, status: int, headers: Mapping[str, str]) -> None:
        """Pause or correct the bucket as the response says (see :func:`read_feedback`)."""
        found = read_feedback(status, headers, retry_after_ceiling=self.retry_after_ceiling)
        if found is not None:
            with self._lock:
                self._schedule.apply(self._clock(), found)

    async def feedback_async(self, status: int, headers: Mapping[str, str]) -> None:
        """:meth:`feedback` (it does no I/O)."""
        self.feedback(status, headers)

    def __repr__(self) -> str:
        return f"LocalRateLimiter(rps={self.rps:g}, burst={self.burst})"


def make_local(settings: Any = None) -> LocalRateLimiter:
    """Factory for the ``local`` entry point: ``rate_limit.rps`` (required) and ``rate_limit.burst``."""
    options = {} if settings is None else settings["rate_limit"]
    rps = options.get("rps")
    if rps is None:
        raise ConfigurationError(
            "the local rate limiter needs 'rate_limit.rps' (requests per second), e.g. "
            "GENAI_BASE_RATE_LIMIT__RPS=10"
        )
    ceiling = RETRY_AFTER_CEILING if settings is None else settings["retry_after_ceiling"]
    return LocalRateLimiter(rps, options.get("burst", 1), retry_after_ceiling=ceiling)
