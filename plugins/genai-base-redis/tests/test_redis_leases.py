"""Leased slots: a round trip takes slots ahead for this process, as many as its pace uses; never early,
never stale, never shared."""

from __future__ import annotations

import asyncio
import os
import threading
import time
from typing import Any

import pytest
from conftest import RedisServer, child_exit_code
from genai_base_redis import RedisRateLimiter, _limiter
from genai_base_redis._lease import Leases
from genai_base_redis._scripts import RATE_TAKE

from genai_base import APITimeoutError, AsyncAPIClient, ClientContainer, RateLimitError, SyncAPIClient
from genai_base.testing import FakeAPIServer, Reply


def takes(admin: Any) -> int:
    """How many take (or feed) scripts Redis ran since its stats were reset."""
    return int(admin.info("commandstats").get("cmdstat_evalsha", {}).get("calls", 0))


def takes_while(redis_server: RedisServer, threads: list[threading.Thread]) -> int:
    """How many takes Redis ran while ``threads`` ran (started and joined here), the script loaded before."""
    with redis_server.client() as admin:
        admin.script_load(RATE_TAKE)
        admin.config_resetstat()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        return takes(admin)


def limiter_for(url: str, **options: Any) -> RedisRateLimiter:
    return RedisRateLimiter(url, key="lease", fail_open=False, **options)


def acquire_times(kind: str, limiter: RedisRateLimiter, count: int, timeout: float = 5.0) -> list[float]:
    """When each of ``count`` back-to-back acquires returned (monotonic)."""
    if kind == "sync":
        out = []
        for _ in range(count):
            limiter.acquire(timeout)
            out.append(time.monotonic())
        return out

    async def main() -> list[float]:
        out = []
        try:
            for _ in range(count):
                await limiter.acquire_async(timeout)
                out.append(time.monotonic())
        finally:
            await limiter.aclose()
        return out

    return asyncio.run(main())


# -- fewer round trips -----------------------------------------------------------------------------


def test_one_round_trip_serves_the_caller_and_the_lease(kind: str, redis_server: RedisServer,
                                                         fake_api: FakeAPIServer) -> None:
    container = ClientContainer()
    container.config.from_dict({"rate_limiter": "redis", "rate_limit": {
        "url": redis_server.url, "rps": 1e6, "lease": 8, "lease_window": 1.0}})
    with redis_server.client() as admin:
        admin.script_load(RATE_TAKE)  # as if an earlier call had: the first take is not asked twice
        if kind == "sync":
            with SyncAPIClient(version="1", base_url=fake_api.url, container=container) as client:
                for _ in range(3):  # the limiter learns the pace: far more than 8 calls a second
                    client.get("/echo", cast_to=dict)
                admin.config_resetstat()
                for _ in range(18):
                    client.get("/echo", cast_to=dict)
        else:
            async def main() -> None:
                async with AsyncAPIClient(version="1", base_url=fake_api.url, container=container) as client:
                    for _ in range(3):
                        await client.get("/echo", cast_to=dict)
                    admin.config_resetstat()
                    for _ in range(18):
                        await client.get("/echo", cast_to=dict)

            asyncio.run(main())
        # Each round trip: the caller's slot and 8 leased ones (the 18 may begin on what the warm-up leased).
        assert 2 <= takes(admin) <= 3
    assert len(fake_api.requests) == 21


def test_lease_zero_asks_redis_every_time(kind: str, redis_server: RedisServer) -> None:
    limiter = limiter_for(redis_server.url, rps=1e6, lease=0)
    with redis_server.client() as admin:
        admin.config_resetstat()
        acquire_times(kind, limiter, 6)
        assert takes(admin) == 6
    assert len(limiter.leases) == 0
    limiter.close()


def test_the_lease_comes_from_the_shared_schedule(redis_server: RedisServer) -> None:
    # 8 slots leased by one limiter are gone from the schedule every sharer draws from.
    first = limiter_for(redis_server.url, rps=10, burst=9, lease=8, lease_window=1.0)
    other = limiter_for(redis_server.url, rps=10, burst=9, lease=0)
    first.acquire(1.0)
    first.acquire(1.0)  # at this pace: 8 leased, 7 of the burst and the slot after it
    assert len(first.leases) == 8
    started = time.monotonic()
    other.acquire(1.0)  # 10 slots taken, burst 9: the next is two intervals away
    assert time.monotonic() - started >= 0.19
    first.close()
    other.close()


# -- never early, never stale ------------------------------------------------------------------------


