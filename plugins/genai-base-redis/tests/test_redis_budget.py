"""The ``redis_budgeted`` retry policy: one retry budget for every client naming the key, in a real Redis."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from conftest import RedisServer, closed_port
from genai_base_redis import RedisRetryBudget
from genai_base_redis._budget import BUDGET_PREFIX

from genai_base import (
    AsyncAPIClient,
    BudgetedRetryPolicy,
    ClientContainer,
    ConfigurationError,
    InternalServerError,
    SyncAPIClient,
)
from genai_base.testing import FakeAPIServer, Reply

DOWN = Reply(status=503, headers={"retry-after": "0.01"}, json={"error": "down"})


def budgeted(url: str, **rate_limit: Any) -> ClientContainer:
    container = ClientContainer()
    container.config.from_dict({
        "retry_policy": "redis_budgeted",
        "retry_budget": {"capacity": 10, "retry_cost": 5, "success_refund": 1},
        "rate_limit": {"url": url, **rate_limit},
    })
    return container


def failing_call(kind: str, base_url: str, container: ClientContainer) -> InternalServerError:
    """One call to the always-503 route with a fresh client; the error it ends with."""
    if kind == "sync":
        with SyncAPIClient(version="1", base_url=base_url, container=container) as client:
            assert isinstance(client._retry_policy, BudgetedRetryPolicy)
            with pytest.raises(InternalServerError) as info:
                client.get("/down", cast_to=dict)
            return info.value

    async def main() -> InternalServerError:
        async with AsyncAPIClient(version="1", base_url=base_url, container=container) as client:
            with pytest.raises(InternalServerError) as info:
                await client.get("/down", cast_to=dict)
            return info.value

    return asyncio.run(main())


def test_independent_clients_draw_from_one_budget(kind: str, redis_server: RedisServer,
                                                  fake_api: FakeAPIServer) -> None:
    fake_api.script("/down", DOWN)
    first = failing_call(kind, fake_api.url, budgeted(redis_server.url))
    assert len(fake_api.requests) == 3  # the first try, then two retries: 10 tokens at 5 each
    assert "retry budget is spent: 0 of 10 tokens left" in str(first)
    second = failing_call(kind, fake_api.url, budgeted(redis_server.url))  # another client, same key
    assert len(fake_api.requests) == 4  # no retry left for it
    assert "retry budget is spent" in str(second)
    with redis_server.client() as r:
        assert float(r.get(BUDGET_PREFIX + f"http://127.0.0.1:{fake_api.port}") or -1) == 0


def test_other_keys_have_their_own_budget(redis_server: RedisServer, fake_api: FakeAPIServer) -> None:
    fake_api.script("/down", DOWN)
    failing_call("sync", fake_api.url, budgeted(redis_server.url, key="team-a"))
    failing_call("sync", fake_api.url, budgeted(redis_server.url, key="team-b"))
    assert len(fake_api.requests) == 6


def test_refunds_are_batched_and_capped(redis_server: RedisServer) -> None:
    budget = RedisRetryBudget(redis_server.url, key="k", capacity=20, flush_interval=60)
    assert budget.acquire(5) is True and budget.available == 15
    for _ in range(3):
        budget.refund(1)  # held in the process: the interval has not passed
    with redis_server.client() as r:
        assert float(r.get(BUDGET_PREFIX + "k")) == 15
        assert budget.acquire(5) is True  # the pending refunds travel with the next retry
        assert float(r.get(BUDGET_PREFIX + "k")) == 13
        budget.flush_interval = 0
        budget.refund(100)
        assert float(r.get(BUDGET_PREFIX + "k")) == 20 == budget.available
    assert budget.acquire(25) is False and budget.available == 20
    budget.close()


def test_redis_down_fail_open_falls_back_to_a_local_budget(
    fake_api: FakeAPIServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="genai_base.redis")
    fake_api.script("/down", DOWN)
    container = budgeted(f"redis://127.0.0.1:{closed_port()}/0")
    with SyncAPIClient(version="1", base_url=fake_api.url, container=container) as client:
        for _ in range(2):
            with pytest.raises(InternalServerError):
                client.get("/down", cast_to=dict)
    assert len(fake_api.requests) == 3 + 1  # the process's own bucket of 10 tokens decided
    assert len([r for r in caplog.records if "unavailable" in r.getMessage()]) == 1


def test_redis_down_fail_closed_refuses_every_retry(kind: str, fake_api: FakeAPIServer) -> None:
    fake_api.script("/down", DOWN)
    error = failing_call(kind, fake_api.url, budgeted(f"redis://:pw9@127.0.0.1:{closed_port()}/0", fail_open=False))
    assert len(fake_api.requests) == 1
    assert "is unavailable" in str(error) and "not retrying" in str(error)
    assert "pw9" not in str(error)


def test_it_needs_a_redis_url() -> None:
    container = ClientContainer()
    container.config.from_dict({"retry_policy": "redis_budgeted"})
    with pytest.raises(ConfigurationError, match=r"redis_budgeted retry policy needs 'rate_limit.url'"):
        SyncAPIClient(version="1", base_url="http://127.0.0.1:9", container=container)
    container.config.from_dict({"retry_policy": "redis_budgeted", "rate_limit": {"url": "memcached://x"}})
    with pytest.raises(ConfigurationError, match=r"invalid value for 'rate_limit.url'"):
        SyncAPIClient(version="1", base_url="http://127.0.0.1:9", container=container)
