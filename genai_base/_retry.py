"""Retry decisions as data: should an outcome be retried, and after how long.

No I/O and no sleeping happens here; ``backoff`` runs the loop in each shell
(see :mod:`genai_base._call`), asking a :class:`RetryPolicy` at each step.
"""

from __future__ import annotations

import email.utils
import math
import random
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Mapping, Optional, Protocol, runtime_checkable

from ._errors import (
    APIConnectionError,
    APITimeoutError,
    RetryBudgetExhaustedError,
    TooManyRedirectsError,
)
from ._options import FinalRequestOptions

__all__ = [
    "RetryOutcome",
    "RetryPolicy",
    "ExponentialRetryPolicy",
    "NoRetryPolicy",
    "BudgetedRetryPolicy",
    "RetryBudget",
    "parse_retry_after",
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_DELAY",
    "RETRY_AFTER_CEILING",
]

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
RETRY_AFTER_CEILING = 60.0
_RETRIED_STATUSES = frozenset({408, 409, 429})


@dataclass(frozen=True)
class RetryOutcome:
    """What one attempt ended with: a response's status and headers, or an exception."""

    retries_taken: int
    max_retries: int
    options: FinalRequestOptions
    status_code: Optional[int] = None
    headers: Optional[Mapping[str, str]] = None
    exception: Optional[BaseException] = None

    @property
    def is_timeout(self) -> bool:
        """True when the attempt failed on a timeout."""
        return isinstance(self.exception, APITimeoutError)


@runtime_checkable
class RetryPolicy(Protocol):
    """Answers whether a failed attempt is retried and how long to wait first.

    A policy may also define ``on_success(outcome)``, called after a
    successful attempt (the budgeted policy refunds tokens there).
    """

    def should_retry(self, outcome: RetryOutcome) -> bool:
        """True to try again (the caller has already checked ``max_retries``)."""
        ...

    def wait(self, outcome: RetryOutcome) -> float:
        """Seconds to sleep before the next attempt."""
        ...


def parse_retry_after(
    headers: Optional[Mapping[str, str]], now: Callable[[], float] = time.time
) -> Optional[float]:
    """Seconds the server asked us to wait, or ``None``; never raises.

    ``retry-after-ms`` first, then ``retry-after`` as (possibly fractional)
    seconds, then as an HTTP date. Values that are not finite are ignored.
    """
    if not headers:
        return None
    candidates: list[Optional[float]] = []
    try:
        candidates.append(float(headers.get("retry-after-ms", "")) / 1000)
    except (TypeError, ValueError):
        pass
    raw = headers.get("retry-after")
    if raw is not None and not candidates:
        try:
            candidates.append(float(raw))
        except (TypeError, ValueError):
            try:
                parsed = email.utils.parsedate_tz(raw)
                if parsed is not None:
                    candidates.append(float(email.utils.mktime_tz(parsed) - now()))
            except (TypeError, ValueError, OverflowError, IndexError):
                pass
    for value in candidates:
        if value is not None and math.isfinite(value):
            return value
    return None


class ExponentialRetryPolicy:
    """The seed client's rules.

    Retried: connection errors and timeouts, 408, 409, 429 and >= 500, with
    ``x-should-retry: true|false`` overriding the status rule. Wait: the
    server's ``retry-after-ms`` / ``retry-after`` when ``0 < wait <=
    retry_after_ceiling``, otherwise ``min(initial_delay * 2**n, max_delay)``
    times a jitter in ``[0.75, 1]``.
    """

    def __init__(
        self,
        *,
        initial_delay: float = INITIAL_RETRY_DELAY,
        max_delay: float = MAX_RETRY_DELAY,
        retry_after_ceiling: float = RETRY_AFTER_CEILING,
        rng: Optional[random.Random] = None,
    ) -> None:
        self.initial_delay = initial_delay
        self.max_delay = max_delay
        self.retry_after_ceiling = retry_after_ceiling
        self._random = (rng or random.Random()).random

    def should_retry(self, outcome: RetryOutcome) -> bool:
        if outcome.exception is not None:
            return isinstance(outcome.exception, APIConnectionError) and not isinstance(
                outcome.exception, TooManyRedirectsError
            )
        header = (outcome.headers or {}).get("x-should-retry")
        if header == "true":
            return True
        if header == "false":
            return False
        status = outcome.status_code or 0
        return status in _RETRIED_STATUSES or status >= 500

    def wait(self, outcome: RetryOutcome) -> float:
        retry_after = parse_retry_after(outcome.headers)
        if retry_after is not None and 0 < retry_after <= self.retry_after_ceiling:
            return retry_after
        exponent = min(outcome.retries_taken, 1000)
        delay = min(self.initial_delay * math.pow(2.0, exponent), self.max_delay)
        return max(delay * (1 - 0.25 * self._random()), 0.0)

    def __repr__(self) -> str:
        return f"ExponentialRetryPolicy(initial_delay={self.initial_delay}, max_delay={self.max_delay})"


