"""The rate limiter's own cost per call: the same client and server with ``none`` and with ``redis``.

A loopback HTTP server (``_server.py``, its own process) and a throwaway
``redis-server`` on the same machine. For each shell (``SyncAPIClient`` in
threads, ``AsyncAPIClient`` in tasks) and each concurrency (1 and 16), the
same ``client.get("/small")`` loop runs with the default limiter ``none``,
with the ``redis`` limiter of ``genai-base-redis`` (a limit so high that
nobody waits: what is measured is the limiter's work, not its waiting; as
configured by default, and with ``lease: 0``, one round trip per call), and
with ``none`` plus one bare redis-py ``PING`` per call (the floor: what any
Redis round trip next to each HTTP call costs on this machine), in
alternating rounds so that drift on a shared machine hits all alike.
Printed: wall microseconds per call (elapsed over calls, so at concurrency
16 the throughput cost) and this process's CPU microseconds per call, what
each adds over ``none``, and redis-server's own CPU per call.

A second table times the limiters alone (``acquire`` + ``feedback`` back to
back, no HTTP), and a bare redis-py ``PING`` (the floor of one round trip).
The last lines show what ``none`` costs: the call flow tests one flag per
attempt and yields no limiter step.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import threading
import time
import timeit
from pathlib import Path
from typing import Any, Awaitable, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import alternate, header, median, print_table, quick
from _redis import RedisProcess
from _server import LoopbackServer

PATH = "/small"
#: The same client.get loop: the default, with the redis limiter (as configured by default, and with
#: leasing off: one round trip per call), and with one bare redis-py PING per call (the floor: what
#: any Redis round trip next to each HTTP call costs on this machine).
CONTENDERS = ("none", "redis", "redis, lease 0", "none + PING")
NOTHING: dict[str, str] = {}


class Meter:
    """Wall, this process's CPU, and redis-server's CPU over one measured stretch."""

    def __init__(self, redis: RedisProcess) -> None:
        self.redis = redis

    def __enter__(self) -> "Meter":
        self.wall, self.cpu, self.server = time.perf_counter(), time.process_time(), self.redis.cpu_seconds()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.server = self.redis.cpu_seconds() - self.server

    def per_call(self, calls: int) -> tuple[float, float, float]:
        return self.wall / calls * 1e6, self.cpu / calls * 1e6, self.server / calls * 1e6


def sync_stretch(fn: Callable[[], Any], calls: int, concurrency: int, meter: Meter) -> tuple[float, float, float]:
    """``calls`` calls of ``fn`` spread over ``concurrency`` threads; per-call (wall, CPU, server CPU) in us."""
    each = calls // concurrency
    if concurrency == 1:
        with meter:
            for _ in range(each):
                fn()
        return meter.per_call(each)
    start = threading.Barrier(concurrency + 1)

    def run() -> None:
        start.wait()
        for _ in range(each):
            fn()

    threads = [threading.Thread(target=run) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    with meter:
        start.wait()
        for thread in threads:
            thread.join()
    return meter.per_call(each * concurrency)


async def async_stretch(
    fn: Callable[[], Awaitable[Any]], calls: int, concurrency: int, meter: Meter
) -> tuple[float, float, float]:
    """``calls`` awaits of ``fn()`` spread over ``concurrency`` tasks on this loop."""
    each = calls // concurrency

    async def run() -> None:
        for _ in range(each):
            await fn()

    with meter:
        await asyncio.gather(*(run() for _ in range(concurrency)))
    return meter.per_call(each * concurrency)


def _medians(samples: list[tuple[float, float, float]]) -> tuple[float, float, float]:
    return (median([s[0] for s in samples]), median([s[1] for s in samples]), median([s[2] for s in samples]))


def _fmt(pair: tuple[float, float]) -> str:
    return f"{pair[0]:.0f} / {pair[1]:.0f}"


def _rows(label: str, samples: dict[str, list[tuple[float, float, float]]]) -> list[list[Any]]:
    """Per contender: its figures and what it adds over ``none``."""
    got = {name: _medians(values) for name, values in samples.items()}
    none = got["none"]
    rows: list[list[Any]] = []
    for name in CONTENDERS:
        mine = got[name]
        if name == "none":
            rows.append([label, name, _fmt(mine[:2]), "", ""])
            continue
        added = (mine[0] - none[0], mine[1] - none[1])
        text = f"{added[0]:+.0f} / {added[1]:+.0f}"
        rows.append([label, f"`{name}`" if name.startswith("redis") else name, _fmt(mine[:2]),
                     f"**{text}**" if name == "redis" else text, f"{mine[2] - none[2]:.0f}"])
    return rows


def client_rows(url: str, server: RedisProcess, calls: int, rounds: int) -> list[list[Any]]:
    """``none`` against ``redis`` on the same client loop, both shells, concurrency 1 and 16."""
    from genai_base import AsyncAPIClient, ClientContainer, SyncAPIClient

    def container(name: str) -> Any:
        made = ClientContainer()
        if name.startswith("redis"):
            made.config.from_dict({"rate_limiter": "redis", "rate_limit": {
                "rps": 1e9, "burst": 1000, "url": server.url, "key": f"cost-{os.getpid()}",
                **({"lease": 0} if name == "redis, lease 0" else {})}})
        return made

    import redis as redis_py
    import redis.asyncio

    meter = Meter(server)
    rows: list[list[Any]] = []
    bare = redis_py.Redis.from_url(server.url, max_connections=64)
    for concurrency in (1, 16):
        samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in CONTENDERS}
        clients = {name: SyncAPIClient(version="1", base_url=url, container=container(name))
                   for name in CONTENDERS}

        def call(name: str, clients: dict[str, Any] = clients) -> Callable[[], Any]:
            client = clients[name]
            if name == "none + PING":
                def get_and_ping() -> Any:
                    bare.ping()
                    return client.get(PATH, cast_to=dict)
                return get_and_ping
            return lambda: client.get(PATH, cast_to=dict)

        for name in CONTENDERS:
            sync_stretch(call(name), 64, concurrency, meter)  # warm the pools
        for order in alternate(list(CONTENDERS), rounds):
            for name in order:
                samples[name].append(sync_stretch(call(name), calls, concurrency, meter))
        for client in clients.values():
            client.close()
        rows.extend(_rows(f"sync, {concurrency} thread{'s' if concurrency > 1 else ''}", samples))
    bare.close()

    async def async_rows() -> None:
        bare_async = redis.asyncio.Redis.from_url(server.url, max_connections=64)
        for concurrency in (1, 16):
            samples: dict[str, list[tuple[float, float, float]]] = {name: [] for name in CONTENDERS}
            clients = {name: AsyncAPIClient(version="1", base_url=url, container=container(name))
                       for name in CONTENDERS}

            def call(name: str, clients: dict[str, Any] = clients) -> Callable[[], Awaitable[Any]]:
                client = clients[name]
                if name == "none + PING":
                    async def get_and_ping() -> Any:
                        await bare_async.ping()
                        return await client.get(PATH, cast_to=dict)
                    return get_and_ping
                return lambda: client.get(PATH, cast_to=dict)

            for name in CONTENDERS:
                await async_stretch(call(name), 64, concurrency, meter)
            for order in alternate(list(CONTENDERS), rounds):
                for name in order:
                    samples[name].append(await async_stretch(call(name), calls, concurrency, meter))
            for client in clients.values():
                await client.close()
            rows.extend(_rows(f"async, {concurrency} task{'s' if concurrency > 1 else ''}", samples))
        await bare_async.aclose()

    asyncio.run(async_rows())
    return rows


def alone_rows(server: RedisProcess, calls: int, rounds: int) -> list[list[Any]]:
    """Each limiter's ``acquire`` + ``feedback`` back to back, and a bare ``PING``; us per call, wall / CPU."""
    import redis as redis_py
    import redis.asyncio
    from genai_base_redis import RedisRateLimiter

    from genai_base import LocalRateLimiter

    meter = Meter(server)
    rows: list[list[Any]] = []
    limiters: dict[str, Any] = {
        "`local` acquire + feedback": LocalRateLimiter(1e9, 1000),
        "`redis` acquire + feedback": RedisRateLimiter(server.url, rps=1e9, burst=1000, key=f"alone-{os.getpid()}"),
        "`redis`, lease 0, acquire + feedback": RedisRateLimiter(server.url, rps=1e9, burst=1000, lease=0,
                                                                 key=f"alone0-{os.getpid()}"),
    }
    bare = redis_py.Redis.from_url(server.url)
    bare.ping()

    def cells(sync_fn: Callable[[], Any], async_fn: Callable[[], Awaitable[Any]]) -> list[str]:
        out = []
        for concurrency in (1, 16):
            sync_fn()
            out.append(_fmt(_medians([sync_stretch(sync_fn, calls, concurrency, meter) for _ in range(rounds)])[:2]))

        async def measure() -> list[str]:
            got = []
            for concurrency in (1, 16):
                await async_fn()
                samples = [await async_stretch(async_fn, calls, concurrency, meter) for _ in range(rounds)]
                got.append(_fmt(_medians(samples)[:2]))
            return got

        return out + asyncio.run(measure())

    for label, limiter in limiters.items():
        def step(lim: Any = limiter) -> None:
            lim.acquire(None)
            lim.feedback(200, NOTHING)

        async def astep(lim: Any = limiter) -> None:
            await lim.acquire_async(None)
            await lim.feedback_async(200, NOTHING)

        rows.append([label, *cells(step, astep)])

    holder: dict[str, Any] = {}

    async def aping() -> Any:
        client = holder.get("client")
        if client is None or holder.get("loop") is not asyncio.get_running_loop():
            client = holder["client"] = redis.asyncio.Redis.from_url(server.url, max_connections=32)
            holder["loop"] = asyncio.get_running_loop()
        return await client.ping()

    rows.append(["a bare redis-py `PING` (the floor of one round trip)", *cells(bare.ping, aping)])
    bare.close()
    return rows


