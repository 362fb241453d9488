"""The ``redis_budgeted`` retry policy: the ``budgeted`` policy's token bucket, shared in Redis.

Retries are rare and each costs one Redis round trip when it is decided;
the refund every successful attempt earns is added up in the process and
sent at most once per ``flush_interval`` (or with the next retry), so
successful calls cost Redis nothing. The retry policy protocol is
synchronous: on the async client those round trips (bounded by the Redis
timeout, and skipped while Redis is known to be down) run on the loop.
"""

from __future__ import annotations

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
)

from ._scripts import BUDGET
from ._store import RedisStore

__all__ = ["RedisRetryBudget", "make_budgeted", "BUDGET_PREFIX"]

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

    @property
    def available(self) -> float:
        """Tokens left when Redis last answered (no round trip)."""
        return self._known

    def _pending_refund(self) -> float:
        with self._lock:
            pending, self._pending = self._pending, 0.0
            self._flushed = time.monotonic()
        return pending

    def _ask(self, cost: float, refund: float) -> Optional[bool]:
        """Take ``cost`` after adding ``refund`` in Redis; ``None`` when Redis is unavailable (fail open)."""
        try:
            reply = self.store.run("budget", [self._redis_key], [self.capacity, cost, refund])
        except RateLimiterUnavailableError as exc:
            raise RetryBudgetExhaustedError(f"{exc.message}; not retrying") from exc
        if reply is None:
            self._fallback.refund(refund)
            return None
        self._known = float(reply[1])
        return bool(int(reply[0]))

    def acquire(self, cost: float) -> bool:
        """Take ``cost`` tokens from the shared bucket (one round trip); False if it has too few."""
        taken = self._ask(cost, self._pending_refund())
        if taken is None:
            return self._fallback.acquire(cost)
        return taken

    def refund(self, amount: float) -> None:
        """Earn back ``amount``: sent to Redis at most once per ``flush_interval``."""
        with self._lock:
            self._pending += amount
            due = time.monotonic() - self._flushed >= self.flush_interval
        if due:
            try:
                self._ask(0, self._pending_refund())
            except RetryBudgetExhaustedError:
                pass  # Redis is down and retries are refused meanwhile: nothing to refund into

    def close(self) -> None:
        """Close the Redis connections (reopened on the next use)."""
        self.store.close()

    def __repr__(self) -> str:
        return f"RedisRetryBudget({self.store.shown_url!r}, key={self.key!r}, {self._known:g}/{self.capacity:g})"


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
    return BudgetedRetryPolicy(inner, budget=budget, **numbers)
