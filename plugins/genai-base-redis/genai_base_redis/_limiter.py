"""The ``redis`` rate limiter: one limit for every process that names the same key."""

from __future__ import annotations

import asyncio
import contextvars
import math
import time
from typing import Any, Mapping, Optional

from genai_base import APITimeoutError, ConfigurationError, ServerFeedback, read_feedback

from ._lease import Leases
from ._scripts import RATE_FEED, RATE_TAKE
from ._store import FAILURES, RedisStore, cut_short, reject_cluster
from ._wire import pack, within

__all__ = ["RedisRateLimiter", "make_rate_limiter", "KEY_PREFIX"]

KEY_PREFIX = "genai_base:rate:"
_RETRY_AFTER_CEILING = 60.0
DEFAULT_LEASE = 8
DEFAULT_LEASE_WINDOW = 0.005
#: After a server's pause or correction, how long this process leases no slot (seconds).
_NO_LEASES_AFTER_FEEDBACK = 1.0
_DOWN = object()  # a queued caller's answer when Redis failed its batch
# When the current call's attempt must be done (monotonic; None: no bound), set by ``acquire``: the
# feedback that follows in the same thread or task bounds its Redis command by it too.
_CALL_DEADLINE: "contextvars.ContextVar[Optional[float]]" = contextvars.ContextVar("genai_base_redis_deadline")


def _max_wait(timeout: Optional[float]) -> bytes:
    return b"-1" if timeout is None else b"%.6f" % max(timeout, 0.0)


