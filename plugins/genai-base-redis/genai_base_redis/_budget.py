"""The ``redis_budgeted`` retry policy: the ``budgeted`` policy's token bucket, shared in Redis.

Retries are rare and each costs one Redis round trip when it is decided,
bounded by what the call has left; the refund every successful attempt
earns is added up in the process and sent at most once per
``flush_interval`` (or with the next retry), so successful calls cost
Redis nothing. On the async client the round trips go through
``redis.asyncio``: the retry decision is awaited (``should_retry_async``)
and a refund is sent by a task of the running loop, never blocking it.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any, Optional

from genai_base import (
    BudgetedRetryPolicy,
    ConfigurationError,
    ExponentialRetryPolicy,
    RateLimiterUnavailableError,
    RetryBudget,
    RetryBudgetExhaustedError,
    RetryOutcome,
    RetryPolicy,
)

from ._scripts import BUDGET
from ._store import RedisStore

__all__ = ["RedisRetryBudget", "RedisBudgetedRetryPolicy", "make_budgeted", "BUDGET_PREFIX"]

BUDGET_PREFIX = "genai_base:retry_budget:"


class RedisRetryBudget:
    """A :class:`~genai_base.BudgetStore` in Redis: every process naming ``key`` draws from one bucket.

    While Redis is unavailable, ``fail_open`` decides: an in-process
    bucket of the same capacity stands in (true), or every retry is
    refused (false), its error saying why.
    """

    def __init__(
        self,
        url: str,
        *,
        key: str,
        capacity: float = 500,
        fail_open: bool = True,
        timeout: float = 0.1,
        recheck: float = 1.0,
        flush_interval: float = 1.0,
    ) -> None:
        self.capacity = float(capacity)
        if not self.capacity >= 0:
            raise ValueError(f"capacity must be >= 0, got {capacity!r}")
        self.key = key
        self.flush_interval = flush_interval
        self._redis_key = BUDGET_PREFIX + key
        self.store = RedisStore(url, timeout=timeout, fail_open=fail_open, what=f"retry budget {key!r}",
                                recheck=recheck)
        self.store.register("budget", BUDGET)
        self._fallback = RetryBudget(self.capacity)
        self._known = self.capacity
        self._pending = 0.0
        self._flushed = time.monotonic()
        self._lock = threading.Lock()
        self._tasks: set["asyncio.Task[None]"] = set()  # refunds on their way (held, so they are not collected)

    @property
    def available(self) -> float:
        """Tokens left when Redis last answered (no round trip)."""
        return self._known

    def _pending_refund(self) -> float:
        with self._lock:
            pending, self._pending = self._pending, 0.0
            self._flushed = time.monotonic()
        return pending

    def _words(self, cost: float, refund: float) -> list[bytes]:
        return self.store.command("budget", [self._redis_key.encode()],
                                  [b"%r" % self.capacity, b"%r" % float(cost), b"%r" % float(refund)])

    def _settle(self, reply: Optional[Any], refund: float) -> Optional[bool]:
        if reply is None:  # Redis unavailable, fail open: the in-process bucket stands in
            self._fallback.refund(refund)
            return None
        self._known = float(reply[1])
        return bool(int(reply[0]))

    def _ask(self, cost: float, refund: float, time_left: Optional[float] = None) -> Optional[bool]:
        """Take ``cost`` after adding ``refund`` in Redis; ``None`` when Redis is unavailable (fail open)."""
        try:
            reply = self.store.run("budget", self._words(cost, refund), time_left)
        except RateLimiterUnavailableError as exc:
            raise RetryBudgetExhaustedError(f"{exc.message}; not retrying") from exc
        return self._settle(reply, refund)

    async def _ask_async(self, cost: float, refund: float, time_left: Optional[float] = None) -> Optional[bool]:
        """:meth:`_ask` through ``redis.asyncio`` on the running loop."""
        try:
            reply = await self.store.run_async("budget", self._words(cost, refund), time_left)
        except RateLimiterUnavailableError as exc:
            raise RetryBudgetExhaustedError(f"{exc.message}; not retrying") from exc
        return self._settle(reply, refund)

    def acquire(self, cost: float, time_left: Optional[float] = None) -> bool:
        """Take ``cost`` tokens from the shared bucket (one round trip within ``time_left``); False if too few."""
        taken = self._ask(cost, self._pending_refund(), time_left)
        if taken is None:
            return self._fallback.acquire(cost)
        return taken

    async def acquire_async(self, cost: float, time_left: Optional[float] = None) -> bool:
        """:meth:`acquire` without blocking the event loop."""
        taken = await self._ask_async(cost, self._pending_refund(), time_left)
        if taken is None:
            return self._fallback.acquire(cost)
        return taken

    def refund(self, amount: float) -> None:
        """Earn back ``amount``: sent to Redis at most once per ``flush_interval`` (by a task on a running loop)."""
        with self._lock:
            self._pending += amount
            due = time.monotonic() - self._flushed >= self.flush_interval
            if due:
                self._flushed = time.monotonic()  # one flush per interval, even while one is on its way
        if not due:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            self._flush()
        else:
            task = loop.create_task(self._flush_async())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _flush(self) -> None:
        try:
            self._ask(0, self._pending_refund())
        except RetryBudgetExhaustedError:
            pass  # Redis is down and retries are refused meanwhile: nothing to refund into

    async def _flush_async(self) -> None:
        try:
            await self._ask_async(0, self._pending_refund())
        except RetryBudgetExhaustedError:
            pass

    def close(self) -> None:
        """Close the sync Redis connections (reopened on the next use)."""
        self.store.close()

    async def aclose(self) -> None:
        """Close the running loop's Redis connections (reopened on the next use)."""
        await self.store.aclose()

    def __repr__(self) -> str:
        return f"RedisRetryBudget({self.store.shown_url!r}, key={self.key!r}, {self._known:g}/{self.capacity:g})"


