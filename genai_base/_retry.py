"""Retry decisions as data: should an outcome be retried, and after how long.

No I/O and no sleeping happens here; ``backoff`` runs the loop in each shell
(see :mod:`genai_base._call`), asking a :class:`RetryPolicy` at each step.

Built-in policies (entry points in ``genai_base.retry_policies``):

- ``exponential`` (:class:`ExponentialRetryPolicy`): the rules of the Stainless-generated
  SDKs (openai-python, anthropic-sdk-python, google-genai's interactions client).
- ``budgeted`` (:class:`BudgetedRetryPolicy`): those rules, limited by a
  token bucket shared by a client and its copies.
- ``none`` (:class:`NoRetryPolicy`): never retries.
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
    PoolTimeoutError,
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
    "BudgetStore",
    "parse_retry_after",
    "INITIAL_RETRY_DELAY",
    "MAX_RETRY_DELAY",
    "RETRY_AFTER_CEILING",
]

INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
RETRY_AFTER_CEILING = 60.0
_RETRIED_STATUSES = frozenset({408, 409, 429})
_MAX_EXPONENT = 1000  # keeps 2**n finite whatever the retry count


@dataclass(frozen=True)
class RetryOutcome:
    """What one attempt ended with: a response's status and headers, or an exception.

    ``retries_taken`` counts the retries before this attempt (0 for the first).
    """

    #: Retries before this attempt: 0 for the first attempt.
    retries_taken: int
    #: The most retries this call may take.
    max_retries: int
    #: The call's options (method, URL, per-call settings).
    options: FinalRequestOptions
    #: The response's status, or ``None`` when the attempt raised.
    status_code: Optional[int] = None
    #: The response's headers, or ``None`` when the attempt raised.
    headers: Optional[Mapping[str, str]] = None
    #: The library exception the attempt raised, or ``None`` when it got a response.
    exception: Optional[BaseException] = None
    #: Seconds the call's deadline has left (``None``: no deadline); a policy asking a shared
    #: store (Redis) bounds its round trip by it.
    time_left: Optional[float] = None

    @property
    def is_timeout(self) -> bool:
        """True when the attempt failed on a timeout (a pool timeout counts)."""
        return isinstance(self.exception, (APITimeoutError, PoolTimeoutError))


@runtime_checkable
class RetryPolicy(Protocol):
    """Answers whether a failed attempt is retried and how long to wait first.

    The caller checks ``max_retries`` and the call's deadline itself. A
    policy may also define ``on_success(outcome)``, called after a successful
    attempt (the budgeted policy refunds tokens there), and ``async
    should_retry_async(outcome)``, which the async client awaits instead of
    ``should_retry`` (for a verdict that needs I/O, such as a budget kept in
    Redis). ``should_retry`` may
    raise ``RetryBudgetExhaustedError`` (an :class:`~genai_base.APIError`) to refuse a retry it would
    otherwise allow; its message is added to the error the call raises.
    """

    def should_retry(self, outcome: RetryOutcome) -> bool:
        """True to try again."""
        ...

    def wait(self, outcome: RetryOutcome) -> float:
        """Seconds to sleep before the next attempt."""
        ...


def _header(headers: Mapping[str, str], name: str) -> Optional[str]:
    value = headers.get(name)
    if value is None and isinstance(headers, dict):  # a plain dict: look case-insensitively
        value = next((v for k, v in headers.items() if isinstance(k, str) and k.lower() == name), None)
    return value if isinstance(value, str) else None


def _finite(value: float) -> Optional[float]:
    return value if math.isfinite(value) else None


def parse_retry_after(headers: Optional[Mapping[str, str]], now: Callable[[], float] = time.time) -> Optional[float]:
    """Seconds the server asked us to wait, or ``None``; never raises.

    As the Stainless-generated SDKs do: ``retry-after-ms`` first (milliseconds, fractions
    allowed); if it is absent or not a number, ``retry-after`` as seconds
    (fractions allowed), else as an HTTP date (relative to ``now()``, so it
    may be negative). Values that are not finite (``inf``, ``nan``) give
    ``None``. Whether a value is honoured is the policy's decision.
    """
    if not headers:
        return None
    try:
        millis = _header(headers, "retry-after-ms")
        if millis is not None:
            try:
                return _finite(float(millis) / 1000)
            except ValueError:
                pass
        raw = _header(headers, "retry-after")
        if raw is None:
            return None
        try:
            return _finite(float(raw))
        except ValueError:
            pass
        parsed = email.utils.parsedate_tz(raw)
        if parsed is None:
            return None
        return _finite(float(email.utils.mktime_tz(parsed)) - now())
    except Exception:  # a date parser surprise (overflow, odd tuples): no advice rather than a crash
        return None


def _non_negative(name: str, value: float) -> float:
    number = float(value)
    if not number >= 0 or math.isinf(number):
        raise ValueError(f"{name} must be a non-negative finite number, got {value!r}")
    return number


class ExponentialRetryPolicy:
    """The retry rules of the Stainless-generated SDKs (openai-python and others).

    Retried: connection errors and timeouts (not redirect loops), 408, 409,
    429 and >= 500, with ``x-should-retry: true|false`` overriding the status
    rule. Wait: the server's ``retry-after-ms`` / ``retry-after`` when ``0 <
    wait <= retry_after_ceiling``, otherwise ``min(initial_delay * 2**n,
    max_delay)`` (``n`` retries taken so far) times a jitter in ``[0.75, 1]``.

    ``rng`` makes the jitter reproducible; ``clock`` (``time.time`` by
    default) is what an HTTP-date ``retry-after`` is measured against.
    """

    def __init__(
        self,
        *,
        initial_delay: float = INITIAL_RETRY_DELAY,
        max_delay: float = MAX_RETRY_DELAY,
        retry_after_ceiling: float = RETRY_AFTER_CEILING,
        rng: Optional[random.Random] = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        #: Seconds before the first retry, doubled for each one after (before jitter).
        self.initial_delay = _non_negative("initial_delay", initial_delay)
        #: The longest computed wait, in seconds.
        self.max_delay = _non_negative("max_delay", max_delay)
        #: The longest server-requested wait honoured, in seconds.
        self.retry_after_ceiling = _non_negative("retry_after_ceiling", retry_after_ceiling)
        self._random = (rng or random.Random()).random
        self._clock = clock

    def should_retry(self, outcome: RetryOutcome) -> bool:
        """True for a connection error, a timeout, 408, 409, 429 or >= 500, unless ``x-should-retry`` says otherwise."""
        if outcome.exception is not None:
            return isinstance(outcome.exception, APIConnectionError) and not isinstance(
                outcome.exception, TooManyRedirectsError
            )
        header = _header(outcome.headers or {}, "x-should-retry")
        if header == "true":
            return True
        if header == "false":
            return False
        status = outcome.status_code or 0
        return status in _RETRIED_STATUSES or status >= 500

    def wait(self, outcome: RetryOutcome) -> float:
        """The server's ``retry-after-ms`` / ``retry-after`` when within the ceiling, else the jittered backoff."""
        retry_after = parse_retry_after(outcome.headers, self._clock)
        if retry_after is not None and 0 < retry_after <= self.retry_after_ceiling:
            return retry_after
        return self.backoff(outcome.retries_taken)

    def backoff(self, retries_taken: int) -> float:
        """The jittered exponential wait after ``retries_taken`` retries."""
        exponent = min(max(retries_taken, 0), _MAX_EXPONENT)
        delay = min(self.initial_delay * math.pow(2.0, exponent), self.max_delay)
        return delay * (1 - 0.25 * self._random())

    def __repr__(self) -> str:
        return (
            f"ExponentialRetryPolicy(initial_delay={self.initial_delay:g}, max_delay={self.max_delay:g}, "
            f"retry_after_ceiling={self.retry_after_ceiling:g})"
        )