def _left() -> Optional[float]:
    deadline = _CALL_DEADLINE.get(None)
    return None if deadline is None else deadline - time.monotonic()


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

    A round trip also leases up to ``lease`` further slots that come within
    ``lease_window`` seconds, as many as this process's pace will use in
    that window; it uses them without asking Redis, each no earlier than its
    time and no later than the window allows (see ``genai_base_redis._lease``).
    ``lease=0`` asks Redis for every call.

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
        lease: int = DEFAULT_LEASE,
        lease_window: float = DEFAULT_LEASE_WINDOW,
    ) -> None:
        self.rps = _positive("rps", rps)
        if isinstance(burst, bool) or not isinstance(burst, int) or burst < 1:
            raise ValueError(f"burst must be a whole number >= 1, got {burst!r}")
        if isinstance(lease, bool) or not isinstance(lease, int) or lease < 0:
            raise ValueError(f"lease must be a whole number >= 0, got {lease!r}")
        self.burst = burst
        self.lease = lease
        self.leases = Leases(_positive("lease_window", lease_window), lease)
        self.key = key
        self.retry_after_ceiling = retry_after_ceiling
        self._interval = 1.0 / self.rps
        self._redis_key = KEY_PREFIX + key
        self.store = RedisStore(url, timeout=timeout, fail_open=fail_open, what=f"rate limiter {key!r}",
                                recheck=recheck)
        self.store.register("take", RATE_TAKE)
        self.store.register("feed", RATE_FEED)
        self._script = RATE_TAKE
        fixed = [b"%r" % self._interval, b"%d" % burst]
        # + how many to lease, and one max_wait per caller
        self._take = self.store.command("take", [self._redis_key.encode()], [*fixed, b"%r" % self.leases.window])
        self._feed = self.store.command("feed", [self._redis_key.encode()], fixed)  # + pause, remaining

    # -- slots ---------------------------------------------------------------------------------

    def _wait(self, reply: Any, timeout: Optional[float]) -> float:
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
        """Take the next shared slot (leased, or in one round trip within ``timeout``) and sleep until it comes."""
        _CALL_DEADLINE.set(None if timeout is None else time.monotonic() + timeout)
        leases = self.leases
        wait: Optional[float] = leases.take(timeout)
        if wait is None:
            # Another thread's take may be leasing slots for this process right now.
            wait = leases.take_after_pending(timeout, self.store.timeout)
        if wait is None:
            left = _left()  # what is left after waiting for that answer, if this call did
            if left is not None and left < 0.0:
                left = 0.0
            claimed = leases.claim()
            reply = None
            try:
                reply = self.store.run("take", [*self._take, b"%d" % claimed, _max_wait(left)], left)
            finally:
                if claimed:
                    leases.settle(claimed, reply, self._interval)
            wait = self._wait(reply, left)
        if wait > 0:
            time.sleep(wait)

    async def acquire_async(self, timeout: Optional[float]) -> None:
        """:meth:`acquire` on the running loop, with ``asyncio.sleep``.

        One command is in flight per loop; the callers that arrive meanwhile
        are served together by the next one (one round trip for all).
        """
        now = time.monotonic()
        _CALL_DEADLINE.set(None if timeout is None else now + timeout)
        wait: Optional[float] = self.leases.take(timeout)
        if wait is None:
            store = self.store
            if not store.asking():
                reply = store.unavailable(None)
            else:
                state = await store.loop_state()
                if state.wire.busy:
                    reply = await self._behind(state, timeout, now)
                else:
                    reply = await self._first(state, timeout)
            wait = self._wait(reply, timeout)
        if wait > 0:
            await asyncio.sleep(wait)

    async def _first(self, state: Any, timeout: Optional[float]) -> Optional[Any]:
        """Ask for this caller's slot at once (nothing else is in flight on this loop)."""
        store, wire, leases = self.store, state.wire, self.leases
        wire.busy = True
        claimed = leases.claim()
        reply = None
        try:
            limit = store.timeout if timeout is None else max(min(timeout, store.timeout), 0.0)
            try:
                words = [*self._take, b"%d" % claimed, _max_wait(timeout)]
                reply = await within(limit, wire.call(pack(words), self._script))
            except (*FAILURES, asyncio.TimeoutError) as exc:
                reject_cluster(exc, store)
                return store.unavailable(exc, cut=cut_short(exc, timeout, limit < store.timeout))
            store.reachable()
            return reply
        finally:
            if claimed:
                leases.settle(claimed, reply, self._interval)
            self._next_batch(state)

    async def _behind(self, state: Any, timeout: Optional[float], now: float) -> Optional[Any]:
        """Wait (at most ``timeout``) for the command that serves every caller queued behind the one in flight."""
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        state.wire.pending.append((future, None if timeout is None else now + timeout))
        try:
            reply = await (future if timeout is None else within(max(timeout, 0.0), future))
        except asyncio.TimeoutError as exc:
            return self.store.unavailable(exc, cut=timeout)
        if reply is _DOWN:
            return self.store.unavailable(None)
        return reply

    def _next_batch(self, state: Any) -> None:
        """Send the queued callers' command, or mark the loop idle."""
        wire = state.wire
        if wire.pending:
            task = asyncio.get_running_loop().create_task(self._batch(state))
            state.tasks.add(task)
            task.add_done_callback(state.tasks.discard)
        else:
            wire.busy = False

    async def _batch(self, state: Any) -> None:
        """One command for every caller queued (their slots in order of arrival)."""
        store, wire = self.store, state.wire
        batch = [(future, deadline) for future, deadline in wire.pending if not future.done()]
        wire.pending = []
        served = False
        claimed = 0
        reply: Any = None
        now = time.monotonic()
        try:
            if not batch:
                served = True
                return
            args = [_max_wait(None if deadline is None else deadline - now) for _, deadline in batch]
            claimed = self.leases.claim()
            try:
                words = [*self._take, b"%d" % claimed, *args]
                reply = await within(store.timeout, wire.call(pack(words), self._script))
            except (*FAILURES, asyncio.TimeoutError) as exc:
                try:
                    reject_cluster(exc, store)
                except Exception as error:
                    for future, _ in batch:
                        if not future.done():
                            future.set_exception(error)
                    served = True
                    return
                store.note(exc)
                reply = None
            else:
                store.reachable()
            for index, (future, _) in enumerate(batch):
                if not future.done():
                    future.set_result(_DOWN if reply is None else (reply[2 * index], reply[2 * index + 1]))
            served = True
        finally:
            if claimed:
                self.leases.settle(claimed, reply, self._interval)
            if served:
                self._next_batch(state)
            else:  # cancelled (the loop is closing): nobody is served any more
                for future, _ in batch:
                    future.cancel()
                wire.busy = False

    # -- server feedback ---------------------------------------------------------------------------

    def _feed_words(self, status: int, headers: Mapping[str, str]) -> Optional[list[bytes]]:
        found: Optional[ServerFeedback] = read_feedback(status, headers, retry_after_ceiling=self.retry_after_ceiling)
        if found is None:
            return None
        remaining = found.remaining if found.remaining is not None and found.remaining < self.burst else None
        if found.pause is None and remaining is None:
            return None  # more left than a burst: nothing to correct, no round trip
        # The schedule moves later: slots taken ahead may no longer be free, and the fleet is at its limit.
        self.leases.clear(hold=_NO_LEASES_AFTER_FEEDBACK)
        pause = b"-1" if found.pause is None else b"%.6f" % found.pause
        return [*self._feed, pause, b"-1" if remaining is None else b"%d" % remaining]

    def feedback(self, status: int, headers: Mapping[str, str]) -> None:
        """Move the shared schedule as the response says (never raises; within what the call has left)."""
        words = self._feed_words(status, headers)
        if words is not None:
            try:
                self.store.run("feed", words, _left())
            except Exception:
                pass

    async def feedback_async(self, status: int, headers: Mapping[str, str]) -> None:
        """:meth:`feedback` on the running loop's Redis connections."""
        words = self._feed_words(status, headers)
        if words is not None:
            try:
                await self.store.run_async("feed", words, _left())
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
        return (f"RedisRateLimiter({self.store.shown_url!r}, rps={self.rps:g}, burst={self.burst}, key={self.key!r}, "
                f"lease={self.lease})")


def make_rate_limiter(settings: Any, key: Optional[str] = None) -> RedisRateLimiter:
    """Factory for the ``redis`` entry point: ``rate_limit.url``, ``.rps``, ``.burst``, ``.key``, ``.fail_open``,
    ``.redis_timeout``, ``.lease`` and ``.lease_window``."""
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
        lease=options.get("lease", DEFAULT_LEASE),
        lease_window=options.get("lease_window", DEFAULT_LEASE_WINDOW),
    )