class NoRetryPolicy:
    """Never retries."""

    def should_retry(self, outcome: RetryOutcome) -> bool:
        return False

    def wait(self, outcome: RetryOutcome) -> float:
        return 0.0

    def __repr__(self) -> str:
        return "NoRetryPolicy()"


class RetryBudget:
    """A thread-safe token bucket (botocore's standard retry quota is the model)."""

    def __init__(self, capacity: float = 500) -> None:
        self.capacity = capacity
        self._tokens = capacity
        self._lock = threading.Lock()

    @property
    def available(self) -> float:
        """Tokens left."""
        return self._tokens

    def acquire(self, cost: float) -> bool:
        """Take ``cost`` tokens if there are enough; False (taking none) otherwise."""
        with self._lock:
            if self._tokens < cost:
                return False
            self._tokens -= cost
            return True

    def refund(self, amount: float) -> None:
        """Give back up to ``amount`` tokens, never above capacity."""
        with self._lock:
            self._tokens = min(self.capacity, self._tokens + amount)


class BudgetedRetryPolicy:
    """Another policy's rules, limited by a token bucket shared by a client and its copies.

    A retry costs ``retry_cost`` tokens (``timeout_retry_cost`` after a
    timeout) and a success refunds ``success_refund``. With the bucket empty
    the last error is raised at once, so a fleet of clients does not turn an
    outage into a retry storm.
    """

    def __init__(
        self,
        inner: Optional[RetryPolicy] = None,
        *,
        capacity: float = 500,
        retry_cost: float = 5,
        timeout_retry_cost: float = 10,
        success_refund: float = 1,
    ) -> None:
        self.inner: RetryPolicy = inner or ExponentialRetryPolicy()
        self.budget = RetryBudget(capacity)
        self.retry_cost = retry_cost
        self.timeout_retry_cost = timeout_retry_cost
        self.success_refund = success_refund

    @property
    def available_tokens(self) -> float:
        """Tokens left in the bucket (reported in ``retry`` hook events)."""
        return self.budget.available

    def should_retry(self, outcome: RetryOutcome) -> bool:
        if not self.inner.should_retry(outcome):
            return False
        cost = self.timeout_retry_cost if outcome.is_timeout else self.retry_cost
        if not self.budget.acquire(cost):
            raise RetryBudgetExhaustedError(
                f"retry budget is spent ({self.budget.available:g} of {self.budget.capacity:g} tokens "
                f"left, a retry costs {cost:g}); not retrying"
            )
        return True

    def wait(self, outcome: RetryOutcome) -> float:
        return self.inner.wait(outcome)

    def on_success(self, outcome: RetryOutcome) -> None:
        """Refund a little for every successful attempt."""
        self.budget.refund(self.success_refund)

    def __repr__(self) -> str:
        return f"BudgetedRetryPolicy(tokens={self.budget.available:g}/{self.budget.capacity:g})"


def make_budgeted(settings: Any = None) -> BudgetedRetryPolicy:
    """Factory for the ``budgeted`` entry point (numbers from ``retry_budget.*``)."""
    if settings is None:
        return BudgetedRetryPolicy()
    return BudgetedRetryPolicy(make_exponential(settings), **settings["retry_budget"])


def make_exponential(settings: Any = None) -> ExponentialRetryPolicy:
    """Factory for the ``exponential`` entry point (reads ``retry_after_ceiling``)."""
    ceiling = settings["retry_after_ceiling"] if settings is not None else RETRY_AFTER_CEILING
    return ExponentialRetryPolicy(retry_after_ceiling=ceiling)