class NoRetryPolicy:
    """Never retries."""

    def should_retry(self, outcome: RetryOutcome) -> bool:
        """Always False."""
        return False

    def wait(self, outcome: RetryOutcome) -> float:
        """0: nothing is ever waited for."""
        return 0.0

    def __repr__(self) -> str:
        return "NoRetryPolicy()"


class RetryBudget:
    """A thread-safe token bucket (botocore's standard retry quota is the model)."""

    def __init__(self, capacity: float = 500) -> None:
        #: The most tokens the bucket holds.
        self.capacity = _non_negative("capacity", capacity)
        self._tokens = self.capacity
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

    def __repr__(self) -> str:
        return f"RetryBudget({self._tokens:g}/{self.capacity:g})"


@runtime_checkable
class BudgetStore(Protocol):
    """Where :class:`BudgetedRetryPolicy` keeps its tokens: :class:`RetryBudget` in memory, or shared.

    ``genai-base-redis`` keeps them in Redis, for every process naming the same key (and
    subclasses the policy with a ``should_retry_async`` for the async client).
    """

    #: The most tokens the bucket holds.
    capacity: float

    @property
    def available(self) -> float:
        """Tokens left (the last known count for a shared store)."""
        ...

    def acquire(self, cost: float) -> bool:
        """Take ``cost`` tokens if there are enough; False (taking none) otherwise."""
        ...

    def refund(self, amount: float) -> None:
        """Give back up to ``amount`` tokens, never above capacity."""
        ...