def test_a_leased_slot_is_used_no_earlier_than_its_time(kind: str, redis_server: RedisServer) -> None:
    # 100/s, a burst of 2: the first call has no pace to go by; the second, right after it, takes the
    # burst's second slot and leases those within 55 ms: 10, 20, 30, 40 and 50 ms away. Seven calls,
    # two round trips.
    limiter = limiter_for(redis_server.url, rps=100, burst=2, lease=8, lease_window=0.055)
    with redis_server.client() as admin:
        admin.script_load(RATE_TAKE)
        admin.config_resetstat()
        times = acquire_times(kind, limiter, 7)
        assert takes(admin) == 2
    # The i-th leased slot is i intervals after the first (a late call does not move the ones after it).
    since = [t - times[1] for t in times[2:]]
    assert all(elapsed >= (index + 1) * 0.0095 for index, elapsed in enumerate(since)), since
    limiter.close()


def test_a_caller_that_has_to_wait_leases_nothing(kind: str, redis_server: RedisServer) -> None:
    # 100/s, no burst: the second call waits 10 ms for its slot, so the fleet is at its limit; the
    # slots within the 0.5 s window are left to whoever comes first.
    limiter = limiter_for(redis_server.url, rps=100, lease=8, lease_window=0.5)
    with redis_server.client() as admin:
        admin.script_load(RATE_TAKE)
        admin.config_resetstat()
        acquire_times(kind, limiter, 3)
        assert takes(admin) == 3
    assert len(limiter.leases) == 0
    limiter.close()


