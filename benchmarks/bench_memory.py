"""Peak memory per in-flight async request: 1000 concurrent GETs that the server holds.

Each measurement runs in a fresh child process (so one contender's heap never
holds the other's garbage): the child makes its client, sends 3 warm-up
requests, notes its memory, then starts 1000 GETs to ``/hold`` at once. The
loopback server answers none of them until all 1000 have arrived (then all,
0.3 s later), so every request, its connection and its pending response
are alive together. Per request = (peak - before) / 1000, measured two ways:

* ``RSS`` -- peak resident set (``ru_maxrss``) minus RSS before: everything,
  C allocations included, but coarse (pages, allocator arenas);
* ``tracemalloc`` -- peak of Python allocations traced after the warm-up.

The seed is measured once, by RSS only (its children take 20-45 s each).
Contenders: genai_base ``AsyncAPIClient`` (pool size raised to 2000 with
``GENAI_BASE_POOL_SIZE``), raw aiohttp (``TCPConnector(limit=2000)``), raw
aiohttp sending the same 13 headers genai_base sends (to tell the cost of
the headers from the cost of the library), and the seed client (httpx, pool
raised alike) in its own interpreter; a contender that fails is dropped. Rounds alternate the order;
medians are reported. Run: ``python benchmarks/bench_memory.py [--quick]``.
"""

from __future__ import annotations

import asyncio
import json
import os
import resource
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import HERE, SeedWorker, header, median, print_table, quick, ratio, seed_python
from _server import LoopbackServer

N = 1000
CHILD_TIMEOUT = 60.0
MODES = ("rss", "tracemalloc")


def _rss() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


async def _child(contender: str, url: str, n: int, mode: str) -> dict[str, Any]:
    import aiohttp

    from genai_base import AsyncAPIClient

    client = AsyncAPIClient(version="1.0.0", base_url=url)
    if contender == "genai_base":

        async def get(path: str) -> Any:
            return await client.get(path, cast_to=dict)

        async def close() -> None:
            await client.close()

    else:
        # the headers genai_base sends, with the per-attempt retry count
        headers = {**client._builder.default_headers, "x-genai-retry-count": "0"} if "headers" in contender else None
        session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=2 * n))

        async def get(path: str) -> Any:
            async with session.get(url + path, headers=None if headers is None else dict(headers)) as resp:
                return json.loads(await resp.read())

        async def close() -> None:
            await session.close()

    for _ in range(3):
        await get("/warm")
    if mode == "tracemalloc":
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
    else:
        before = _rss()
    key = f"{contender}-{time.monotonic_ns()}"
    results = await asyncio.wait_for(
        asyncio.gather(*(get(f"/hold?key={key}&n={n}&delay=0.3") for _ in range(n))), CHILD_TIMEOUT
    )
    if mode == "tracemalloc":
        peak = tracemalloc.get_traced_memory()[1] - before
        tracemalloc.stop()
    else:
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 - before
    await close()
    return {"peak_bytes": peak, "count": len(results)}


def measure(contender: str, url: str, n: int, mode: str) -> Optional[float]:
    """Bytes per in-flight request for one fresh child, or None if it failed."""
    env = dict(os.environ, GENAI_BASE_POOL_SIZE=str(2 * n))
    if contender == "seed":
        python = seed_python()
        if python is None:
            return None
        cmd = [python, str(HERE / "_seed_worker.py"), "--memory", url, str(n), mode]
        cwd = "/"
    else:
        cmd = [sys.executable, __file__, "--child", contender, url, str(n), mode]
        cwd = None
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=CHILD_TIMEOUT + 30, env=env, cwd=cwd)
    except subprocess.TimeoutExpired:
        return None
    if proc.returncode != 0:
        sys.stderr.write(f"{contender} {mode} child failed: {proc.stderr.strip()[-600:]}\n")
        return None
    reply = json.loads(proc.stdout.strip().splitlines()[-1])
    if reply["count"] != n:
        return None
    return float(reply["peak_bytes"]) / n


def main() -> dict[str, dict[str, float]]:
    """Run the rounds; return median bytes per request by mode and contender."""
    header("bench_memory")
    rounds = 2 if quick() else 3
    contenders = ["genai_base", "raw aiohttp", "raw aiohttp + same headers"]
    with SeedWorker() as seed:  # only to learn whether the seed is there
        seed_note = seed.note
        if seed.available:
            contenders.append("seed")
    results: dict[str, dict[str, list[float]]] = {m: {c: [] for c in contenders} for m in MODES}
    failed: set[str] = set()
    with LoopbackServer() as url:
        for r in range(rounds):
            order = contenders if r % 2 == 0 else list(reversed(contenders))
            for mode in MODES:
                for contender in order:
                    if contender in failed or (contender == "seed" and (r > 0 or mode != "rss")):
                        continue  # the seed (httpx) needs ~20 s per child here, ~45 s traced: once, RSS only
                    value = measure(contender, url, N, mode)
                    if value is None:
                        failed.add(contender)
                        seed_note = f"{contender} failed a measurement and was dropped"
                    else:
                        results[mode][contender].append(value)
    out = {m: {c: median(v) for c, v in by.items() if v} for m, by in results.items()}
    rows = []
    notes = []
    for mode in MODES:
        by = out[mode]
        raw = by.get("raw aiohttp")
        seed_value = by.get("seed")
        for contender, value in by.items():
            rows.append([f"{contender} ({mode})", value / 1024, ratio(value, raw), ratio(value, seed_value)])
        if "genai_base" in by and raw:
            notes.append(f"{mode}: genai_base / raw aiohttp = {by['genai_base'] / raw:.2f}x (target <= 1.25x)")
    if seed_note:
        notes.append(seed_note)
    print_table(
        f"memory per in-flight async request, {N} concurrent (medians; lower is better)",
        ["contender (measure)", "KB/request", "vs raw aiohttp", "vs seed"],
        rows,
        notes,
    )
    return out


if __name__ == "__main__":
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        _, _, name, base_url, count, how = sys.argv
        print(json.dumps(asyncio.run(_child(name, base_url, int(count), how))))
    else:
        main()