class BudgetedRetryPolicy:
    """Another policy's rules, limited by a token bucket shared by a client and its copies.

    A retry costs ``retry_cost`` tokens (``timeout_retry_cost`` after a
    timeout) and a successful attempt refunds ``success_refund``. With too
    few tokens left the last error is raised at once, its message saying the
    retry budget is spent, so that a fleet of clients does not turn an
    outage into a retry storm. The tokens left are reported as ``budget`` in
    ``retry`` hook events. ``budget`` replaces the in-memory bucket with
    another :class:`BudgetStore` (then ``capacity`` is the store's).
    """

    def __init__(
        self,
        inner: Optional[RetryPolicy] = None,
        *,
        capacity: float = 500,
        retry_cost: float = 5,
        timeout_retry_cost: float = 10,
        success_refund: float = 1,
        budget: Optional[BudgetStore] = None,
    ) -> None:
        #: The policy whose rules decide; the budget only limits them.
        self.inner: RetryPolicy = inner if inner is not None else ExponentialRetryPolicy()
        #: The token bucket, shared by the client and its copies (or another BudgetStore, e.g. in Redis).
        self.budget: BudgetStore = budget if budget is not None else RetryBudget(capacity)
        #: Tokens a retry after a status or a connection error costs.
        self.retry_cost = _non_negative("retry_cost", retry_cost)
        #: Tokens a retry after a timeout costs.
        self.timeout_retry_cost = _non_negative("timeout_retry_cost", timeout_retry_cost)
        #: Tokens a successful attempt puts back.
        self.success_refund = _non_negative("success_refund", success_refund)

    @property
    def available_tokens(self) -> float:
        """Tokens left in the bucket (reported in ``retry`` hook events)."""
        return self.budget.available

    def should_retry(self, outcome: RetryOutcome) -> bool:
        """The inner policy's answer, when the bucket holds the retry's cost.

        An empty bucket raises ``RetryBudgetExhaustedError`` (an :class:`~genai_base.APIError`) instead.
        """
        if not self.inner.should_retry(outcome):
            return False
        cost = self.cost(outcome)
        if not self.budget.acquire(cost):
            raise self.spent(cost)
        return True

    def cost(self, outcome: RetryOutcome) -> float:
        """Tokens a retry after ``outcome`` costs."""
        return self.timeout_retry_cost if outcome.is_timeout else self.retry_cost

    def spent(self, cost: float) -> RetryBudgetExhaustedError:
        """The error refusing a retry of ``cost`` tokens (the bucket holds fewer)."""
        return RetryBudgetExhaustedError(
            f"retry budget is spent: {self.budget.available:g} of {self.budget.capacity:g} tokens left, "
            f"a retry costs {cost:g}; not retrying"
        )

    def wait(self, outcome: RetryOutcome) -> float:
        """The inner policy's wait."""
        return self.inner.wait(outcome)

    def on_success(self, outcome: RetryOutcome) -> None:
        """Refund a little for every successful attempt."""
        self.budget.refund(self.success_refund)

    def __repr__(self) -> str:
        return f"BudgetedRetryPolicy({self.inner!r}, tokens={self.budget.available:g}/{self.budget.capacity:g})"


def make_exponential(settings: Any = None) -> ExponentialRetryPolicy:
    """Factory for the ``exponential`` entry point (reads ``retry_after_ceiling``)."""
    ceiling = None if settings is None else settings["retry_after_ceiling"]
    return ExponentialRetryPolicy(retry_after_ceiling=RETRY_AFTER_CEILING if ceiling is None else ceiling)


def make_budgeted(settings: Any = None) -> BudgetedRetryPolicy:
    """Factory for the ``budgeted`` entry point (numbers from ``retry_budget.*``)."""
    if settings is None:
        return BudgetedRetryPolicy()
    return BudgetedRetryPolicy(make_exponential(settings), **settings["retry_budget"])