class RedisBudgetedRetryPolicy(BudgetedRetryPolicy):
    """The ``budgeted`` policy over a :class:`RedisRetryBudget`: each round trip within the call's deadline.

    The sync client calls :meth:`should_retry`; the async client awaits
    :meth:`should_retry_async` (``redis.asyncio``, the loop runs on).
    """

    def __init__(self, inner: Optional[RetryPolicy] = None, *, budget: RedisRetryBudget, **numbers: Any) -> None:
        super().__init__(inner, budget=budget, **numbers)
        #: The shared bucket.
        self.shared = budget

    def should_retry(self, outcome: RetryOutcome) -> bool:
        """The inner policy's answer, when the shared bucket holds the retry's cost (asked within the deadline)."""
        if not self.inner.should_retry(outcome):
            return False
        cost = self.cost(outcome)
        if not self.shared.acquire(cost, outcome.time_left):
            raise self.spent(cost)
        return True

    async def should_retry_async(self, outcome: RetryOutcome) -> bool:
        """:meth:`should_retry` for the async client: the round trip is awaited (``redis.asyncio``)."""
        if not self.inner.should_retry(outcome):
            return False
        cost = self.cost(outcome)
        if not await self.shared.acquire_async(cost, outcome.time_left):
            raise self.spent(cost)
        return True


def make_budgeted(settings: Any, key: Optional[str] = None) -> BudgetedRetryPolicy:
    """Factory for the ``redis_budgeted`` entry point: ``retry_budget.*`` numbers, Redis from ``rate_limit.*``.

    The bucket's key is ``rate_limit.key`` (default: the base URL's origin).
    """
    numbers = dict(settings["retry_budget"])
    limits = settings["rate_limit"]
    if not limits.get("url"):
        raise ConfigurationError(
            "the redis_budgeted retry policy needs 'rate_limit.url': the Redis URL, e.g. redis://127.0.0.1:6379/0"
        )
    budget = RedisRetryBudget(
        limits["url"],
        key=limits.get("key") or key or "default",
        capacity=numbers.pop("capacity", 500),
        fail_open=limits.get("fail_open", True),
        timeout=limits.get("redis_timeout", 0.1),
    )
    inner = ExponentialRetryPolicy(retry_after_ceiling=settings["retry_after_ceiling"])
    return RedisBudgetedRetryPolicy(inner, budget=budget, **numbers)