def none_lines() -> list[str]:
    """What ``none`` costs a call: the flag tested per attempt, timed; and that no limiter step is yielded."""
    from genai_base import ClientContainer, SyncAPIClient

    with SyncAPIClient(version="1", base_url="http://127.0.0.1:9", container=ClientContainer()) as client:
        config = client._engine  # what the call flow reads
        flag = config.rate_limited
        loops = 1_000_000
        seconds = min(timeit.repeat("if config.rate_limited: pass\nif config.rate_limited: pass",
                                    globals={"config": config}, number=loops, repeat=5))
    return [f"`none`: the client's flow config has rate_limited={flag} (no LIMIT/FEEDBACK step is yielded); "
            f"the two tests of that flag per attempt take {seconds / loops * 1e9:.0f} ns together (timeit)."]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer calls and rounds")
    parser.add_argument("--calls", type=int, default=None, help="calls per round")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--only", default="clients,alone", help="tables to print: clients, alone")
    opts = parser.parse_args()
    calls = opts.calls or (800 if quick() else 3200)
    rounds = opts.rounds or (3 if quick() else 6)
    header("bench_limiter")
    redis = RedisProcess()
    with LoopbackServer() as url, redis as redis_url:
        if redis_url is None:
            print("skipped: no redis-server on PATH (Debian: apt-get install redis-server)")
            return
        notes = [f"{calls} calls x {rounds} rounds, medians, alternating `none`, `redis`, `redis, lease 0` and "
                 "`none + PING`; "
                 "wall us per call is elapsed / calls (at 16, the cost in throughput); CPU is this process's; "
                 "the loopback server and redis-server run on the same machine. Target: `redis` adds <= 150 us."]
        if "clients" in opts.only:
            print_table("What the `redis` limiter adds to client.get (us per call, wall / this process's CPU)",
                        ["shell, concurrency", "limiter", "us per call", "added over `none`", "redis-server CPU"],
                        client_rows(url, redis, calls, rounds), notes + none_lines())
        if "alone" in opts.only:
            print_table("The limiters alone (us per call, wall / CPU)",
                        ["what", "sync, 1", "sync, 16 threads", "async, 1", "async, 16 tasks"],
                        alone_rows(redis, calls, rounds))

if __name__ == "__main__":
    main()
