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
latency of a call (limiter waits and retries included). A ``redis-server``
is started on a free loopback port for the run (skipped, with a note, when
none is installed). The limiter's own cost per call is ``bench_limiter.py``'s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import header, print_table, quick
from _redis import RedisProcess
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
            "rps": args.limit, "burst": args.client_burst, "url": args.redis, "key": args.key,
            **({} if args.lease is None else {"lease": args.lease})}}
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


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(int(share * len(ordered)), len(ordered) - 1)]


def run_scenario(scenario: str, url: str, redis_url: Optional[str], opts: argparse.Namespace) -> dict[str, Any]:
    start_at = time.time() + 3.0 + 0.5 * opts.workers  # every worker has imported and built its client
    command = [sys.executable, __file__, "--worker", "--scenario", scenario, "--url", url,
               "--limit", str(opts.limit), "--burst", str(opts.burst), "--workers", str(opts.workers),
               "--client-burst", str(opts.client_burst), *([] if opts.lease is None else ["--lease", str(opts.lease)]),
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
    parser.add_argument("--lease", type=int, default=None, help="the redis limiter's rate_limit.lease (0: off)")
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


if __name__ == "__main__":
    main()
