"""Fleet-wide limits for genai_base clients, shared through Redis.

- ``redis`` (group ``genai_base.rate_limiters``): :class:`RedisRateLimiter`,
  one rate limit for every process naming the same ``rate_limit.key``.
- ``redis_budgeted`` (group ``genai_base.retry_policies``): the ``budgeted``
  policy with its token bucket in Redis (:class:`RedisRetryBudget`).

Built on genai_base's public API and the ``redis`` package (sync and
``redis.asyncio``); the shared state changes atomically in Lua scripts.
"""

from ._budget import RedisBudgetedRetryPolicy, RedisRetryBudget, make_budgeted
from ._limiter import RedisRateLimiter, make_rate_limiter

genai_base_plugin_api = 1

__all__ = ["RedisRateLimiter", "RedisRetryBudget", "RedisBudgetedRetryPolicy", "make_rate_limiter", "make_budgeted"]
