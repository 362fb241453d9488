"""The ``redis`` rate limiter: one limit for every process that names the same key."""

from __future__ import annotations

import asyncio
import math
import time
from typing import Any, Mapping, Optional

from genai_base import APITimeoutError, ConfigurationError, ServerFeedback, read_feedback

from ._scripts import RATE_FEED, RATE_TAKE
from ._store import RedisStore

__all__ = ["RedisRateLimiter", "make_rate_limiter", "KEY_PREFIX"]

KEY_PREFIX = "genai_base:rate:"
_RETRY_AFTER_CEILING = 60.0


def _positive(name: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not (0 < value < math.inf):
        raise ValueError(f"{name} must be a positive finite number, got {value!r}")
    return float(value)


class RedisRateLimiter:
    """At most ``rps`` requests per second (bursts of ``burst``) across every process sharing ``key``.

    A slot is taken atomically in Redis (a GCRA schedule in one Lua script,
    timed by the Redis server's clock); a caller that has to wait reserves
    its slot and sleeps until then, so waiting callers never poll Redis.
    A 429/503 ``retry-after`` or ``x-ratelimit-remaining-requests`` moves
    the shared schedule, pausing every sharer. Every process sharing a key
    should use the same ``rps`` and ``burst``.

    When Redis is down, slow (past ``timeout``) or restarting, ``fail_open``
    decides: calls go through (one warning per outage) or raise
    :class:`~genai_base.RateLimiterUnavailableError`; Redis is asked again
    every ``recheck`` seconds, so the limiter recovers by itself.
    """

    def __init__(
        self,
        url: str,
        *,
        rps: float,
        burst: int = 1,
        key: str,
        fail_open: bool = True,
        timeout: float = 0.1,
        recheck: float = 1.0,
        retry_after_ceiling: float = _RETRY_AFTER_CEILING,
    ) -> None:
        self.rps = _positive("rps", rps)
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ValueError(f"burst must be a whole number >= 1, got {burst!r}")
        self.burst = burst
        self.key = key
        self.retry_after_ceiling = retry_after_ceiling
        self._interval = 1.0 / self.rps
        self._redis_key = KEY_PREFIX + key
        self.store = RedisStore(url, timeout=timeout, fail_open=fail_open, what=f"rate limiter {key!r}",
                                recheck=recheck)
        self.store.register("take", RATE_TAKE)
        self.store.register("feed", RATE_FEED)

    # -- slots ---------------------------------------------------------------------------------

    def _take_args(self, timeout: Optional[float]) -> list[Any]:
        return [self._interval, self.burst, -1 if timeout is None else max(timeout, 0.0)]

    def _wait(self, reply: Optional[Any], timeout: Optional[float]) -> float:
        if reply is None:  # Redis unavailable, fail open: go
            return 0.0
        granted, wait = int(reply[0]), float(reply[1])
        if not granted:
            raise APITimeoutError(
                f"rate limiter {self.key!r} has no free slot within the {timeout or 0.0:.3g}s the call has left "
                f"(the next one is {wait:.3g}s away); nothing was sent"
            )
        return wait

    def acquire(self, timeout: Optional[float]) -> None:
        """Take the next shared slot (one Redis round trip) and sleep until it comes."""
        wait = self._wait(self.store.run("take", [self._redis_key], self._take_args(timeout)), timeout)
        if wait > 0:
            time.sleep(wait)

    async def acquire_async(self, timeout: Optional[float]) -> None:
        """:meth:`acquire` on the running loop's Redis client, with ``asyncio.sleep``."""
        reply = await self.store.run_async("take", [self._redis_key], self._take_args(timeout), bound=timeout)
        wait = self._wait(reply, timeout)
        if wait > 0:
            await asyncio.sleep(wait)

    # -- server feedback ---------------------------------------------------------------------------

    def _feed_args(self, status: int, headers: Mapping[str, str]) -> Optional[list[Any]]:
        found: Optional[ServerFeedback] = read_feedback(status, headers, retry_after_ceiling=self.retry_after_ceiling)
        if found is None:
            return None
        remaining = found.remaining if found.remaining is not None and found.remaining < self.burst else None
        if found.pause is None and remaining is None:
            return None  # more left than a burst: nothing to correct, no round trip
        pause = -1 if found.pause is None else found.pause
        return [self._interval, self.burst, pause, -1 if remaining is None else remaining]

    def feedback(self, status: int, headers: Mapping[str, str]) -> None:
        """Move the shared schedule as the response says (never raises)."""
        args = self._feed_args(status, headers)
        if args is not None:
            try:
                self.store.run("feed", [self._redis_key], args)
            except Exception:
                pass

    async def feedback_async(self, status: int, headers: Mapping[str, str]) -> None:
        """:meth:`feedback` on the running loop's Redis client."""
        args = self._feed_args(status, headers)
        if args is not None:
            try:
                await self.store.run_async("feed", [self._redis_key], args)
            except Exception:
                pass

    # -- resources -------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the sync Redis connections (reopened on the next use)."""
        self.store.close()

    async def aclose(self) -> None:
        """Close the running loop's Redis connections (reopened on the next use)."""
        await self.store.aclose()

    def __repr__(self) -> str:
        return f"RedisRateLimiter({self.store.shown_url!r}, rps={self.rps:g}, burst={self.burst}, key={self.key!r})"


def make_rate_limiter(settings: Any, key: Optional[str] = None) -> RedisRateLimiter:
    """Factory for the ``redis`` entry point: ``rate_limit.url``, ``.rps``, ``.burst``, ``.key``, ``.fail_open``."""
    options = settings["rate_limit"]
    if options.get("rps") is None:
        raise ConfigurationError(
            "the redis rate limiter needs 'rate_limit.rps' (requests per second for the whole fleet), "
            "e.g. GENAI_BASE_RATE_LIMIT__RPS=200"
        )
    return RedisRateLimiter(
        options.get("url"),
        rps=options["rps"],
        burst=options.get("burst", 1),
        key=options.get("key") or key or "default",
        fail_open=options.get("fail_open", True),
        timeout=options.get("redis_timeout", 0.1),
        retry_after_ceiling=settings["retry_after_ceiling"],
    )
