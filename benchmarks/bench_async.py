"""Async requests/s at concurrency 1, 16 and 64: AsyncAPIClient against the aiohttp it runs on.

Contenders (GET of a ~100-byte JSON object, body parsed into a dict, one
event loop, keep-alive to the loopback server, alternating rounds):

* ``genai_base`` -- ``AsyncAPIClient.get(path, cast_to=dict)`` with default settings;
* ``raw aiohttp`` -- ``ClientSession.get(url)``, ``await resp.read()``, ``json.loads``;
* ``raw aiohttp, same headers`` -- the same, sending the headers genai_base sends (its platform
  headers, ``Accept`` and ``User-Agent``): what of the gap is the request on the wire, not the library;
* ``seed (httpx)`` -- the seed client's ``AsyncAPIClient.get`` in its own interpreter.

``c`` coroutines each loop over requests until the round's count (or time
limit) is reached. genai_base and raw aiohttp run next to each other in every
round, so the headline ratio is the median of the rounds' ratios, which a
drifting machine disturbs least. Run: ``python benchmarks/bench_async.py [--quick]``.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import aiohttp
from _common import Sample, SeedWorker, header, median, print_table, quick, ratio, sample_of
from _server import LoopbackServer

PATH = "/v1/items/abc"
CONCURRENCY = (1, 16, 64)


async def _rate(get: Callable[[], Awaitable[Any]], n: int, concurrency: int, max_seconds: float) -> Sample:
    started = 0
    stop_at = time.perf_counter() + max_seconds

    async def worker() -> None:
        nonlocal started
        while started < n and time.perf_counter() < stop_at:
            started += 1
            await get()

    cpu = time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    wall = time.perf_counter() - start
    return Sample(started / wall, (time.process_time() - cpu) / started * 1e6)


async def bench(url: str, seed: SeedWorker) -> tuple[dict[int, dict[str, Sample]], dict[int, float]]:
    """Median req/s and CPU per request per contender, and genai_base / raw aiohttp per round's median."""
    from genai_base import AsyncAPIClient
    from genai_base._options import DEFAULT_TIMEOUT, FinalRequestOptions

    rounds, n, max_seconds = (3, 500, 0.6) if quick() else (9, 2000, 1.5)
    client = AsyncAPIClient(version="1.0.0", base_url=url)
    session = aiohttp.ClientSession()
    full_url = url + PATH
    loads = json.loads

    async def gb_get() -> Any:
        return await client.get(PATH, cast_to=dict)

    async def raw_get() -> Any:
        async with session.get(full_url) as resp:
            return loads(await resp.read())

    # The headers a bodiless genai_base call sends (the builder's template: platform headers and all).
    same_headers = dict(client._builder.build(FinalRequestOptions(method="get", url=PATH), DEFAULT_TIMEOUT).headers)

    async def raw_same_get() -> Any:
        async with session.get(full_url, headers=same_headers) as resp:
            return loads(await resp.read())

    contenders = {"genai_base": gb_get, "raw aiohttp": raw_get, "raw aiohttp, same headers": raw_same_get}

    out: dict[int, dict[str, Sample]] = {}
    paired: dict[int, float] = {}
    try:
        for concurrency in CONCURRENCY:
            count = max(n // 3, 200) if concurrency == 1 else n
            for get in contenders.values():  # warm-up: open the connections
                await _rate(get, concurrency * 4, concurrency, max_seconds)
            if seed.available:
                seed.call("async", url=url, path=PATH, n=concurrency * 4, concurrency=concurrency, max_seconds=1)
            results: dict[str, list[Sample]] = {name: [] for name in contenders}
            if seed.available:
                results["seed (httpx)"] = []
            for r in range(rounds):
                order = list(results) if r % 2 == 0 else list(reversed(results))
                for name in order:
                    if name in contenders:
                        results[name].append(await _rate(contenders[name], count, concurrency, max_seconds))
                    else:
                        reply = seed.call(
                            "async", url=url, path=PATH, n=count, concurrency=concurrency, max_seconds=max_seconds
                        )
                        sample = sample_of(reply)
                        if sample is not None:
                            results[name].append(sample)
            out[concurrency] = {
                name: Sample(median([v.rate for v in values]), median([v.cpu_us for v in values]))
                for name, values in results.items()
                if values
            }
            # genai_base and raw aiohttp run next to each other in every round, so the ratio of a
            # round's two rates is the least disturbed figure when the machine's speed drifts.
            paired[concurrency] = median(
                [gb.rate / raw.rate for gb, raw in zip(results["genai_base"], results["raw aiohttp"], strict=True)]
            )
    finally:
        await client.close()
        await session.close()
    return out, paired


def report(figures: dict[int, dict[str, Sample]], paired: dict[int, float], seed_note: str) -> None:
    """One table, a row per contender and concurrency."""
    rows = []
    notes = []
    for concurrency, by_name in figures.items():
        raw = by_name.get("raw aiohttp")
        seed = by_name.get("seed (httpx)")
        for name, f in by_name.items():
            rows.append(
                [
                    f"{name} (c={concurrency})",
                    f.rate,
                    1e6 / f.rate,
                    f.cpu_us,
                    ratio(f.rate, raw.rate if raw else None),
                    ratio(raw.cpu_us, f.cpu_us) if raw else "-",
                    ratio(f.rate, seed.rate if seed else None),
                ]
            )
        gb = by_name["genai_base"]
        same = by_name.get("raw aiohttp, same headers")
        if raw:
            notes.append(
                f"c={concurrency}: genai_base / raw aiohttp = {paired[concurrency]:.2f}x req/s "
                f"(median of the rounds' ratios; {gb.rate / raw.rate:.2f}x of the medians), "
                f"{raw.cpu_us / gb.cpu_us:.2f}x by CPU per request (target >= 0.85x)"
                + (
                    f"; / raw aiohttp sending the same headers = {gb.rate / same.rate:.2f}x req/s, "
                    f"{same.cpu_us / gb.cpu_us:.2f}x by CPU"
                    if same
                    else ""
                )
            )
    if seed_note:
        notes.append(seed_note)
    print_table(
        "async GET (medians)",
        ["contender", "req/s", "wall us/req", "CPU us/req", "vs raw aiohttp", "vs raw (CPU)", "vs seed"],
        rows,
        notes,
    )


def main() -> dict[int, dict[str, Sample]]:
    """Run every concurrency; return the medians."""
    header("bench_async")
    with LoopbackServer() as url, SeedWorker() as seed:
        figures, paired = asyncio.run(bench(url, seed))
        report(figures, paired, seed.note)
    return figures


if __name__ == "__main__":
    main()