def test_a_correction_from_the_server_holds_leases_off(kind: str, redis_server: RedisServer,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    # x-ratelimit-remaining-requests below the burst: the fleet is near the server's limit, where a
    # leased slot would be dropped by the next correction before it is used.
    monkeypatch.setattr(_limiter, "_NO_LEASES_AFTER_FEEDBACK", 0.2)
    limiter = limiter_for(redis_server.url, rps=1e6, burst=10, lease=8, lease_window=5.0)
    acquire_times(kind, limiter, 2)
    assert len(limiter.leases) > 0
    limiter.feedback(200, {"x-ratelimit-remaining-requests": "5"})
    assert len(limiter.leases) == 0
    with redis_server.client() as admin:
        admin.script_load(RATE_TAKE)
        admin.config_resetstat()
        acquire_times(kind, limiter, 3)
        assert takes(admin) == 3  # no lease within the hold
        assert len(limiter.leases) == 0
        time.sleep(0.25)
        acquire_times(kind, limiter, 3)  # the hold is over: a lease again
        assert takes(admin) <= 5
    limiter.close()


def test_no_lease_when_no_slot_comes_within_the_window(kind: str, redis_server: RedisServer) -> None:
    # 100/s: the next slot is 10 ms away, past a 2 ms window: every call asks, as without leases.
    limiter = limiter_for(redis_server.url, rps=100, lease=8, lease_window=0.002)
    with redis_server.client() as admin:
        admin.config_resetstat()
        acquire_times(kind, limiter, 3)
        assert takes(admin) == 3
    assert len(limiter.leases) == 0
    limiter.close()


def test_leased_slots_lapse_after_the_window(kind: str, redis_server: RedisServer) -> None:
    limiter = limiter_for(redis_server.url, rps=1e6, lease=8, lease_window=0.03)
    with redis_server.client() as admin:
        acquire_times(kind, limiter, 2)
        assert len(limiter.leases) > 0  # (as many as the pace of the first two calls says)
        time.sleep(0.04)
        admin.config_resetstat()
        acquire_times(kind, limiter, 1)  # those are stale: dropped, and Redis asked again
        assert takes(admin) == 1
    # After a 40 ms pause the pace says about one call per 20 ms: a lease of one, not eight.
    assert len(limiter.leases) <= 2
    limiter.close()


def test_a_process_slower_than_the_window_leases_nothing(kind: str, redis_server: RedisServer) -> None:
    # A call every 25 ms, a 10 ms window: a leased slot would lapse, lost to the whole fleet.
    limiter = limiter_for(redis_server.url, rps=1000, lease=8, lease_window=0.01)
    with redis_server.client() as admin:
        admin.config_resetstat()
        for _ in range(5):
            acquire_times(kind, limiter, 1)
            assert len(limiter.leases) == 0
            time.sleep(0.025)
        assert takes(admin) == 5
    with redis_server.client() as admin:  # the schedule holds the 5 slots taken, no more
        due = float(admin.get("genai_base:rate:lease") or 0)
        now = float(admin.time()[0]) + admin.time()[1] / 1e6
    assert due < now + 0.002
    limiter.close()


def test_a_leased_slot_past_the_time_left_is_not_used(redis_server: RedisServer) -> None:
    # 10/s, a burst of 3, spent by three quick calls; the second leased slots at 0 (the third's), 100,
    # 200 and 300 ms. A call with 50 ms left can use none of those left, nor the schedule's next slot
    # (400 ms away): it fails at once, and the lease is still there for others.
    limiter = limiter_for(redis_server.url, rps=10, burst=3, lease=8, lease_window=0.35)
    for _ in range(3):
        limiter.acquire(1.0)
    assert len(limiter.leases) == 3
    started = time.monotonic()
    with pytest.raises(APITimeoutError, match="no free slot within"):
        limiter.acquire(0.05)
    assert time.monotonic() - started < 0.05
    assert len(limiter.leases) == 3
    limiter.close()


# -- this process's own ------------------------------------------------------------------------------


def test_a_pause_from_the_server_drops_the_lease(kind: str, redis_server: RedisServer,
                                                  fake_api: FakeAPIServer) -> None:
    fake_api.script("/busy", Reply(status=429, headers={"retry-after": "0.3"}, json={}))
    limiter = limiter_for(redis_server.url, rps=1e6, lease=8, lease_window=5.0)
    container = ClientContainer()
    container.rate_limiter.override(limiter)

    def sync_work() -> float:
        with SyncAPIClient(version="1", base_url=fake_api.url, container=container, max_retries=0) as client:
            for _ in range(3):
                client.get("/echo", cast_to=dict)
            assert len(limiter.leases) > 0
            with pytest.raises(RateLimitError):
                client.get("/busy", cast_to=dict)
            assert len(limiter.leases) == 0
            started = time.monotonic()
            client.get("/echo", cast_to=dict)  # waits out the pause: no leased slot jumps it
            return time.monotonic() - started

    async def async_work() -> float:
        async with AsyncAPIClient(version="1", base_url=fake_api.url, container=container, max_retries=0) as client:
            for _ in range(3):
                await client.get("/echo", cast_to=dict)
            assert len(limiter.leases) > 0
            with pytest.raises(RateLimitError):
                await client.get("/busy", cast_to=dict)
            assert len(limiter.leases) == 0
            started = time.monotonic()
            await client.get("/echo", cast_to=dict)
            return time.monotonic() - started

    waited = sync_work() if kind == "sync" else asyncio.run(async_work())
    assert 0.2 <= waited < 0.8
    limiter.close()


def test_a_forked_child_starts_with_no_lease(redis_server: RedisServer) -> None:
    limiter = limiter_for(redis_server.url, rps=1e6, lease=8, lease_window=30.0)
    limiter.acquire(1.0)
    limiter.acquire(1.0)
    assert len(limiter.leases) == 8
    pid = os.fork()
    if pid == 0:
        try:
            os._exit(0 if len(limiter.leases) == 0 else 3)
        except BaseException:
            os._exit(4)
    assert child_exit_code(pid) == 0
    assert len(limiter.leases) == 8  # the parent keeps its own
    limiter.close()


# -- settings ------------------------------------------------------------------------------------------


def test_the_settings_reach_the_limiter(redis_server: RedisServer, fake_api: FakeAPIServer) -> None:
    container = ClientContainer()
    container.config.from_dict({"rate_limiter": "redis", "rate_limit": {
        "url": redis_server.url, "rps": 50, "lease": 3, "lease_window": 0.25}})
    with SyncAPIClient(version="1", base_url=fake_api.url, container=container) as client:
        limiter = container.rate_limiter()
        assert (limiter.lease, limiter.leases.window) == (3, 0.25)
        assert "lease=3" in repr(limiter)
        client.get("/echo", cast_to=dict)


@pytest.mark.parametrize("options, message", [
    ({"lease": -1}, "lease must be a whole number >= 0, got -1"),
    ({"lease": True}, "lease must be a whole number >= 0, got True"),
    ({"lease": 2.5}, "lease must be a whole number >= 0, got 2.5"),
    ({"lease_window": 0}, "lease_window must be a positive finite number, got 0"),
])
def test_bad_lease_options_are_refused(redis_server: RedisServer, options: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RedisRateLimiter(redis_server.url, rps=10, key="k", **options)


def test_a_fleet_with_leases_stays_within_the_bound(redis_server: RedisServer) -> None:
    # Two "processes" (limiters) of two threads each, 0.4 s at 400/s with a 20 ms window, each thread
    # calling about every 12 ms (the fleet a little below its limit, where leases are granted): over any
    # 50 ms at most burst + rps * (50 ms + window) slots are used.
    rps, window, span = 400.0, 0.02, 0.05
    limiters = [limiter_for(redis_server.url, rps=rps, lease=8, lease_window=window) for _ in range(2)]
    used: list[float] = []
    stop = time.monotonic() + 0.4

    def work(limiter: RedisRateLimiter, pause: float) -> None:
        while time.monotonic() < stop:
            limiter.acquire(1.0)
            used.append(time.monotonic())
            time.sleep(pause)  # an HTTP call's worth of time

    threads = [threading.Thread(target=work, args=(limiters[i // 2], 0.011 + 0.001 * i)) for i in range(4)]
    asked = takes_while(redis_server, threads)
    used.sort()
    bound = 1 + rps * (span + window)
    busiest = max(sum(1 for t in used[i:] if t < start + span) for i, start in enumerate(used))
    assert busiest <= bound + 1, (busiest, bound, asked)  # + 1: the threads' clock reads are not atomic
    assert len(used) >= 0.7 * 4 / 0.0125 * 0.4  # the threads kept close to their pace
    assert asked < len(used) * 0.9, (asked, len(used))  # some slots were leased ones
    for limiter in limiters:
        limiter.close()


def test_threads_share_one_lease_budget(redis_server: RedisServer) -> None:
    # Eight threads calling at once share one budget, what the process's pace uses in the window:
    # takes in flight together never lease more than that between them.
    limiter = limiter_for(redis_server.url, rps=1e6, lease=8, lease_window=1.0)
    limiter.acquire(1.0)
    limiter.acquire(1.0)  # a pace is known
    barrier = threading.Barrier(8)

    def work() -> None:
        barrier.wait()
        for _ in range(25):
            limiter.acquire(1.0)

    threads = [threading.Thread(target=work) for _ in range(8)]
    asked = takes_while(redis_server, threads)
    # 200 slots: most of them leased (about 30 round trips here; with each thread that found no slot
    # asking Redis for its own, 80-110).
    assert asked <= 200 / 4, asked
    assert limiter.leases._pending == 0  # every claim settled: the budget is whole again
    limiter.close()


# -- a thread that finds no slot while another is leasing ----------------------------------------------


def test_a_thread_is_served_by_the_lease_another_thread_is_taking() -> None:
    leases = Leases(window=1.0, most=8)
    leases.take(None)
    leases.take(None)  # a pace is known: the next claim leases
    claimed = leases.claim()
    assert claimed > 0
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(leases.take_after_pending(5.0, 5.0)))
    waiter.start()
    time.sleep(0.02)
    assert not got  # still waiting for the take in flight
    leases.settle(claimed, [b"1", b"0.0", b"2", b"0.0"], 0.001)  # that take leased two slots
    waiter.join(5.0)
    assert got and got[0] is not None and 0.0 <= got[0] <= 0.01  # one of them is the waiter's
    assert len(leases) == 1


def test_no_wait_when_no_lease_is_in_flight() -> None:
    leases = Leases(window=1.0, most=8)
    began = time.monotonic()
    assert leases.take_after_pending(5.0, 5.0) is None
    assert time.monotonic() - began < 0.05


@pytest.mark.parametrize("timeout, bound", [(5.0, 0.03), (0.03, 5.0)])
def test_the_wait_for_another_threads_lease_is_bounded(timeout: float, bound: float) -> None:
    # The take in flight never answers: the waiter gives up after the bound or the call's time left.
    leases = Leases(window=1.0, most=8)
    leases.take(None)
    leases.take(None)
    claimed = leases.claim()
    assert claimed > 0
    began = time.monotonic()
    assert leases.take_after_pending(timeout, bound) is None
    assert 0.025 <= time.monotonic() - began < 1.0
    leases.settle(claimed, None, 0.001)


def test_a_failed_lease_wakes_its_waiters_with_no_slot() -> None:
    leases = Leases(window=1.0, most=8)
    leases.take(None)
    leases.take(None)
    claimed = leases.claim()
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append((leases.take_after_pending(5.0, 5.0), time.monotonic())))
    waiter.start()
    time.sleep(0.02)
    failed = time.monotonic()
    leases.settle(claimed, None, 0.001)  # Redis did not answer: nothing leased
    waiter.join(5.0)
    assert got and got[0][0] is None  # the waiter asks for its own slot next
    assert got[0][1] - failed < 1.0  # woken by the failure, not by its 5 s bound


def test_threads_that_run_out_wait_for_the_lease_in_flight(redis_server: RedisServer) -> None:
    # Redis answers 50 ms late (CLIENT PAUSE): the first thread's take, which leases for the process,
    # is in flight while the seven others find no slot. They wait for it instead of each asking.
    limiter = limiter_for(redis_server.url, rps=1e6, lease=8, lease_window=1.0, timeout=1.0)
    limiter.acquire(1.0)
    limiter.acquire(1.0)  # a pace is known
    limiter.leases.clear()
    barrier = threading.Barrier(9)
    done: list[float] = []

    def work() -> None:
        barrier.wait()
        limiter.acquire(1.0)
        done.append(time.monotonic())

    threads = [threading.Thread(target=work) for _ in range(8)]
    with redis_server.client() as admin:
        admin.script_load(RATE_TAKE)
        admin.config_resetstat()
        for thread in threads:
            thread.start()
        admin.client_pause(50)
        barrier.wait()
        for thread in threads:
            thread.join()
        asked = takes(admin)
    assert len(done) == 8
    assert asked <= 2, asked  # each asking for its own: 8
    assert limiter.leases._pending == 0
    limiter.close()
