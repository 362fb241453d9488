"""A fleet of processes against one API limit: no limiter, local limiters, the shared Redis limiter.

The loopback server enforces one global limit (``--limit`` req/s, a token
bucket of ``--burst``; a 429 with ``retry-after`` beyond it, and
``x-ratelimit-*`` headers on every answer). ``--workers`` processes each
call it as fast as they can for ``--seconds`` with a ``SyncAPIClient``
(default retry policy), under:

(a) no limiter (``rate_limiter=none``);
(b) ``local`` limiters, each at ``limit / workers`` req/s;
(c) the ``redis`` limiter of ``genai-base-redis``, one ``limit`` for all.

The limiters' burst (``--client-burst``, 10: half the server's bucket) lets a
schedule that fell behind (a worker starved of CPU) catch up; the local
limiters split it (1 each).

Printed per scenario: successful calls per second and as a share of the
limit, the share of responses that were 429s, retries per call, and p50/p99
latency of a call (limiter waits and retries included). Then the limiter's
own cost per call against a local Redis: ``acquire`` + ``feedback`` timed
alone (a limit so high that nobody waits), and end to end against the
loopback server with and without it. A ``redis-server`` is started on a free
loopback port for the run (skipped, with a note, when none is installed).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import header, median, print_table, quick
from _server import LoopbackServer

SCENARIOS = {
    "a": "(a) no limiter",
    "b": "(b) local, limit/workers each",
    "c": "(c) redis, shared",
}


# -- a worker process ------------------------------------------------------------------------------


class Tally:
    """A hook counting responses by status and retries."""

    def __init__(self) -> None:
        self.responses = 0
        self.limited = 0
        self.retries = 0

    def on_response(self, event: Any) -> None:
        self.responses += 1
        if event.status_code == 429:
            self.limited += 1

    def on_retry(self, event: Any) -> None:
        self.retries += 1


def worker(args: argparse.Namespace) -> None:
    """Call ``/limited`` as fast as possible from ``start_at`` for ``seconds``; print a JSON tally."""
    from genai_base import APIError, ClientContainer, SyncAPIClient

    config: dict[str, Any] = {}
    if args.scenario == "b":
        share = {"rps": args.limit / args.workers, "burst": max(args.client_burst // args.workers, 1)}
        config = {"rate_limiter": "local", "rate_limit": share}
    elif args.scenario == "c":
        config = {"rate_limiter": "redis", "rate_limit": {
            "rps": args.limit, "burst": args.client_burst, "url": args.redis, "key": args.key}}
    container = ClientContainer()
    container.config.from_dict(config)
    tally = Tally()
    container.hooks.override([tally])
    path = f"/limited?rps={args.limit:g}&burst={args.burst}"
    latencies: list[float] = []
    failed = 0
    with SyncAPIClient(version="1", base_url=args.url, container=container) as client:
        time.sleep(max(args.start_at - time.time(), 0))
        began = time.time()
        stop_at = time.monotonic() + max(args.start_at + args.seconds - began, 0)  # the same window for all
        while True:
            started = time.monotonic()
            if started >= stop_at:
                break
            try:
                client.get(path, cast_to=dict)
            except APIError:
                failed += 1  # retries ran out (429s all the way)
                continue
            latencies.append(time.monotonic() - started)
    print(json.dumps({"began": began, "ended": time.time(), "ok": len(latencies), "failed": failed,
                      "responses": tally.responses,
                      "limited": tally.limited, "retries": tally.retries, "latencies": latencies}))


# -- the parent ------------------------------------------------------------------------------------


class RedisProcess:
    """A throwaway redis-server on a free loopback port."""

    def __init__(self) -> None:
        self.binary = shutil.which("redis-server")
        self.process: Optional[subprocess.Popen[bytes]] = None
        self.dir = tempfile.mkdtemp(prefix="bench-redis-")
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def __enter__(self) -> Optional[str]:
        if self.binary is None:
            return None
        import redis

        self.process = subprocess.Popen(
            [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", self.dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        with redis.Redis(host="127.0.0.1", port=self.port, socket_connect_timeout=0.2) as client:
            for _ in range(500):
                try:
                    client.ping()
                    return self.url
                except redis.ConnectionError:
                    time.sleep(0.01)
        raise RuntimeError("redis-server did not start")

    def __exit__(self, *exc_info: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
        shutil.rmtree(self.dir, ignore_errors=True)


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def run_scenario(scenario: str, url: str, redis_url: Optional[str], opts: argparse.Namespace) -> dict[str, Any]:
    start_at = time.time() + 3.0 + 0.5 * opts.workers  # every worker has imported and built its client
    command = [sys.executable, __file__, "--worker", "--scenario", scenario, "--url", url,
               "--limit", str(opts.limit), "--burst", str(opts.burst), "--workers", str(opts.workers),
               "--client-burst", str(opts.client_burst),
               "--seconds", str(opts.seconds), "--start-at", repr(start_at), "--key", f"bench-{os.getpid()}-{scenario}"]
    if redis_url:
        command += ["--redis", redis_url]
    procs = [subprocess.Popen(command, stdout=subprocess.PIPE, text=True) for _ in range(opts.workers)]
    tallies = []
    for proc in procs:
        out, _ = proc.communicate(timeout=opts.seconds + 60)
        if proc.returncode != 0:
            raise RuntimeError(f"a worker of scenario {scenario} failed (exit {proc.returncode})")
        tallies.append(json.loads(out.strip().splitlines()[-1]))
    latencies = [x for t in tallies for x in t["latencies"]]
    ok = sum(t["ok"] for t in tallies)
    responses = sum(t["responses"] for t in tallies)
    # Over the window the workers really ran (a worker that started late shortens it, never stretches it).
    window = max(t["ended"] for t in tallies) - min(t["began"] for t in tallies)
    rate = ok / window
    return {
        "rate": rate,
        "share": rate / opts.limit,
        "limited": sum(t["limited"] for t in tallies) / max(responses, 1),
        "retries": sum(t["retries"] for t in tallies) / max(ok + sum(t["failed"] for t in tallies), 1),
        "failed": sum(t["failed"] for t in tallies),
        "p50": percentile(latencies, 0.50) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
    }


def _per_call(fn: Any, n: int) -> tuple[float, float]:
    """(wall, CPU) microseconds per call of ``fn`` over ``n`` calls."""
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        fn()
    return (time.perf_counter() - wall) / n * 1e6, (time.process_time() - cpu) / n * 1e6


async def _per_call_async(fn: Any, n: int) -> tuple[float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(n):
        await fn()
    return (time.perf_counter() - wall) / n * 1e6, (time.process_time() - cpu) / n * 1e6


def _medians(samples: list[tuple[float, float]]) -> tuple[float, float]:
    return median([s[0] for s in samples]), median([s[1] for s in samples])


def limiter_cost(url: str, redis_url: str, n: int, rounds: int) -> list[list[Any]]:
    """Microseconds per call (wall / CPU): each limiter alone, and client calls with and without ``redis``."""
    from genai_base_redis import RedisRateLimiter

    from genai_base import AsyncAPIClient, ClientContainer, LocalRateLimiter, SyncAPIClient

    def fmt(pair: tuple[float, float]) -> str:
        return f"{pair[0]:.0f} / {pair[1]:.0f}" if pair[0] >= 10 else f"{pair[0]:.1f} / {pair[1]:.1f}"

    rows: list[list[Any]] = []
    nothing: dict[str, str] = {}
    key = f"cost-{os.getpid()}"
    for name, limiter in (("local", LocalRateLimiter(1e9, 1000)),
                          ("redis", RedisRateLimiter(redis_url, rps=1e9, burst=1000, key=key))):
        def step(lim: Any = limiter) -> None:
            lim.acquire(None)
            lim.feedback(200, nothing)

        async def astep(lim: Any = limiter) -> None:
            await lim.acquire_async(None)
            await lim.feedback_async(200, nothing)

        async def arounds() -> tuple[float, float]:
            await astep()
            return _medians([await _per_call_async(astep, n) for _ in range(rounds)])

        step()
        rows.append([f"`{name}` acquire + feedback, alone", fmt(_medians([_per_call(step, n) for _ in range(rounds)])),
                     fmt(asyncio.run(arounds()))])

    timed = Timed(RedisRateLimiter(redis_url, rps=1e9, burst=1000, key=f"e2e-{os.getpid()}"))

    # The floor: one bare round trip to the same Redis with redis-py (what any Redis-backed limiter pays).
    import redis
    import redis.asyncio

    with redis.Redis.from_url(redis_url) as bare:
        bare.ping()
        sync_ping = _medians([_per_call(bare.ping, n) for _ in range(rounds)])

    async def aping() -> tuple[float, float]:
        client = redis.asyncio.Redis.from_url(redis_url)
        await client.ping()
        result = _medians([await _per_call_async(client.ping, n) for _ in range(rounds)])
        await client.aclose()
        return result

    rows.append(["a bare redis-py `PING`, alone (the floor)", fmt(sync_ping), fmt(asyncio.run(aping()))])

    def container(limited: bool) -> Any:
        made = ClientContainer()
        if limited:
            made.rate_limiter.override(timed)
        return made

    # Alternating rounds (none, redis, redis, none, ...) so that drift on a shared machine hits both alike.
    order = [name for r in range(rounds) for name in (("none", "redis") if r % 2 == 0 else ("redis", "none"))]
    sync_samples: dict[str, list[tuple[float, float]]] = {"none": [], "redis": []}
    timed.reset()
    clients = {"none": SyncAPIClient(version="1", base_url=url, container=container(False)),
               "redis": SyncAPIClient(version="1", base_url=url, container=container(True))}
    for client in clients.values():
        client.get("/small", cast_to=dict)
    for name in order:
        sync_samples[name].append(_per_call(lambda c=clients[name]: c.get("/small", cast_to=dict), n))
    for client in clients.values():
        client.close()
    sync_inside = timed.per_call()
    timed.reset()

    async def async_rounds() -> dict[str, list[tuple[float, float]]]:
        samples: dict[str, list[tuple[float, float]]] = {"none": [], "redis": []}
        made = {"none": AsyncAPIClient(version="1", base_url=url, container=container(False)),
                "redis": AsyncAPIClient(version="1", base_url=url, container=container(True))}
        for client in made.values():
            await client.get("/small", cast_to=dict)
        for name in order:
            samples[name].append(await _per_call_async(lambda c=made[name]: c.get("/small", cast_to=dict), n))
        for client in made.values():
            await client.close()
        return samples

    async_samples = asyncio.run(async_rounds())
    async_inside = timed.per_call()
    sync_m = {k: _medians(v) for k, v in sync_samples.items()}
    async_m = {k: _medians(v) for k, v in async_samples.items()}
    rows.append(["client.get, `none` (the default)", fmt(sync_m["none"]), fmt(async_m["none"])])
    rows.append(["client.get, `redis`", fmt(sync_m["redis"]), fmt(async_m["redis"])])

    def delta(m: dict[str, tuple[float, float]]) -> str:
        return fmt((m["redis"][0] - m["none"][0], m["redis"][1] - m["none"][1]))

    rows.append(["**`redis` adds per call**", delta(sync_m), delta(async_m)])
    rows.append(["of which inside the limiter (wall)", f"{sync_inside:.0f}", f"{async_inside:.0f}"])
    return rows


class Timed:
    """A rate limiter that times the one it wraps (wall clock spent in acquire and feedback)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.reset()

    def reset(self) -> None:
        self.spent = 0.0
        self.calls = 0

    def per_call(self) -> float:
        return self.spent / max(self.calls, 1) * 1e6

    def acquire(self, timeout: Optional[float]) -> None:
        started = time.perf_counter()
        self.inner.acquire(timeout)
        self.spent += time.perf_counter() - started
        self.calls += 1

    async def acquire_async(self, timeout: Optional[float]) -> None:
        started = time.perf_counter()
        await self.inner.acquire_async(timeout)
        self.spent += time.perf_counter() - started
        self.calls += 1

    def feedback(self, status: int, headers: Any) -> None:
        started = time.perf_counter()
        self.inner.feedback(status, headers)
        self.spent += time.perf_counter() - started

    async def feedback_async(self, status: int, headers: Any) -> None:
        started = time.perf_counter()
        await self.inner.feedback_async(status, headers)
        self.spent += time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="3 s per scenario")
    parser.add_argument("--workers", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=None)
    parser.add_argument("--limit", type=float, default=200.0, help="the server's limit, req/s")
    parser.add_argument("--burst", type=int, default=20, help="the server's bucket size")
    parser.add_argument("--client-burst", type=int, default=10,
                        help="the limiters' burst: redis's, split between the local ones (at least 1 each)")
    parser.add_argument("--only", default="abc", help="scenarios to run (a, b, c)")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--scenario", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--redis", help=argparse.SUPPRESS)
    parser.add_argument("--key", help=argparse.SUPPRESS)
    parser.add_argument("--start-at", type=float, help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.seconds is None:
        opts.seconds = 3.0 if quick() else 10.0
    if opts.worker:
        worker(opts)
        return
    header("bench_fleet")
    notes = [
        f"{opts.workers} worker processes, {opts.seconds:g} s each scenario; the server allows {opts.limit:g} req/s "
        f"(bucket of {opts.burst}); the limiters' burst: {opts.client_burst} for redis, "
        f"{max(opts.client_burst // opts.workers, 1)} for each local one. "
        "req/s counts successful calls; 429s are a share of all responses; "
        "latency is per successful call, limiter waits and retries included.",
    ]
    with LoopbackServer() as url, RedisProcess() as redis_url:
        rows = []
        for scenario in opts.only:
            if scenario == "c" and redis_url is None:
                notes.append("(c) skipped: no redis-server on PATH (Debian: apt-get install redis-server)")
                continue
            result = run_scenario(scenario, url, redis_url, opts)
            rows.append([SCENARIOS[scenario], result["rate"], f"{result['share'] * 100:.1f}%",
                         f"{result['limited'] * 100:.2f}%", result["retries"], result["failed"],
                         result["p50"], result["p99"]])
            time.sleep(opts.burst / opts.limit + 0.5)  # the server's bucket fills up again
        print_table("A fleet against one limit", ["scenario", "req/s", "of limit", "429s", "retries/call",
                                                  "failed calls", "p50 ms", "p99 ms"], rows, notes)
        if redis_url is not None:
            n, rounds = (500, 3) if quick() else (2000, 6)
            cost_rows = limiter_cost(url, redis_url, n, rounds)
            print_table("The limiter's own cost (us per call, wall / client CPU; target <= 150 us for redis)",
                        ["what", "sync", "async"], cost_rows,
                        [f"{n} calls x {rounds} rounds, medians; alternating rounds for the client rows; "
                         "redis-server and the loopback server run on the same machine."])


if __name__ == "__main__":
    main()
